#include "transport/grpc/server.h"

#include <fmt/core.h>

#include <exception>

#include "runtime/internal/log.h"
#include "transport/grpc/h2_connection.h"

namespace ferry::grpc {

namespace detail {

namespace {

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == token) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// grpc-status values as text (absl's codes are gRPC's, 0..16).
std::string_view code_text(absl::StatusCode code) {
  static constexpr std::string_view kText[] = {
      "0", "1",  "2",  "3",  "4",  "5",  "6",  "7", "8",
      "9", "10", "11", "12", "13", "14", "15", "16"};
  const auto i = static_cast<std::size_t>(code);
  return i < std::size(kText) ? kText[i] : kText[2];  // UNKNOWN
}

[[gnu::cold]] Status handler_threw(std::string_view path,
                                   std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return absl::UnknownError(ex.what());
  } catch (...) {
    return absl::UnknownError(
        fmt::format("{}: the handler threw a non-std::exception", path));
  }
}

class ServerConnection;

// The untyped stream handed to streaming handlers.
class ServerCallImpl final : public ServerCall {
 public:
  ServerCallImpl(ServerConnection& conn, H2Stream& st) : conn_(conn), st_(st) {}
  Task<Result<std::optional<IoBuf>>> read() override;
  Task<Status> write(IoBuf message, WriteOptions options) override;

 private:
  ServerConnection& conn_;
  H2Stream& st_;
};

class ServerConnection final : public H2Connection,
                               public transport::ServerConnectionBase {
 public:
  ServerConnection(ServerWorker& w, UnaryStack& stack, TcpStream stream)
      : H2Connection(std::move(stream), /*server=*/true,
                     w.options->max_receive_message_size),
        worker_(w),
        stack_(stack) {}

  Task<void> run() {
    read_cancel_.chain_to(co_await current_cancel_source());
    tasks_.spawn(write_loop());
    Status why = co_await read_loop(&read_cancel_);
    if (malformed_) {
      ++worker_.stats.connections_closed_malformed;
      transport::log_connection(worker_, peer(), message_of(why));
    }
    die(why);
    co_await tasks_.join();
    co_await stream_.close();
  }

  void drain() noexcept override {
    if (draining_) return;
    draining_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_),
                          NGHTTP2_NO_ERROR, nullptr, 0);
    want_write();
    if (calls_ == 0) read_cancel_.cancel();
  }
  Clock::time_point last_activity() const noexcept override {
    return last_activity_;
  }
  std::size_t in_flight() const noexcept override { return calls_; }

  // Sends the response headers (once, before the first message).
  void send_headers(H2Stream& st);
  // Ends the call with `status` (trailers, or a trailers-only response).
  void finish(H2Stream& st, const Status& status);

 private:
  int on_begin_headers(const nghttp2_frame* frame) override;
  int on_header(const nghttp2_frame* frame, std::string_view name,
                std::string_view value) override;
  int on_headers_done(const nghttp2_frame* frame, H2Stream& st) override;
  void on_stream_closed(H2Stream& st, uint32_t error_code) override;

  // A response that is only headers: HTTP `http_status`, and grpc-status
  // unless `http_status` is not 200.
  void respond_headers_only(H2Stream& st, int http_status,
                            const Status& status);
  void start_call(std::shared_ptr<H2Stream> st, const MethodEntry* method);
  Task<void> run_call(std::shared_ptr<H2Stream> st, const MethodEntry* method);

  ServerWorker& worker_;
  UnaryStack& stack_;
  CancelSource read_cancel_;
  TaskGroup tasks_;
  std::size_t calls_ = 0;
  bool draining_ = false;
};

Task<Result<std::optional<IoBuf>>> ServerCallImpl::read() {
  bool compressed = false;
  auto msg = co_await conn_.read_message(st_, &compressed);
  if (msg.ok() && msg->has_value()) {
    if (compressed) {
      st_.cx.extension<CallOptions>().last_message_compressed = true;
    } else if (auto* o = st_.cx.find_extension<CallOptions>()) {
      const_cast<CallOptions*>(o)->last_message_compressed = false;
    }
  }
  co_return msg;
}

Task<Status> ServerCallImpl::write(IoBuf message, WriteOptions options) {
  if (!st_.data_started && !st_.closed && !st_.failed()) {
    conn_.send_headers(st_);
  }
  return conn_.write_message(st_, std::move(message), options.compress);
}

int ServerConnection::on_begin_headers(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;
  }
  auto st =
      std::make_shared<H2Stream>(worker_.options->max_receive_message_size);
  st->id = frame->hd.stream_id;
  st->opened = true;
  st->cx.peer = peer();
  attach(std::move(st));
  return 0;
}

