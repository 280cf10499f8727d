// One gRPC call from the user's own project: a ferry server and client in
// one process, over the stubs ferry_idl_library generated from hello.proto.
#include <iostream>

#include "hello.ferry.h"
#include "runtime/runtime.h"
#include "transport/grpc/channel.h"
#include "transport/grpc/server.h"

namespace {

struct Greeter {
  ferry::Task<ferry::Result<example::hello::HelloReply>> SayHello(
      ferry::Context&, const example::hello::HelloRequest& req) {
    example::hello::HelloReply reply;
    reply.set_message("hello, " + req.name());
    co_return reply;
  }
};

ferry::Task<ferry::Result<example::hello::HelloReply>> call(
    ferry::SocketAddress addr) {
  example::hello::Greeter::Client client(ferry::grpc::Channel::create(addr));
  example::hello::HelloRequest req;
  req.set_name("Ada");
  ferry::Context cx;
  co_return co_await client.SayHello(cx, req);
}

}  // namespace

int main() {
  Greeter greeter;
  ferry::grpc::ServiceRegistry services;
  services.add<example::hello::Greeter>(&greeter);
  auto server = ferry::grpc::Server::start({}, services);
  if (!server.ok()) {
    std::cerr << "server: " << server.status() << "\n";
    return 1;
  }
  auto reply = ferry::block_on(call((*server)->address()));
  (*server)->stop();
  if (!reply.ok() || reply->message() != "hello, Ada") {
    std::cerr << "grpc call failed: " << reply.status() << "\n";
    return 1;
  }
  std::cout << "idl_consumer_grpc: " << reply->message() << "\n";
  return 0;
}
