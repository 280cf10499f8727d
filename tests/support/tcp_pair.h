#pragma once

// Two connected loopback TcpStreams on the current worker (the listener is
// closed once the server side is accepted).

#include "runtime/net.h"
#include "runtime/status.h"
#include "runtime/task.h"

namespace ferry::testing {

struct TcpPair {
  TcpStream client;
  TcpStream server;
};

inline Task<Result<TcpPair>> connected_pair() {
  FERRY_CO_ASSIGN_OR_RETURN(TcpListener listener,
                            TcpListener::bind(SocketAddress::loopback_v4(0)));
  FERRY_CO_ASSIGN_OR_RETURN(
      TcpStream client, co_await TcpStream::connect(listener.local_address()));
  FERRY_CO_ASSIGN_OR_RETURN(TcpStream server, co_await listener.accept());
  co_await listener.close();
  co_return TcpPair{std::move(client), std::move(server)};
}

}  // namespace ferry::testing
