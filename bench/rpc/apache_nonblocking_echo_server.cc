// apache_nonblocking_echo_server: the Apache Thrift C++ server ferry's Thrift
// echo benchmark is quoted against. Serves Echo.echo from
// ../shared/bench/bench.thrift (returns its argument) on Apache's
// TNonblockingServer (libevent): framed transport, binary protocol, the
// handler run on the IO threads (no thread pool), as Apache recommends for
// cheap handlers.
//
//   apache_nonblocking_echo_server [--port 0] [--io-threads 2]
//                                  [--max-seconds S]
//
// Listens on 127.0.0.1 only; --port 0 (the default) picks a free port.
// Prints `LISTENING <port>` on stdout once connections can be made. Runs
// until SIGINT/SIGTERM (or S seconds), then prints `apache_nonblocking_echo_
// server: N messages echoed` and exits 0. Flags are written --name value or
// --name=value.
//
// The processor and protocol are Apache's templated ones specialised for
// TBufferBase (TNonblockingServer reads each frame into a TMemoryBuffer):
// its fastest configuration, so ferry is compared with Apache at its best.

#include <pthread.h>
#include <signal.h>
#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TNonblockingServer.h>
#include <thrift/transport/TNonblockingServerSocket.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "apache_bench/Echo.h"

namespace {

using apache::thrift::protocol::TBinaryProtocolFactoryT;
using apache::thrift::protocol::TBinaryProtocolT;
using apache::thrift::server::TNonblockingServer;
using apache::thrift::server::TServerEventHandler;
using apache::thrift::transport::TBufferBase;
using apache::thrift::transport::TNonblockingServerSocket;

std::atomic<uint64_t> g_echoed{0};

class EchoHandler : public apache_bench::EchoIf {
 public:
  void echo(apache_bench::Small& out, const apache_bench::Small& req) override {
    out = req;
    g_echoed.fetch_add(1, std::memory_order_relaxed);
  }
};

// Prints the port once the server listens: TNonblockingServer calls
// preServe after binding, before its IO threads start.
class AnnouncePort : public TServerEventHandler {
 public:
  explicit AnnouncePort(TNonblockingServer* server) : server_(server) {}
  void preServe() override {
    std::printf("LISTENING %d\n", server_->getListenPort());
    std::fflush(stdout);
    started.store(true);
  }
  std::atomic<bool> started{false};

 private:
  TNonblockingServer* server_;
};

struct Options {
  int port = 0;
  int io_threads = 2;
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
      } else if (arg == "io-threads") {
        o->io_threads = std::stoi(value);
        if (o->io_threads < 1 || o->io_threads > 64) return false;
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
    std::cerr << "usage: apache_nonblocking_echo_server [--port 0] "
                 "[--io-threads 2] [--max-seconds S]\n";
    return 2;
  }
  // Blocked before any thread starts, so every IO thread inherits the mask
  // and only wait_for_stop sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  using Protocol = TBinaryProtocolT<TBufferBase>;
  auto processor = std::make_shared<apache_bench::EchoProcessorT<Protocol>>(
      std::make_shared<EchoHandler>());
  auto protocol = std::make_shared<TBinaryProtocolFactoryT<TBufferBase>>();
  auto socket = std::make_shared<TNonblockingServerSocket>("127.0.0.1", o.port);
  TNonblockingServer server(processor, protocol, socket);
  server.setNumIOThreads(static_cast<size_t>(o.io_threads));
  auto announce = std::make_shared<AnnouncePort>(&server);
  server.setServerEventHandler(announce);

  std::thread serving([&server] {
    try {
      server.serve();
    } catch (const std::exception& e) {
      std::cerr << "apache_nonblocking_echo_server: " << e.what() << "\n";
      std::_Exit(1);
    }
  });
  wait_for_stop(signals, o.max_seconds);

  // stop() is lost if it comes before the IO threads registered their
  // wake-up pipes (a signal right at start-up): repeat it until serve()
  // returns, and give up after 10 s.
  std::atomic<bool> done{false};
  std::thread stopper([&] {
    for (int i = 0; i < 100 && !done.load(); ++i) {
      if (announce->started.load()) server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!done.load()) {
      std::cerr << "apache_nonblocking_echo_server: did not stop in 10 s\n";
      std::_Exit(1);
    }
  });
  serving.join();
  done.store(true);
  stopper.join();
  std::printf("apache_nonblocking_echo_server: %llu messages echoed\n",
              static_cast<unsigned long long>(g_echoed.load()));
  return 0;
}
