#include "transport/grpc/channel.h"

#include <fmt/core.h>

#include <optional>

#include "transport/grpc/h2_connection.h"

namespace ferry::grpc {

namespace detail {

class ClientConnection;

namespace {

constexpr std::string_view kUserAgent = "ferry-grpc/0.1";

// The status a finished client stream ended with.
Status final_status(const H2Stream& st) {
  if (st.failed()) return st.failure;
  if (st.grpc_status >= 0) {
    if (st.grpc_status == 0) return Status();
    if (st.grpc_status > 16) {
      return absl::UnknownError(
          fmt::format("grpc-status {}: {}", st.grpc_status, st.grpc_message));
    }
    return Status(static_cast<absl::StatusCode>(st.grpc_status),
                  st.grpc_message);
  }
  if (st.http_status != 0 && st.http_status != 200) {
    return Status(code_for_http_status(st.http_status),
                  fmt::format("HTTP status {}", st.http_status));
  }
  return absl::InternalError("the server closed the stream without a status");
}

// Resets a stream and fails it when its deadline passes.
class StreamDeadline : private internal::TimerNode {
 public:
  StreamDeadline(ClientConnection* conn, std::shared_ptr<H2Stream> st,
                 Clock::time_point at)
      : TimerNode(&StreamDeadline::on_fire), conn_(conn), st_(std::move(st)) {
    internal::worker_add_timer(this, at);
  }
  ~StreamDeadline() { internal::worker_remove_timer(this); }
  StreamDeadline(const StreamDeadline&) = delete;
  StreamDeadline& operator=(const StreamDeadline&) = delete;

 private:
  static void on_fire(internal::TimerNode* t) noexcept;
  ClientConnection* conn_;
  std::shared_ptr<H2Stream> st_;
};

}  // namespace

class ClientConnection final
    : public H2Connection,
      public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(TcpStream stream, std::string authority,
                   const ChannelOptions& options)
      : H2Connection(std::move(stream), /*server=*/false,
                     options.max_receive_message_size),
        authority_(std::move(authority)) {}

  static Task<void> run(std::shared_ptr<ClientConnection> self) {
    self->tasks_.spawn(self->write_loop());
    Status why = co_await self->read_loop(&self->stop_);
    self->die(why);
    co_await self->tasks_.join();
    co_await self->stream_.close();
  }

  void shutdown() noexcept { stop_.cancel(); }

  // New calls may use this connection (not failed, no GOAWAY).
  bool usable() const {
    return !dead_ && nghttp2_session_check_request_allowed(session_) != 0;
  }

  Result<std::shared_ptr<H2Stream>> open(
      Context& cx, std::string_view path,
      std::optional<Clock::time_point> deadline, bool compress) {
    auto st = std::make_shared<H2Stream>(max_message_);
    st->client_cx = &cx;
    HeaderList h;
    h.add_ref(":method", "POST");
    h.add_ref(":scheme", "http");
    h.add_ref(":path", path);
    h.add_ref(":authority", authority_);
    h.add_ref("te", "trailers");
    h.add_ref("content-type", "application/grpc");
    h.add_ref("user-agent", kUserAgent);
    h.add_ref("grpc-accept-encoding", "gzip,identity");
    if (compress) {
      h.add_ref("grpc-encoding", "gzip");
      st->gzip_out = true;
    }
    if (deadline) {
      h.add("grpc-timeout",
            format_timeout(std::chrono::duration_cast<std::chrono::nanoseconds>(
                *deadline - clock_now())));
    }
    h.add_metadata(cx.request_metadata);
    if (!h.first_invalid.empty()) {
      return absl::InvalidArgumentError(fmt::format(
          "request metadata '{}' is not a valid gRPC header", h.first_invalid));
    }
    const int id = submit_with_data(*st, h, /*is_request=*/true);
    if (id < 0) {
      return absl::UnavailableError(fmt::format(
          "http2: cannot start a stream: {}", nghttp2_strerror(id)));
    }
    st->id = id;
    attach(st);
    return st;
  }

  void expire(H2Stream& st) {
    if (st.closed) return;
    st.fail(absl::DeadlineExceededError("deadline exceeded"));
    reset_stream(st, NGHTTP2_CANCEL);
  }

 private:
  int on_begin_headers(const nghttp2_frame*) override { return 0; }

