// raw_echo: a length-prefixed TCP echo server and client on ferry's runtime,
// with no RPC layer in between: the baseline the RPC benchmarks are read
// against, and the README's first demo.
//
//   raw_echo server --port 7000 --threads 2
//   raw_echo client --port 7000 --connections 8 --messages 1000 --payload 64
//   raw_echo demo          # both, in one process, on an ephemeral port
//
// Only stdout carries the lines scripts parse; diagnostics go to stderr.

#include <fmt/core.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "examples/raw_echo/echo_client.h"
#include "examples/raw_echo/echo_server.h"
#include "runtime/status.h"

namespace ferry::raw_echo {
namespace {

constexpr std::string_view kUsage =
    R"(usage:
  raw_echo server [--port N] [--threads T] [--host 127.0.0.1] [--max-seconds S]
      Echo server: every frame (4-byte big-endian length + payload) is sent
      back unchanged. --port 0 (the default) picks a free port; the first
      stdout line says which. Runs until SIGINT/SIGTERM or S seconds, then
      prints messages echoed and allocations per message after warm-up.
  raw_echo client --port N [--host 127.0.0.1] [--connections C]
                  [--messages M] [--payload B]
      C connections (default 1) each send M messages (default 1000) of B
      bytes (default 64) one at a time and verify every echo byte for byte.
  raw_echo demo
      A 2-worker server on an ephemeral port and 8 clients x 1000 messages
      x 64 bytes against it, in one process.

Flags are written --name value or --name=value. FERRY_IO_BACKEND=io_uring or
epoll in the environment chooses the I/O backend (default: io_uring when the
kernel allows it).
)";

// The flags after the mode, as (name, value) pairs in command-line order.
using Flags = std::vector<std::pair<std::string, std::string>>;

// Splits "--name value" and "--name=value". Sets *help on --help/-h.
Result<Flags> split_flags(int argc, char** argv, int first, bool* help) {
  Flags flags;
  for (int i = first; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      continue;
    }
    if (arg.size() < 3 || !arg.starts_with("--")) {
      return absl::InvalidArgumentError(
          fmt::format("unexpected argument '{}'", arg));
    }
    arg.remove_prefix(2);
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      flags.emplace_back(std::string(arg.substr(0, eq)),
                         std::string(arg.substr(eq + 1)));
      continue;
    }
    if (i + 1 >= argc) {
      return absl::InvalidArgumentError(fmt::format("--{} needs a value", arg));
    }
    flags.emplace_back(std::string(arg), std::string(argv[++i]));
  }
  return flags;
}

template <class T>
Status parse_uint(std::string_view name, std::string_view value, T min, T max,
                  T* out) {
  unsigned long long v = 0;
  const auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < min ||
      v > max) {
    return absl::InvalidArgumentError(fmt::format(
        "--{}: '{}' is not an integer in [{}, {}]", name, value, min, max));
  }
  *out = static_cast<T>(v);
  return Status();
}

Status parse_seconds(std::string_view name, std::string_view value,
                     double* out) {
  double v = 0;
  const auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || !(v >= 0)) {
    return absl::InvalidArgumentError(fmt::format(
        "--{}: '{}' is not a non-negative number of seconds", name, value));
  }
  *out = v;
  return Status();
}

Status unknown_flag(std::string_view mode, std::string_view name) {
  return absl::InvalidArgumentError(
      fmt::format("raw_echo {}: unknown flag --{}", mode, name));
}

constexpr std::size_t kMaxCount = std::numeric_limits<uint32_t>::max();

Status apply_server_flags(const Flags& flags, ServerOptions* o,
                          double* max_seconds) {
  for (const auto& [name, value] : flags) {
    if (name == "port") {
      FERRY_RETURN_IF_ERROR(
          parse_uint<uint16_t>(name, value, 0, 65535, &o->port));
    } else if (name == "threads") {
      FERRY_RETURN_IF_ERROR(
          parse_uint<std::size_t>(name, value, 1, 1024, &o->threads));
    } else if (name == "host") {
      o->host = value;
    } else if (name == "max-seconds") {
      FERRY_RETURN_IF_ERROR(parse_seconds(name, value, max_seconds));
    } else {
      return unknown_flag("server", name);
    }
  }
  return Status();
}

