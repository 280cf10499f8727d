// Runs a loopback round trip through an installed (or vendored) ferry.
#include <cstdio>

#include "runtime/net.h"
#include "runtime/runtime.h"

ferry::Task<ferry::Status> round_trip() {
  FERRY_CO_ASSIGN_OR_RETURN(
      ferry::TcpListener listener,
      ferry::TcpListener::bind(ferry::SocketAddress::loopback_v4(0)));
  FERRY_CO_ASSIGN_OR_RETURN(
      ferry::TcpStream client,
      co_await ferry::TcpStream::connect(listener.local_address()));
  FERRY_CO_ASSIGN_OR_RETURN(ferry::TcpStream server,
                            co_await listener.accept());
  FERRY_CO_RETURN_IF_ERROR(
      co_await client.write(ferry::IoBuf::copy_from("consumer")));
  FERRY_CO_ASSIGN_OR_RETURN(ferry::IoBuf got, co_await server.read_exact(8));
  if (!(got == "consumer")) co_return absl::DataLossError("mismatch");
  co_return ferry::Status();
}

int main() {
  ferry::Status s = ferry::block_on(round_trip());
  std::printf("consumer: %s\n", s.ToString().c_str());
  return s.ok() ? 0 : 1;
}
