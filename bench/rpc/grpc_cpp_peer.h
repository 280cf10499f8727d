#pragma once

// The serving loop of the gRPC C++ reference servers (bench/rpc's
// grpc_cpp_echo_server and grpc_cpp_stream_server, tests/interop/grpc's
// grpc_cpp_interop_server), and the whole main() of the two bench ones:
// gRPC C++ and bench/common/peer_main.h only, none of ferry's code.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "bench/common/peer_main.h"

namespace ferry::bench_common {

// Serves `service` on 127.0.0.1:`port` (plaintext; 0 picks a free port),
// prints `LISTENING <port>`, and runs until `stop` sees SIGINT/SIGTERM (or
// `max_seconds` pass, when positive); then shuts down, giving in-flight
// calls 1 s. `threads` > 0 sets the server's ResourceQuota thread limit
// (gRPC C++'s only thread knob for the callback API); 0 keeps gRPC's
// defaults. `stop` must have been constructed before gRPC started any
// thread. Returns the exit code: 0, or 1 (said on stderr, prefixed with
// `name`) when the port cannot be listened on.
inline int serve_grpc_cpp(const std::string& name, grpc::Service* service,
                          int port, int threads, double max_seconds,
                          const StopSignals& stop) {
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                           grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(service);
  if (threads > 0) {
    grpc::ResourceQuota quota(name);
    quota.SetMaxThreads(threads);
    builder.SetResourceQuota(quota);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected_port == 0) {
    std::cerr << name << ": cannot listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  announce_listening(selected_port);
  stop.wait(max_seconds);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->Wait();
  return 0;
}

// main() of a benchmark's gRPC C++ server serving a `Service`:
//
//   <name> [--port 0] [--threads N] [--max-seconds S]
//
// as serve_grpc_cpp describes; after shutdown prints `<name>: N <counted>`
// with N read from `count`, and returns 0. Bad flags: the error and the
// usage on stderr, exit code 2.
template <class Service>
int grpc_cpp_bench_main(const std::string& name, int argc, char** argv,
                        const std::atomic<uint64_t>& count,
                        const char* counted) {
  int port = 0;
  int threads = 0;  // 0: gRPC's defaults
  double max_seconds = 0;
  PeerFlags flags(argc, argv, {"port", "threads", "max-seconds"});
  flags.number("port", 0, 65535, &port);
  flags.number("threads", 1, 256, &threads);
  flags.number("max-seconds", 0.0, 1e9, &max_seconds);
  if (!flags.ok()) {
    return flags.usage_error(name, "usage: " + name +
                                       " [--port 0] [--threads N] "
                                       "[--max-seconds S]\n");
  }
  // Before gRPC starts any thread, so all of them inherit the mask.
  const StopSignals stop;
  Service service;
  const int rc =
      serve_grpc_cpp(name, &service, port, threads, max_seconds, stop);
  if (rc != 0) return rc;
  std::printf("%s: %llu %s\n", name.c_str(),
              static_cast<unsigned long long>(count.load()), counted);
  return 0;
}

}  // namespace ferry::bench_common