Status apply_client_flags(const Flags& flags, ClientOptions* o) {
  bool have_port = false;
  for (const auto& [name, value] : flags) {
    if (name == "port") {
      FERRY_RETURN_IF_ERROR(
          parse_uint<uint16_t>(name, value, 1, 65535, &o->port));
      have_port = true;
    } else if (name == "host") {
      o->host = value;
    } else if (name == "connections") {
      FERRY_RETURN_IF_ERROR(
          parse_uint<std::size_t>(name, value, 1, 100000, &o->connections));
    } else if (name == "messages") {
      FERRY_RETURN_IF_ERROR(
          parse_uint<std::size_t>(name, value, 0, kMaxCount, &o->messages));
    } else if (name == "payload") {
      FERRY_RETURN_IF_ERROR(
          parse_uint<std::size_t>(name, value, 0, kMaxCount, &o->payload));
    } else {
      return unknown_flag("client", name);
    }
  }
  if (!have_port) {
    return absl::InvalidArgumentError("raw_echo client: --port is required");
  }
  return Status();
}

int fail(const Status& s) {
  fmt::print(stderr, "raw_echo: error: {}\n", message_of(s));
  return 1;
}

// Waits on the calling thread (where they are blocked) for SIGINT/SIGTERM,
// or until `max_seconds` pass when it is positive.
void wait_for_stop(const sigset_t& signals, double max_seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(max_seconds));
  for (;;) {
    int sig;
    if (max_seconds > 0) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        fmt::print(stderr, "raw_echo: --max-seconds elapsed, stopping\n");
        return;
      }
      const auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      timespec ts{};
      ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
      sig = ::sigtimedwait(&signals, nullptr, &ts);
    } else {
      sig = ::sigwaitinfo(&signals, nullptr);
    }
    if (sig > 0) {
      fmt::print(stderr, "raw_echo: {}, stopping\n",
                 sig == SIGINT ? "SIGINT" : "SIGTERM");
      return;
    }
    // EAGAIN: the timeout, noticed at the top of the loop. EINTR: again.
  }
}

int server_main(const Flags& flags) {
  ServerOptions options;
  double max_seconds = 0;
  if (Status s = apply_server_flags(flags, &options, &max_seconds); !s.ok()) {
    return fail(s);
  }
  // Blocked before the runtime starts its threads, which inherit the mask:
  // the signals then wait for this thread's sigwait instead of killing the
  // process on whichever worker the kernel picks.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Result<std::unique_ptr<EchoServer>> server = EchoServer::start(options);
  if (!server.ok()) return fail(server.status());
  fmt::print("{}\n", listening_line(**server));
  std::fflush(stdout);

  wait_for_stop(signals, max_seconds);
  const ServerStats stats = (*server)->stats();
  (*server)->stop();
  print_stats(stats);
  return 0;
}

int client_main(const Flags& flags) {
  ClientOptions options;
  if (Status s = apply_client_flags(flags, &options); !s.ok()) return fail(s);
  Result<ClientReport> report = run_client(options);
  if (!report.ok()) return fail(report.status());
  fmt::print("{}\n", client_line(options, *report));
  return 0;
}

int demo_main(const Flags& flags) {
  if (!flags.empty()) return fail(unknown_flag("demo", flags.front().first));
  ServerOptions server_options;
  server_options.threads = 2;
  Result<std::unique_ptr<EchoServer>> server =
      EchoServer::start(server_options);
  if (!server.ok()) return fail(server.status());
  fmt::print("{}\n", listening_line(**server));
  std::fflush(stdout);

  // The client runs on its own one-worker runtime on this thread.
  ClientOptions client_options;
  client_options.port = (*server)->address().port();
  client_options.connections = 8;
  client_options.messages = 1000;
  client_options.payload = 64;
  Result<ClientReport> report = run_client(client_options);
  if (!report.ok()) return fail(report.status());
  fmt::print("{}\n", client_line(client_options, *report));

  const ServerStats stats = (*server)->stats();
  (*server)->stop();
  print_stats(stats);
  return 0;
}

int run(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "{}", kUsage);
    return 1;
  }
  const std::string_view mode = argv[1];
  if (mode == "--help" || mode == "-h" || mode == "help") {
    fmt::print("{}", kUsage);
    return 0;
  }
  bool help = false;
  Result<Flags> flags = split_flags(argc, argv, 2, &help);
  if (help) {
    fmt::print("{}", kUsage);
    return 0;
  }
  if (!flags.ok()) return fail(flags.status());
  if (mode == "server") return server_main(*flags);
  if (mode == "client") return client_main(*flags);
  if (mode == "demo") return demo_main(*flags);
  fmt::print(stderr, "raw_echo: unknown mode '{}'\n{}", mode, kUsage);
  return 1;
}

}  // namespace
}  // namespace ferry::raw_echo

int main(int argc, char** argv) { return ferry::raw_echo::run(argc, argv); }
