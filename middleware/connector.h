#pragma once

// `TcpConnector`: dialing as a Service (address in, connected stream out),
// so the same layers that guard calls guard connection setup too.
//
//   auto dial = ServiceBuilder()
//                   .layer(TimeoutLayer(200ms))          // connect timeout
//                   .layer(ConcurrencyLimitLayer(16))    // dials in flight
//                   .service(TcpConnector());
//   Result<TcpStream> s = co_await dial.call(cx, addr);
//
// Client transports take a connector of this shape (any
// `Service<SocketAddress>` whose Response is TcpStream); `cx.peer` is set to
// the address being dialed so per-instance layers (CircuitBreaker) key on it.

#include <chrono>
#include <utility>

#include "middleware/service.h"
#include "runtime/net.h"

namespace ferry {

class TcpConnector {
 public:
  using Response = TcpStream;

  // `options.timeout` is the connector's own upper bound; a Timeout layer
  // (or the Context deadline it enforces) usually cuts it shorter.
  TcpConnector() = default;
  explicit TcpConnector(TcpStream::ConnectOptions options)
      : options_(options) {}

  Task<Result<TcpStream>> call(Context& cx, SocketAddress addr) {
    cx.peer = addr;
    return TcpStream::connect(addr, options_);
  }

 private:
  TcpStream::ConnectOptions options_;
};

static_assert(Service<TcpConnector, SocketAddress>);

}  // namespace ferry