int ServerConnection::on_header(const nghttp2_frame* frame,
                                std::string_view name, std::string_view value) {
  H2Stream* st = stream_of(frame->hd.stream_id);
  if (st == nullptr || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  if (name.starts_with(':')) {
    if (name == ":path") {
      st->method = worker_.services->find(value);
      if (st->method == nullptr) st->method = worker_.builtin->find(value);
      if (st->method == nullptr) st->unknown_path = value;
    } else if (name == ":method") {
      st->post = value == "POST";
    }
    return 0;
  }
  if (name == "content-type") {
    st->grpc_content_type = value.starts_with("application/grpc");
  } else if (name == "grpc-timeout") {
    if (auto t = parse_timeout(value)) {
      st->cx.deadline =
          clock_now() + std::chrono::duration_cast<Clock::duration>(*t);
    } else {
      st->bad_timeout = true;
    }
  } else if (name == "grpc-encoding") {
    st->encoding = value;
  } else if (name == "grpc-accept-encoding") {
    st->peer_accepts_gzip = has_token(value, "gzip");
  } else if (name == "te" || name.starts_with("grpc-")) {
    // Reserved: not user metadata.
  } else if (is_binary_header(name)) {
    if (auto decoded = decode_binary_header(value)) {
      st->cx.request_metadata.add(name, *decoded);
    }
  } else {
    st->cx.request_metadata.add(name, value);
  }
  return 0;
}

int ServerConnection::on_headers_done(const nghttp2_frame* frame,
                                      H2Stream& st) {
  if (frame->headers.cat != NGHTTP2_HCAT_REQUEST || st.headers_received) {
    return 0;  // trailers from a client carry nothing we use
  }
  st.headers_received = true;
  ++worker_.stats.requests;
  if (!st.post) {
    respond_headers_only(st, 405, Status());
    return 0;
  }
  if (!st.grpc_content_type) {
    respond_headers_only(st, 415, Status());
    return 0;
  }
  if (st.bad_timeout) {
    respond_headers_only(st, 200,
                         absl::InvalidArgumentError("malformed grpc-timeout"));
    return 0;
  }
  if (!st.encoding.empty() && st.encoding != "identity") {
    if (st.encoding != "gzip") {
      respond_headers_only(
          st, 200,
          absl::UnimplementedError(fmt::format(
              "grpc-encoding '{}' is not supported (gzip, identity are)",
              st.encoding)));
      return 0;
    }
    st.gzip_in = true;
  }
  const MethodEntry* method = st.method;
  if (method == nullptr) {
    respond_headers_only(st, 200,
                         absl::UnimplementedError(fmt::format(
                             "unknown method {}", st.unknown_path)));
    return 0;
  }
  st.cx.method = method->name;
  st.cx.callee = method->service;
  auto it = streams_.find(st.id);
  start_call(it->second, method);
  return 0;
}

void ServerConnection::on_stream_closed(H2Stream& st, uint32_t error_code) {
  // Closed before we finished: the client reset it (cancel, deadline).
  if (!st.local_closed || error_code != NGHTTP2_NO_ERROR) {
    st.fail(
        absl::CancelledError(fmt::format("the client reset the stream ({})",
                                         nghttp2_http2_strerror(error_code))));
    st.cancel.cancel();
  }
}

void ServerConnection::send_headers(H2Stream& st) {
  HeaderList h;
  h.add_ref(":status", "200");
  h.add_ref("content-type", "application/grpc");
  const CallOptions* o = st.cx.find_extension<CallOptions>();
  if (o != nullptr && o->compress && st.peer_accepts_gzip) {
    st.gzip_out = true;
    h.add_ref("grpc-encoding", "gzip");
  }
  h.add_ref("grpc-accept-encoding", "gzip,identity");
  h.add_metadata(st.cx.response_metadata);
  submit_with_data(st, h, /*is_request=*/false);
}

void ServerConnection::respond_headers_only(H2Stream& st, int http_status,
                                            const Status& status) {
  st.local_closed = true;
  HeaderList h;
  h.add(":status", std::to_string(http_status));
  if (http_status == 200) {
    h.add_ref("content-type", "application/grpc");
    h.add_ref("grpc-status", code_text(status.code()));
    if (!status.message().empty()) {
      h.add("grpc-message", percent_encode(message_of(status)));
    }
    h.add_metadata(st.cx.response_metadata);
    h.add_metadata(st.cx.response_trailers);
  }
  nghttp2_submit_response(session_, st.id, h.nv(), h.size(), nullptr);
  want_write();
}

void ServerConnection::finish(H2Stream& st, const Status& handler_status) {
  if (st.closed || dead_ || st.local_closed) return;
  // A bad request message (too large, undecodable) is the call's status
  // even if the handler ignored the failed read.
  const Status& status =
      handler_status.ok() && st.failed() ? st.failure : handler_status;
  if (!st.data_started) {
    respond_headers_only(st, 200, status);
    return;
  }
  HeaderList& t = st.trailers;
  t.add_ref("grpc-status", code_text(status.code()));
  if (!status.message().empty()) {
    t.add("grpc-message", percent_encode(message_of(status)));
  }
  t.add_metadata(st.cx.response_trailers);
  st.trailers_pending = true;
  close_local(st);
}

void ServerConnection::start_call(std::shared_ptr<H2Stream> st,
                                  const MethodEntry* method) {
  ++calls_;
  tasks_.start(run_call(std::move(st), method));
}

Task<void> ServerConnection::run_call(std::shared_ptr<H2Stream> st,
                                      const MethodEntry* method) {
  H2Stream& s = *st;
  Context& cx = s.cx;
  std::optional<internal::DeadlineTimer> timer;
  if (cx.deadline) timer.emplace(&s.cancel, *cx.deadline);
  ServerCallImpl call(*this, s);
  Status status;
  try {
    if (method->kind == MethodKind::kUnary) {
      Task<Result<std::optional<IoBuf>>> reading = call.read();
      auto request = co_await run_under(&s.cancel, std::move(reading));
      if (!request.ok()) {
        status = request.status();
      } else if (!request->has_value()) {
        status = absl::InternalError(fmt::format(
            "{}: the client sent no request message", method->path));
      } else {
        // Named tasks: GCC 12 mishandles temporaries with destructors in
        // a full-expression that contains co_await.
        ServerRequest req{method, std::move(**request)};
        Task<Result<Response>> handled = stack_.call(cx, std::move(req));
        auto reply = co_await run_under(&s.cancel, std::move(handled));
        if (reply.ok()) {
          Task<Status> written = call.write(std::move(reply->body), {});
          status = co_await run_under(&s.cancel, std::move(written));
        } else {
          status = reply.status();
        }
      }
    } else {
      Task<Status> handled = method->streaming(method->handler, cx, call);
      status = co_await run_under(&s.cancel, std::move(handled));
    }
  } catch (...) {
    status = handler_threw(method->path, std::current_exception());
  }
  if (timer && timer->fired()) {
    status = absl::DeadlineExceededError("deadline exceeded");
  }
  finish(s, status);
  if (--calls_ == 0 && draining_) read_cancel_.cancel();
}

}  // namespace

