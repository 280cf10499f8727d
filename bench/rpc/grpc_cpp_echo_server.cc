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
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "bench.grpc.pb.h"

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

struct Options {
  int port = 0;
  int threads = 0;  // 0: gRPC's defaults
  double max_seconds = 0;
};

bool parse_flags(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return false;
    arg.erase(0, 2);
    std::string value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.erase(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return false;
    }
    try {
      if (arg == "port") {
        o->port = std::stoi(value);
        if (o->port < 0 || o->port > 65535) return false;
      } else if (arg == "threads") {
        o->threads = std::stoi(value);
        if (o->threads < 1 || o->threads > 256) return false;
      } else if (arg == "max-seconds") {
        o->max_seconds = std::stod(value);
        if (!(o->max_seconds >= 0)) return false;
      } else {
        return false;
      }
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

// Waits (signals blocked on this thread) for SIGINT/SIGTERM, or until
// `max_seconds` pass when it is positive.
void wait_for_stop(const sigset_t& signals, double max_seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(max_seconds);
  for (;;) {
    if (max_seconds <= 0) {
      if (sigwaitinfo(&signals, nullptr) > 0) return;
      continue;
    }
    const std::chrono::duration<double> left =
        deadline - std::chrono::steady_clock::now();
    if (left.count() <= 0) return;
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(left.count());
    ts.tv_nsec = static_cast<long>(
        (left.count() - static_cast<double>(ts.tv_sec)) * 1e9);
    if (sigtimedwait(&signals, nullptr, &ts) > 0) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_flags(argc, argv, &o)) {
    std::cerr << "usage: grpc_cpp_echo_server [--port 0] [--threads N] "
                 "[--max-seconds S]\n";
    return 2;
  }
  // Blocked before gRPC starts any thread, so all of them inherit the mask
  // and only wait_for_stop sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  EchoService service;
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(o.port),
                           grpc::InsecureServerCredentials(), &selected_port);
  builder.RegisterService(&service);
  if (o.threads > 0) {
    grpc::ResourceQuota quota("grpc_cpp_echo_server");
    quota.SetMaxThreads(o.threads);
    builder.SetResourceQuota(quota);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || selected_port == 0) {
    std::cerr << "grpc_cpp_echo_server: cannot listen on 127.0.0.1:" << o.port
              << "\n";
    return 1;
  }
  std::printf("LISTENING %d\n", selected_port);
  std::fflush(stdout);

  wait_for_stop(signals, o.max_seconds);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server->Wait();
  std::printf("grpc_cpp_echo_server: %llu messages echoed\n",
              static_cast<unsigned long long>(g_echoed.load()));
  return 0;
}
