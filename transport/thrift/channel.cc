#include "transport/thrift/channel.h"

#include <fmt/core.h>

#include <algorithm>
#include <coroutine>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "codec/buffer.h"
#include "runtime/cancel.h"
#include "runtime/event.h"
#include "runtime/internal/ready_queue.h"
#include "runtime/internal/timer_heap.h"
#include "runtime/runtime.h"
#include "runtime/task_group.h"
#include "runtime/time.h"
#include "transport/thrift/envelope.h"

namespace ferry::thrift {
namespace detail {

struct ClientConnection;
struct ChannelState;

// One call waiting for its reply (or, oneway, for its bytes to be
// written). Lives in the calling frame; the connection completes it, or
// the deadline or a cancellation abandons it.
class PendingCall : private internal::TimerNode,
                    private CancelCallback,
                    private internal::ReadyNode {
 public:
  PendingCall(ClientConnection* conn, std::int32_t seqid,
              std::optional<Clock::time_point> deadline) noexcept
      : TimerNode(&PendingCall::on_deadline),
        CancelCallback(&PendingCall::on_cancel),
        ReadyNode(&PendingCall::on_ready),
        conn_(conn),
        seqid_(seqid),
        deadline_(deadline) {}
  PendingCall(const PendingCall&) = delete;
  ~PendingCall() {
    forget();
    internal::worker_remove_timer(this);
  }

  bool await_ready() const noexcept { return done_; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    register_with(internal::cancel_source_of(h));
    if (done_) return false;  // the source was already cancelled
    waiter_ = h;
    if (deadline_) internal::worker_add_timer(this, *deadline_);
    return true;
  }
  Result<Response> await_resume() { return std::move(result_); }

  std::int32_t seqid() const noexcept { return seqid_; }

  // Called by the connection.
  void complete(Result<Response> r) noexcept {
    conn_ = nullptr;  // the connection already dropped us
    finish(std::move(r));
  }

 private:
  void finish(Result<Response> r) noexcept {
    if (done_) return;
    result_ = std::move(r);
    done_ = true;
    internal::worker_remove_timer(this);
    CancelCallback::unregister();
    if (waiter_) internal::worker_schedule(this);
  }
  // Removes this call from its connection's tables.
  void forget() noexcept;

  static void on_deadline(TimerNode* t) noexcept {
    auto* self = static_cast<PendingCall*>(t);
    self->forget();
    self->finish(absl::DeadlineExceededError("thrift call: deadline exceeded"));
  }
  static void on_cancel(CancelCallback* c) noexcept {
    auto* self = static_cast<PendingCall*>(c);
    self->forget();
    self->finish(cancelled_status("thrift call"));
  }
  static void on_ready(ReadyNode* n) noexcept {
    static_cast<PendingCall*>(n)->waiter_.resume();
  }

  ClientConnection* conn_;
  std::int32_t seqid_;
  std::optional<Clock::time_point> deadline_;
  std::coroutine_handle<> waiter_;
  Result<Response> result_{absl::UnknownError("not completed")};
  bool done_ = false;
};

struct ClientConnection {
  ChannelState* channel = nullptr;
  TcpStream stream;
  bool connected = false;
  bool broken = false;
  Status failure;  // why it broke (or failed to connect)
  Event ready;     // set once connected or broken
  codec::WriteBuffer out;
  Event has_output;
  std::int32_t next_seqid = 1;
  std::size_t busy = 0;  // exclusive mode: calls in flight
  absl::flat_hash_map<std::int32_t, PendingCall*> pending;
  // Oneway calls whose bytes are in `out` / being written.
  std::vector<PendingCall*> oneway_queued;
  std::vector<PendingCall*> oneway_writing;
  CancelSource stop;  // the reader's and writer's