namespace {

Task<void> serve_connection(ServerWorker& w, UnaryStack& stack,
                            TcpStream stream) {
  ServerConnection conn(w, stack, std::move(stream));
  transport::register_connection(w, &conn);
  co_await conn.run();
  transport::unregister_connection(w, &conn);
}

}  // namespace

Task<void> serve_worker(ServerWorker& w, TcpListener listener,
                        std::unique_ptr<UnaryStack> stack) {
  struct Ctx {
    ServerWorker* w;
    UnaryStack* stack;
  } ctx{&w, stack.get()};
  const transport::ServeFn serve = [](void* p, TcpStream stream) -> Task<void> {
    auto* c = static_cast<Ctx*>(p);
    return serve_connection(*c->w, *c->stack, std::move(stream));
  };
  co_await transport::accept_loop(w, std::move(listener), serve, &ctx);
}

Task<Result<SocketAddress>> listen(ServerWorker& w, SocketAddress addr,
                                   std::unique_ptr<UnaryStack> stack) {
  Result<TcpListener> listener = TcpListener::bind(addr);
  if (!listener.ok()) co_return listener.status();
  SocketAddress bound = listener->local_address();
  spawn(serve_worker(w, std::move(*listener), std::move(stack)));
  spawn(transport::idle_sweep(w));
  co_return bound;
}

}  // namespace detail

Status Server::start_core(const ServiceRegistry& services) {
  FERRY_RETURN_IF_ERROR(core_.start<detail::ServerWorker>({
      .name = "grpc server",
      .threads = options_->threads,
      .pin_cpus = options_->pin_cpus,
      .idle_timeout = options_->idle_timeout,
      .max_connections = options_->max_connections,
      .shutdown_grace = options_->shutdown_grace,
  }));
  health_ = std::make_unique<HealthStatus>(services.services());
  health_handler_ = detail::add_health_service(builtin_, health_.get());
  for (std::size_t i = 0; i < core_.size(); ++i) {
    auto& w = static_cast<detail::ServerWorker&>(core_.worker(i));
    w.options = options_.get();
    w.services = &services;
    w.builtin = &builtin_;
  }
  return Status();
}

}  // namespace ferry::grpc
