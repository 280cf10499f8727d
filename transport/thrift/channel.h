#pragma once

// `thrift::Channel`: the client transport, a `Service<thrift::Request>`
// that generated clients call through (usually under middleware layers).
//
//   auto channel = thrift::Channel::create(addr, {.format = {kFramed,
//                                                            kBinary}});
//   CalcClient client(ServiceBuilder()
//                         .layer(TimeoutLayer(200ms))
//                         .layer(RetryLayer(...))
//                         .service(channel));
//   Result<int32_t> sum = co_await client.add(1, 2);
//
// Connections (per channel, which is per address and per worker):
// - Multiplexed (default): `connections` connections, used round-robin;
//   any number of calls share one, each matched to its reply by seqid. The
//   first message announces this to ferry servers (a oneway
//   `__ferry_multiplex__`), which may then reply out of order; other
//   servers answer it with UNKNOWN_METHOD, which is ignored.
// - Exclusive (`multiplex = false`): one call per connection at a time, up
//   to `connections` of them; further calls wait for one to free up.
// - Requests written in one loop turn leave in one gathered write.
// - A connection that fails (reset, EOF, malformed reply) fails the calls
//   waiting on it with kUnavailable and is replaced on the next call.
//
// Deadlines: the call's `cx.deadline` (narrowed by `request_timeout` when
// set) bounds connecting and waiting for the reply: kDeadlineExceeded, the
// reply dropped if it comes later. Connecting is also bounded by
// `connect_timeout`. Cancelling the calling task (Timeout layers, select)
// abandons the call the same way. Oneway calls complete once written.
//
// A Channel is a cheap handle (copies share the connections) and must be
// used on one worker. Its connections run in that worker's root task group:
// dropping the last handle closes them, and so does the runtime stopping.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "codec/protocol.h"
#include "middleware/context.h"
#include "runtime/net.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "transport/thrift/framing.h"
#include "transport/thrift/service.h"

namespace ferry::thrift {

struct ChannelOptions {
  WireFormat format;
  bool multiplex = true;
  // Multiplexed: connections shared round-robin. Exclusive: the most open
  // at once.
  std::size_t connections = 1;
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(2)};
  // Upper bound on each call (on top of cx.deadline); zero: none.
  std::chrono::milliseconds request_timeout{0};
  codec::DecodeLimits limits;
};

namespace detail {
struct ChannelOwner;
}

class Channel {
 public:
  using Response = thrift::Response;

  static Channel create(SocketAddress address, ChannelOptions options = {});

  Task<Result<Response>> call(Context& cx, Request request);

  // Fails the calls in flight (kCancelled) and closes every connection.
  Task<void> close();

  const SocketAddress& address() const noexcept;
  // Connections currently open or being opened.
  std::size_t open_connections() const noexcept;

 private:
  explicit Channel(std::shared_ptr<detail::ChannelOwner> o)
      : owner_(std::move(o)) {}
  std::shared_ptr<detail::ChannelOwner> owner_;
};

}  // namespace ferry::thrift
