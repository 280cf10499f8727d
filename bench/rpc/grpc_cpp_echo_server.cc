// grpc_cpp_echo_server: the gRPC C++ server ferry's gRPC echo benchmark is
// quoted against. Serves Echo.Echo from ../shared/bench/bench.proto
// (/ferry.bench.Echo/Echo: the reply is the request) on gRPC C++'s callback
// API (Debian's 1.51), plaintext HTTP/2, no compression.
//
//   grpc_cpp_echo_server [--port 0] [--threads N] [--max-seconds S]
//
// Listens on 127.0.0.1 only; --port 0 (the default) picks a free port.
// Prints `LISTENING <port>` on stdout once connections can be made. Runs
// until SIGINT/SIGTERM (or S seconds), then prints `grpc_cpp_echo_server: N
// messages echoed` and exits 0. Flags are written --name value or
// --name=value.
//
// --threads N: gRPC C++ 1.51 has no knob for the callback API's threads
// (callbacks run on gRPC core's poller and executor/event-engine threads,
// sized from the CPU count). The flag sets what can be set, the server's
// ResourceQuota thread limit (ServerBuilder::SetResourceQuota, which bounds
// the threads gRPC C++ starts for the server itself); to bound CPU use, pin
// the process with taskset, as scripts/bench_rpc.py does for every server.
// Without the flag gRPC's defaults apply.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>

#include "bench.grpc.pb.h"
#include "bench/rpc/grpc_cpp_peer.h"

namespace {

std::atomic<uint64_t> g_echoed{0};

class EchoService final : public ferry::bench::Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx,
                                 const ferry::bench::Small* request,
                                 ferry::bench::Small* response) override {
    *response = *request;
    g_echoed.fetch_add(1, std::memory_order_relaxed);
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  return ferry::bench_common::grpc_cpp_bench_main<EchoService>(
      "grpc_cpp_echo_server", argc, argv, g_echoed, "messages echoed");
}
