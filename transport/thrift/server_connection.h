#pragma once

// One server connection (part of transport/thrift/server.h; see there for
// the behaviour). Templated on the worker's stack so every request runs
// through it with static dispatch.
//
// Three kinds of task share the connection, all on its worker:
// - the reader (`run`): reads, splits messages, decodes each envelope and
//   spawns a request task; it stops on EOF, an error, malformed input or
//   drain();
// - one request task per call: runs the stack and hands the reply to
//   `complete`, which appends it to `out_` in reply order. A call the stack
//   can serve synchronously (`call_inline`: a Processor whose handler
//   method does not return a Task) skips the task: the reader serves it
//   and the reply is encoded straight into the output buffer;
// - the writer: wakes once per loop turn in which replies arrived and
//   writes everything pending with one gathered write.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/compact_protocol.h"
#include "codec/message.h"
#include "middleware/context.h"
#include "runtime/cancel.h"
#include "runtime/event.h"
#include "runtime/io_buf.h"
#include "runtime/net.h"
#include "runtime/task.h"
#include "runtime/task_group.h"
#include "runtime/time.h"
#include "transport/thrift/envelope.h"
#include "transport/thrift/framing.h"
#include "transport/thrift/processor.h"
#include "transport/thrift/server.h"

namespace ferry::thrift::detail {

template <class Stack>
class ServerConnection final : public ServerConnectionBase {
 public:
  ServerConnection(ServerWorker& worker, Stack& stack, TcpStream stream)
      : worker_(worker),
        stack_(stack),
        stream_(std::move(stream)),
        last_activity_(now()) {
    inline_cx_.peer = stream_.peer_address();
  }

  Task<void> run();

  void drain() noexcept override { read_cancel_.cancel(); }
  Clock::time_point last_activity() const noexcept override {
    return last_activity_;
  }
  std::size_t in_flight() const noexcept override { return in_flight_; }

 private:
  static constexpr uint64_t kNoOrdinal = ~uint64_t{0};

  // Reads until EOF, an error, malformed input or drain().
  Task<void> read_loop();
  // Returns false when the connection must close.
  bool dispatch(IoBuf message);
  static constexpr bool kInline = requires(
      Stack & stack, Context& cx, InlineRequest& req, codec::WriteBuffer& out) {
    stack.call_inline(cx, req, out);
  };
  // Serves the call synchronously if the stack can; returns false, having
  // done nothing, if it must run as a request task.
  bool serve_inline(const Envelope& env, codec::ChainInput&& body);
  // Framed: serves the complete frames at the front of `pending`'s first
  // slice in place, with no IoBuf per message, while the stack serves them
  // synchronously; stops at the first it cannot, which takes the
  // splitter's way.
  void serve_in_place(IoBuf& pending);
  Task<void> handle(std::string name, codec::MessageType type,
                    std::int32_t seqid, IoBuf body, uint64_t ordinal);
  void complete(uint64_t ordinal, IoBuf reply);
  // Small replies are copied into one contiguous buffer (one iovec, no
  // slice-vector growth for a burst of them); large ones are chained
  // without a copy, after whatever small ones precede them.
  void push_out(IoBuf reply) {
    if (reply.size() <= kCoalesceLimit) {
      for (const IoBuf::Slice& slice : reply.slices()) {
        out_small_.append(slice.data, slice.size);
      }
    } else {
      flush_small();
      out_.append(std::move(reply));
    }
    output_ready();
  }
  void flush_small() {
    if (out_small_.size() == 0) return;
    // take() makes the next chunk as large as this one: after a burst of
    // large replies, go back to the default size.
    const bool oversized = out_small_.capacity() > kSmallBufferKeep;
    out_.append(out_small_.take());
    if (oversized) out_small_ = codec::WriteBuffer();
  }
  void output_ready() {
    if (!has_output_.is_set()) has_output_.set();
  }
  Task<void> write_loop();

