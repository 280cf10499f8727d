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

#include <thrift/protocol/TBinaryProtocol.h>
#include <thrift/server/TNonblockingServer.h>
#include <thrift/transport/TNonblockingServerSocket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "apache_bench/Echo.h"
#include "bench/common/peer_main.h"

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
    ferry::bench_common::announce_listening(server_->getListenPort());
    started.store(true);
  }
  std::atomic<bool> started{false};

 private:
  TNonblockingServer* server_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int io_threads = 2;
  double max_seconds = 0;
  ferry::bench_common::PeerFlags flags(argc, argv,
                                       {"port", "io-threads", "max-seconds"});
  flags.number("port", 0, 65535, &port);
  flags.number("io-threads", 1, 64, &io_threads);
  flags.number("max-seconds", 0.0, 1e9, &max_seconds);
  if (!flags.ok()) {
    return flags.usage_error("apache_nonblocking_echo_server",
                             "usage: apache_nonblocking_echo_server "
                             "[--port 0] [--io-threads 2] [--max-seconds S]\n");
  }
  // Before any thread starts, so every IO thread inherits the mask.
  const ferry::bench_common::StopSignals stop;

  using Protocol = TBinaryProtocolT<TBufferBase>;
  auto processor = std::make_shared<apache_bench::EchoProcessorT<Protocol>>(
      std::make_shared<EchoHandler>());
  auto protocol = std::make_shared<TBinaryProtocolFactoryT<TBufferBase>>();
  auto socket = std::make_shared<TNonblockingServerSocket>("127.0.0.1", port);
  TNonblockingServer server(processor, protocol, socket);
  server.setNumIOThreads(static_cast<size_t>(io_threads));
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
  stop.wait(max_seconds);

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