  int on_header(const nghttp2_frame* frame, std::string_view name,
                std::string_view value) override {
    H2Stream* st = stream_of(frame->hd.stream_id);
    if (st == nullptr) return 0;
    // Trailers: a second HEADERS, or a first one that ends the stream
    // (trailers-only response).
    const bool trailers = frame->headers.cat == NGHTTP2_HCAT_HEADERS ||
                          (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (name.starts_with(':')) {
      if (name == ":status") {
        int code = 0;
        for (char c : value) code = code * 10 + (c - '0');
        st->http_status = code;
      }
      return 0;
    }
    if (name == "grpc-status") {
      int code = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return 0;
        code = code * 10 + (c - '0');
      }
      st->grpc_status = code;
    } else if (name == "grpc-message") {
      st->grpc_message = percent_decode(value);
    } else if (name == "grpc-encoding") {
      st->encoding = value;
      st->gzip_in = value == "gzip";
    } else if (name == "content-type") {
      st->grpc_content_type = value.starts_with("application/grpc");
    } else if (name.starts_with("grpc-")) {
      // Reserved.
    } else if (st->client_cx != nullptr) {
      Metadata& md = trailers ? st->client_cx->response_trailers
                              : st->client_cx->response_metadata;
      if (is_binary_header(name)) {
        if (auto decoded = decode_binary_header(value)) md.add(name, *decoded);
      } else {
        md.add(name, value);
      }
    }
    return 0;
  }

  int on_headers_done(const nghttp2_frame*, H2Stream& st) override {
    st.headers_received = true;
    return 0;
  }

  void on_stream_closed(H2Stream& st, uint32_t error_code) override {
    if (st.grpc_status < 0 && !st.failed()) {
      if (error_code != NGHTTP2_NO_ERROR) {
        st.fail(absl::UnavailableError(
            fmt::format("the server reset the stream ({})",
                        nghttp2_http2_strerror(error_code))));
      } else {
        st.fail(final_status(st));
      }
    }
  }

  std::string authority_;
  CancelSource stop_;
  TaskGroup tasks_;
};

namespace {

void StreamDeadline::on_fire(internal::TimerNode* t) noexcept {
  auto* self = static_cast<StreamDeadline*>(t);
  self->conn_->expire(*self->st_);
}

}  // namespace

struct ChannelOwner {
  SocketAddress address;
  ChannelOptions options;
  std::shared_ptr<ClientConnection> conn;
  bool connecting = false;
  Event connected;  // set when a connect attempt ends
  Status last_connect_error;

  ~ChannelOwner() {
    if (conn) conn->shutdown();
  }

  Task<Result<std::shared_ptr<ClientConnection>>> connection(
      std::optional<Clock::time_point> deadline) {
    for (;;) {
      if (conn && conn->usable()) co_return conn;
      if (!connecting) break;
      Status woke = co_await connected.wait();
      if (!woke.ok()) co_return woke;
      if (!last_connect_error.ok() && !(conn && conn->usable())) {
        co_return last_connect_error;
      }
    }
    connecting = true;
    connected.reset();
    auto timeout = options.connect_timeout;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - clock_now());
      if (left < timeout)
        timeout = std::max(left, std::chrono::milliseconds(1));
    }
    Result<TcpStream> s =
        co_await TcpStream::connect(address, {.timeout = timeout});
    connecting = false;
    connected.set();
    if (!s.ok()) {
      last_connect_error = s.status();
      co_return s.status();
    }
    last_connect_error = Status();
    // The connection replaced, if any, failed or got GOAWAY: its own task
    // keeps it until its last stream ends and the server closes it.
    conn = std::make_shared<ClientConnection>(std::move(*s),
                                              address.to_string(), options);
    spawn(ClientConnection::run(conn));
    co_return conn;
  }
};

namespace {

std::optional<Clock::time_point> call_deadline(const Context& cx,
                                               const ChannelOptions& o) {
  std::optional<Clock::time_point> d = cx.deadline;
  if (o.request_timeout.count() > 0) {
    const Clock::time_point t = clock_now() + o.request_timeout;
    if (!d || t < *d) d = t;
  }
  return d;
}

bool wants_compression(const Context& cx) {
  const CallOptions* o = cx.find_extension<CallOptions>();
  return o != nullptr && o->compress;
}

void note_compressed(Context& cx, bool compressed) {
  if (compressed) {
    cx.extension<CallOptions>().last_message_compressed = true;
  } else if (auto* o = cx.find_extension<CallOptions>()) {
    const_cast<CallOptions*>(o)->last_message_compressed = false;
  }
}

class ClientCallImpl final : public ClientCall {
 public:
  ClientCallImpl(std::shared_ptr<ClientConnection> conn,
                 std::shared_ptr<H2Stream> st, Context& cx,
                 std::optional<Clock::time_point> deadline)
      : conn_(std::move(conn)), st_(std::move(st)), cx_(cx) {
    if (deadline) timer_.emplace(conn_.get(), st_, *deadline);
  }
  ~ClientCallImpl() override {
    st_->client_cx = nullptr;
    if (!st_->closed) conn_->reset_stream(*st_, NGHTTP2_CANCEL);
  }