  ServerWorker& worker_;
  Stack& stack_;
  TcpStream stream_;
  Clock::time_point last_activity_;
  CancelSource read_cancel_;
  // The Context of every synchronous call, reset for each: cheaper than a
  // fresh one (that is a 240-byte memset and a destructor per call).
  Context inline_cx_;
  std::optional<MessageSplitter> splitter_;
  WireFormat format_;         // the splitter's, once known
  bool multiplexed_ = false;  // replies may leave in completion order
  bool closing_ = false;      // the reader is done
  bool broken_ = false;       // a write failed: drop further replies
  std::size_t in_flight_ = 0;
  TaskGroup tasks_;  // request tasks and the writer
  // Reply ordering: the ordinal the next written reply must have, and the
  // replies that finished ahead of it (index i <-> ordinal next_out_ + i).
  uint64_t next_ordinal_ = 0;
  uint64_t next_out_ = 0;
  std::deque<std::optional<IoBuf>> parked_;
  static constexpr std::size_t kCoalesceLimit = 2048;
  static constexpr std::size_t kSmallBufferKeep = 64 * 1024;
  codec::WriteBuffer out_small_;  // replies not yet moved to out_
  IoBuf out_;
  Event has_output_;
};

template <class Stack>
Task<void> serve_connection(ServerWorker& worker, Stack& stack,
                            TcpStream stream) {
  ServerConnection<Stack> conn(worker, stack, std::move(stream));
  transport::register_connection(worker, &conn);
  co_await conn.run();
  transport::unregister_connection(worker, &conn);
}

template <class Stack>
Task<void> ServerConnection<Stack>::run() {
  read_cancel_.chain_to(co_await current_cancel_source());
  tasks_.spawn(write_loop());
  co_await read_loop();
  closing_ = true;
  has_output_.set();  // the writer re-checks whether it is done
  co_await tasks_.join();
  co_await stream_.close();
}

template <class Stack>
Task<void> ServerConnection<Stack>::read_loop() {
  const ServerOptions& options = *worker_.options;
  IoBuf pending;
  if (options.format) {
    splitter_.emplace(*options.format, options.limits);
    format_ = *options.format;
  }
  for (;;) {
    Result<IoBuf> got = co_await run_under(&read_cancel_, stream_.read());
    last_activity_ = now();
    if (!got.ok()) {
      if (got.status().code() != absl::StatusCode::kCancelled) {
        transport::log_connection(worker_, stream_.peer_address(),
                                  message_of(got.status()));
      }
      co_return;
    }
    if (got->empty()) {  // the peer closed its side
      if (pending.size() > 0 || (splitter_ && splitter_->partial_bytes())) {
        transport::log_connection(worker_, stream_.peer_address(),
                                  "peer closed in the middle of a message");
      }
      co_return;
    }
    pending.append(std::move(*got));
    if (!splitter_) {
      Detection d =
          detect_wire_format(pending, options.limits.max_message_size);
      if (d.result == Detect::kNeedMore) continue;
      if (d.result == Detect::kUnrecognized) {
        ++worker_.stats.connections_closed_malformed;
        transport::log_connection(worker_, stream_.peer_address(), d.error);
        co_return;
      }
      splitter_.emplace(d.format, options.limits);
      format_ = d.format;
    }
    for (;;) {
      if constexpr (kInline) serve_in_place(pending);
      Result<std::optional<IoBuf>> message = splitter_->next(pending);
      if (!message.ok()) [[unlikely]] {
        ++worker_.stats.connections_closed_malformed;
        transport::log_connection(worker_, stream_.peer_address(),
                                  message_of(message.status()));
        co_return;
      }
      if (!message->has_value()) break;
      if (!dispatch(std::move(**message))) co_return;
    }
  }
}

template <class Stack>
bool ServerConnection<Stack>::dispatch(IoBuf message) {
  Envelope env;
  if (Status s = read_envelope(message, format_.protocol,
                               worker_.options->limits, env);
      !s.ok()) [[unlikely]] {
    ++worker_.stats.connections_closed_malformed;
    transport::log_connection(worker_, stream_.peer_address(), message_of(s));
    return false;
  }
  if (env.type != codec::MessageType::kCall &&
      env.type != codec::MessageType::kOneway) [[unlikely]] {
    ++worker_.stats.connections_closed_malformed;
    transport::log_connection(
        worker_, stream_.peer_address(),
        "received a message that is neither a call nor oneway");
    return false;
  }
  if (env.type == codec::MessageType::kOneway &&
      env.name.size() == kMultiplexAnnouncement.size() &&
      env.name == kMultiplexAnnouncement) [[unlikely]] {
    // Only as the first call: replies already owed keep their order.
    if (next_ordinal_ == 0) multiplexed_ = true;
    return true;
  }
  ++worker_.stats.requests;
  if constexpr (kInline) {
    codec::ChainInput body(message);
    body.skip(env.header_size);
    if (serve_inline(env, std::move(body))) return true;
  }
  std::string name(env.name);  // before the trim: it may view those bytes
  message.trim_front(env.header_size);
  const uint64_t ordinal =
      env.type == codec::MessageType::kOneway ? kNoOrdinal : next_ordinal_++;
  ++in_flight_;
  // Most handlers finish without waiting: run the call right here, so its
  // reply joins this turn's batch; one that waits carries on in tasks_.
  tasks_.start(handle(std::move(name), env.type, env.seqid, std::move(message),
                      ordinal));
  return true;
}

template <class Stack>
void ServerConnection<Stack>::serve_in_place(IoBuf& pending) {
  std::size_t served = 0;  // bytes of the frames served
  // Every call ends before the trim, so argument views into `pending`
  // stay valid while they are used.
  while (std::optional<std::string_view> frame =
             splitter_->contiguous_frame(pending, served)) {
    Envelope env;
    if (!read_contiguous_envelope(*frame, format_.protocol, env) ||
        (env.type == codec::MessageType::kOneway &&
         env.name == kMultiplexAnnouncement)) {
      break;  // dispatch() has the errors, the announcement, the rarities
    }
    if (!serve_inline(env,
                      codec::ChainInput(frame->data() + env.header_size,
                                        frame->size() - env.header_size))) {
      break;
    }
    ++worker_.stats.requests;
    served += 4 + frame->size();
  }
  if (served > 0) pending.trim_front(served);
}

template <class Stack>
bool ServerConnection<Stack>::serve_inline(const Envelope& env,
                                           codec::ChainInput&& body) {
  Context& cx = inline_cx_;
  cx.reset_for_next_call();
  cx.method = env.name;
  InlineRequest request{env.name, env.type,        env.seqid,
                        format_,  std::move(body), &worker_.options->limits};
  const bool oneway = env.type == codec::MessageType::kOneway;
  const uint64_t ordinal = oneway ? kNoOrdinal : next_ordinal_;
  // In reply order (or multiplexed): encode straight into the output.
  // Otherwise into a buffer of its own, parked by complete().
  const bool direct =
      !broken_ && (multiplexed_ || (ordinal == next_out_ && parked_.empty()));
  std::optional<codec::WriteBuffer> parked;  // made only when needed
  codec::WriteBuffer& out = direct ? out_small_ : parked.emplace();
  std::optional<Status> served = stack_.call_inline(cx, request, out);
  if (!served) return false;
  if (oneway) {
    if (!served->ok()) log_oneway_failure(env.name, *served);
    return true;
  }
  ++next_ordinal_;
  if (!served->ok()) [[unlikely]] {
    encode_exception_reply_to(out, format_, env.name, env.seqid, *served);
  }
  if (direct) {
    if (!multiplexed_) ++next_out_;
    output_ready();
  } else {
    complete(ordinal, parked->take());
  }
  return true;
}

template <class Stack>
Task<void> ServerConnection<Stack>::handle(std::string name,
                                           codec::MessageType type,
                                           std::int32_t seqid, IoBuf body,
                                           uint64_t ordinal) {
  Context cx;
  cx.peer = stream_.peer_address();
  cx.method = name;
  ServerRequest request{
      name, type, seqid, format_, std::move(body), &worker_.options->limits};
  Result<ServerResponse> response =
      co_await stack_.call(cx, std::move(request));
  if (ordinal != kNoOrdinal) {
    if (response.ok()) [[likely]] {
      complete(ordinal, std::move(response->reply));
    } else {
      complete(ordinal,
               encode_exception_reply(format_, name, seqid, response.status()));
    }
  } else if (!response.ok()) {
    log_oneway_failure(name, response.status());
  }
  if (--in_flight_ == 0 && closing_) has_output_.set();
}

template <class Stack>
void ServerConnection<Stack>::complete(uint64_t ordinal, IoBuf reply) {
  if (broken_) return;
  if (multiplexed_) {
    push_out(std::move(reply));
    return;
  }
  if (ordinal == next_out_ && parked_.empty()) [[likely]] {
    ++next_out_;
    push_out(std::move(reply));
    return;
  }
  const std::size_t index = ordinal - next_out_;
  if (parked_.size() <= index) parked_.resize(index + 1);
  parked_[index] = std::move(reply);
  while (!parked_.empty() && parked_.front().has_value()) {
    push_out(std::move(*parked_.front()));
    parked_.pop_front();
    ++next_out_;
  }
}

template <class Stack>
Task<void> ServerConnection<Stack>::write_loop() {
  for (;;) {
    flush_small();
    if (out_.empty()) {
      if (closing_ && in_flight_ == 0) co_return;
      has_output_.reset();
      if (Status s = co_await has_output_.wait(); !s.ok()) co_return;
      continue;
    }
    Status s = co_await stream_.write(std::move(out_));
    if (!s.ok()) {
      if (s.code() != absl::StatusCode::kCancelled) {
        transport::log_connection(worker_, stream_.peer_address(),
                                  message_of(s));
      }
      broken_ = true;
      out_.clear();
      out_small_.clear();
      parked_.clear();
      read_cancel_.cancel();
      co_return;
    }
  }
}

}  // namespace ferry::thrift::detail