  std::int32_t take_seqid() noexcept {
    const std::int32_t s = next_seqid;
    next_seqid = next_seqid == INT32_MAX ? 1 : next_seqid + 1;
    return s;
  }
  void forget(PendingCall* p) noexcept {
    auto it = pending.find(p->seqid());
    if (it != pending.end() && it->second == p) {
      pending.erase(it);
      return;
    }
    std::erase(oneway_queued, p);
    std::erase(oneway_writing, p);
  }
};

void PendingCall::forget() noexcept {
  if (conn_ != nullptr) conn_->forget(this);
  conn_ = nullptr;
}

struct ChannelState : std::enable_shared_from_this<ChannelState> {
  SocketAddress address;
  ChannelOptions options;
  std::string peer;  // address.to_string(), for messages
  // Multiplexed: one slot per connection; exclusive: the open ones.
  std::vector<std::shared_ptr<ClientConnection>> conns;
  std::size_t next = 0;  // round-robin position
  Event freed;           // exclusive mode: a connection became idle
  // run_connection tasks alive (they run in the worker's root group, so a
  // runtime shutting down cancels them), and the event close() waits on.
  std::size_t running = 0;
  Event all_stopped;
};

// What Channel handles share: dropping the last handle closes the
// connections, whose tasks then finish and release the state.
struct ChannelOwner {
  std::shared_ptr<ChannelState> state;
  ~ChannelOwner();
};

namespace {

[[gnu::cold]] Status connection_failed(const ChannelState& s,
                                       std::string_view why) {
  return absl::UnavailableError(
      fmt::format("thrift connection to {}: {}", s.peer, why));
}

// Fails everything waiting on `c` and takes it out of the pool.
void break_connection(ChannelState& s, ClientConnection& c, Status why) {
  if (c.broken) return;
  c.broken = true;
  c.failure = why;
  c.ready.set();
  c.stop.cancel();
  c.has_output.set();
  auto pending = std::move(c.pending);
  c.pending.clear();
  for (auto& [seqid, call] : pending) call->complete(why);
  for (PendingCall* call : c.oneway_queued) call->complete(why);
  for (PendingCall* call : c.oneway_writing) call->complete(why);
  c.oneway_queued.clear();
  c.oneway_writing.clear();
  std::erase_if(s.conns, [&](const auto& p) { return p.get() == &c; });
  s.freed.set();
}

Task<void> write_loop(ChannelState& s, std::shared_ptr<ClientConnection> c) {
  while (!c->broken) {
    if (c->out.size() == 0) {
      c->has_output.reset();
      if (!(co_await c->has_output.wait()).ok()) co_return;
      continue;
    }
    IoBuf batch = c->out.take();
    std::swap(c->oneway_writing, c->oneway_queued);
    Status st = co_await run_under(&c->stop, c->stream.write(std::move(batch)));
    if (!st.ok()) {
      break_connection(s, *c, connection_failed(s, message_of(st)));
      co_return;
    }
    for (PendingCall* call : c->oneway_writing) call->complete(Response{});
    c->oneway_writing.clear();
  }
}

// Dispatches one reply to the call waiting for its seqid.
Status deliver(ChannelState& s, ClientConnection& c, IoBuf message) {
  Envelope env;
  FERRY_RETURN_IF_ERROR(
      read_envelope(message, s.options.format.protocol, s.options.limits, env));
  if (env.type != codec::MessageType::kReply &&
      env.type != codec::MessageType::kException) [[unlikely]] {
    return absl::InvalidArgumentError(fmt::format(
        "reply {} has message type {}", env.seqid, static_cast<int>(env.type)));
  }
  auto it = c.pending.find(env.seqid);
  if (it == c.pending.end()) return Status();  // abandoned, or the announcement
  PendingCall* call = it->second;
  c.pending.erase(it);
  message.trim_front(env.header_size);
  call->complete(Response{env.type, s.options.format.protocol, s.options.limits,
                          std::move(message)});
  return Status();
}

Task<void> connection_lifetime(ChannelState& s,
                               std::shared_ptr<ClientConnection> c);

Task<void> run_connection(std::shared_ptr<ChannelState> keep,
                          std::shared_ptr<ClientConnection> c) {
  ChannelState& s = *keep;
  co_await connection_lifetime(s, c);
  if (--s.running == 0) s.all_stopped.set();
}

Task<void> connection_lifetime(ChannelState& s,
                               std::shared_ptr<ClientConnection> c) {
  c->stop.chain_to(co_await current_cancel_source());
  TcpStream::ConnectOptions connect_options;
  connect_options.timeout = s.options.connect_timeout;
  Result<TcpStream> stream = co_await run_under(
      &c->stop, TcpStream::connect(s.address, connect_options));
  if (!stream.ok()) {
    break_connection(s, *c, connection_failed(s, message_of(stream.status())));
    co_return;
  }
  c->stream = std::move(*stream);
  c->connected = true;
  c->ready.set();

  TaskGroup writer;
  writer.spawn(write_loop(s, c));
  MessageSplitter splitter(s.options.format, s.options.limits);
  IoBuf pending;
  Status why;
  for (;;) {
    Result<IoBuf> got = co_await run_under(&c->stop, c->stream.read());
    if (!got.ok()) {
      why = got.status();
      break;
    }
    if (got->empty()) {
      why = absl::UnavailableError("closed by the server");
      break;
    }
    pending.append(std::move(*got));
    for (;;) {
      Result<std::optional<IoBuf>> message = splitter.next(pending);
      if (!message.ok()) {
        why = message.status();
        break;
      }
      if (!message->has_value()) break;
      why = deliver(s, *c, std::move(**message));
      if (!why.ok()) break;
    }
    if (!why.ok()) break;
  }
  break_connection(s, *c, connection_failed(s, message_of(why)));
  co_await writer.join();
  co_await c->stream.close();
}

// The announcement's (empty) argument struct.
struct NoArgs {
  template <class W>
  void write(W& w) const {
    w.write_struct_begin("");
    w.write_field_stop();
    w.write_struct_end();
  }
};

// Opens a new connection (in the background) and adds it to the pool.
std::shared_ptr<ClientConnection> open_connection(ChannelState& s) {
  auto c = std::make_shared<ClientConnection>();
  c->channel = &s;
  if (s.options.multiplex) {
    // The announcement goes first, before any call can be queued.
    const std::size_t frame = begin_frame(c->out, s.options.format.framing);
    NoArgs none;
    Request announce{kMultiplexAnnouncement, true, &none, &encode_call<NoArgs>};
    announce.encode_to(s.options.format.protocol, 0, c->out);
    finish_frame(c->out, s.options.format.framing, frame);
  }
  s.conns.push_back(c);
  ++s.running;
  s.all_stopped.reset();
  spawn(run_connection(s.shared_from_this(), c));
  return c;
}

Task<Status> wait_event(Event& e) { co_return co_await e.wait(); }

// Waits for `e` until `deadline` (if any).
Task<Status> wait_until(Event& e, std::optional<Clock::time_point> deadline) {
  if (!deadline) co_return co_await e.wait();
  co_return co_await with_timeout(
      wait_event(e), std::max<Clock::duration>(*deadline - clock_now(), {}));
}

// A connected connection for the next call.
Task<Result<std::shared_ptr<ClientConnection>>> pick(
    ChannelState& s, std::optional<Clock::time_point> deadline) {
  const std::size_t max = std::max<std::size_t>(s.options.connections, 1);
  for (;;) {
    std::shared_ptr<ClientConnection> c;
    if (s.options.multiplex) {
      if (s.conns.size() < max) {
        c = open_connection(s);
      } else {
        c = s.conns[s.next++ % s.conns.size()];
      }
    } else {
      for (const auto& candidate : s.conns) {
        if (candidate->connected && candidate->busy == 0) {
          c = candidate;
          break;
        }
      }
      if (!c && s.conns.size() < max) c = open_connection(s);
      if (!c) {
        s.freed.reset();
        FERRY_CO_RETURN_IF_ERROR(co_await wait_until(s.freed, deadline));
        continue;
      }
    }
    if (!c->connected && !c->broken) {
      FERRY_CO_RETURN_IF_ERROR(co_await wait_until(c->ready, deadline));
    }
    if (c->broken) co_return c->failure;
    if (!s.options.multiplex && c->busy != 0) continue;  // taken meanwhile
    co_return c;
  }
}

}  // namespace

ChannelOwner::~ChannelOwner() {
  // Off the worker the runtime has already stopped these connections.
  if (!current_worker_index().has_value()) return;
  auto conns = state->conns;
  for (const auto& c : conns) {
    break_connection(*state, *c, cancelled_status("thrift channel closed"));
  }
}

}  // namespace detail

Channel Channel::create(SocketAddress address, ChannelOptions options) {
  auto s = std::make_shared<detail::ChannelState>();
  s->address = address;
  s->options = std::move(options);
  s->peer = address.to_string();
  auto owner = std::make_shared<detail::ChannelOwner>();
  owner->state = std::move(s);
  return Channel(std::move(owner));
}

Task<Result<Response>> Channel::call(Context& cx, Request request) {
  std::shared_ptr<detail::ChannelOwner> keep = owner_;
  detail::ChannelState& s = *keep->state;
  if (s.options.request_timeout.count() > 0) {
    cx.narrow_deadline(clock_now() + s.options.request_timeout);
  }
  cx.peer = s.address;
  FERRY_CO_ASSIGN_OR_RETURN(std::shared_ptr<detail::ClientConnection> c,
                            co_await detail::pick(s, cx.deadline));
  if (!s.options.multiplex) ++c->busy;
  const std::int32_t seqid = c->take_seqid();
  const std::size_t frame = begin_frame(c->out, s.options.format.framing);
  request.encode_to(s.options.format.protocol, seqid, c->out);
  finish_frame(c->out, s.options.format.framing, frame);
  c->has_output.set();
  cx.stats.sent = now();

  detail::PendingCall call(c.get(), seqid, cx.deadline);
  if (request.oneway) {
    c->oneway_queued.push_back(&call);
  } else {
    c->pending.emplace(seqid, &call);
  }
  Result<Response> response = co_await call;
  cx.stats.received = now();
  if (!s.options.multiplex) {
    --c->busy;
    if (!response.ok() && !c->broken) {
      // An abandoned exclusive call leaves its reply in the pipe: the
      // connection is unusable for the next caller.
      detail::break_connection(s, *c, response.status());
    }
    s.freed.set();
  }
  co_return response;
}

Task<void> Channel::close() {
  std::shared_ptr<detail::ChannelState> keep = owner_->state;
  auto conns = keep->conns;
  for (const auto& c : conns) {
    detail::break_connection(*keep, *c,
                             cancelled_status("thrift channel closed"));
  }
  if (keep->running > 0) (void)co_await keep->all_stopped.wait();
}

const SocketAddress& Channel::address() const noexcept {
  return owner_->state->address;
}

std::size_t Channel::open_connections() const noexcept {
  return owner_->state->conns.size();
}

}  // namespace ferry::thrift