  Task<Status> write(IoBuf message, WriteOptions options) override {
    return conn_->write_message(*st_, std::move(message), options.compress);
  }
  Task<Status> writes_done() override {
    if (st_->failed()) co_return st_->failure;
    conn_->close_local(*st_);
    co_return Status();
  }
  Task<Result<std::optional<IoBuf>>> read() override {
    bool compressed = false;
    auto msg = co_await conn_->read_message(*st_, &compressed);
    if (!msg.ok()) {
      if (msg.status().code() == absl::StatusCode::kCancelled &&
          !st_->failed()) {
        cancel();
      }
      co_return msg.status();
    }
    if (msg->has_value()) {
      note_compressed(cx_, compressed);
      co_return msg;
    }
    // End of stream: a failed call reports its status here.
    Status s = co_await finish();
    if (!s.ok()) co_return s;
    co_return msg;
  }
  Task<Status> finish() override {
    while (!st_->closed && !st_->failed()) {
      st_->done.reset();
      Status woke = co_await st_->done.wait();
      if (!woke.ok()) {
        cancel();
        co_return woke;
      }
    }
    co_return final_status(*st_);
  }
  void cancel() noexcept override {
    if (st_->closed) return;
    st_->fail(absl::CancelledError("cancelled by the client"));
    conn_->reset_stream(*st_, NGHTTP2_CANCEL);
  }

 private:
  std::shared_ptr<ClientConnection> conn_;
  std::shared_ptr<H2Stream> st_;
  Context& cx_;
  std::optional<StreamDeadline> timer_;
};

Task<Result<std::unique_ptr<ClientCall>>> start(ChannelOwner& owner,
                                                Context& cx,
                                                std::string_view path) {
  const auto deadline = call_deadline(cx, owner.options);
  if (deadline && *deadline <= clock_now()) {
    co_return absl::DeadlineExceededError(
        "deadline exceeded before the call started");
  }
  auto conn = co_await owner.connection(deadline);
  if (!conn.ok()) co_return conn.status();
  auto st = (*conn)->open(cx, path, deadline, wants_compression(cx));
  if (!st.ok()) co_return st.status();
  co_return std::unique_ptr<ClientCall>(
      new ClientCallImpl(std::move(*conn), std::move(*st), cx, deadline));
}

}  // namespace

}  // namespace detail

Channel Channel::create(SocketAddress address, ChannelOptions options) {
  auto owner = std::make_shared<detail::ChannelOwner>();
  owner->address = address;
  owner->options = options;
  return Channel(std::move(owner));
}

Task<Result<std::unique_ptr<ClientCall>>> Channel::start_call(
    Context& cx, std::string_view path) {
  return detail::start(*owner_, cx, path);
}

Task<Result<Response>> Channel::call(Context& cx, Request request) {
  auto call = co_await detail::start(*owner_, cx, request.path);
  if (!call.ok()) co_return call.status();
  ClientCall& c = **call;
  IoBuf body = serialize(*request.message);
  Status written = co_await c.write(std::move(body), WriteOptions{});
  if (written.ok()) {
    Status done = co_await c.writes_done();
    (void)done;  // a failed call reports its status below
  }
  auto message = co_await c.read();
  if (!message.ok()) co_return message.status();
  Status status = co_await c.finish();
  if (!status.ok()) co_return status;
  if (!message->has_value()) {
    co_return absl::InternalError(
        "unary call ended OK without a response message");
  }
  co_return Response{std::move(**message)};
}

Task<void> Channel::close() {
  if (owner_->conn) {
    owner_->conn->shutdown();
    owner_->conn.reset();
  }
  co_return;
}

const SocketAddress& Channel::address() const noexcept {
  return owner_->address;
}

}  // namespace ferry::grpc
