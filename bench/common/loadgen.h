#pragma once

// What the closed-loop load generators on ferry's runtime share: echo_load
// (bench/runtime, raw_echo frames) and thrift_loadgen (bench/rpc, Thrift
// echo calls) differ only in the requests they send and the checks on the
// replies, both given as a Protocol (see `drive`).
//
// Every connection keeps --inflight requests outstanding, answered in
// order: it writes that many at once, and for each reply it reads it sends
// one more, batching the replacements of one read into one write. Latency
// is from the write of a request to the read that completed its reply.
// Only replies that arrive in the measurement window (after --warmup
// seconds, for the window's length) count. After the window each connection
// stops sending and drains what is outstanding, so the server never sees a
// reset.

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/common/flags.h"
#include "bench/common/latency.h"
#include "runtime/combinators.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/time.h"

namespace ferry::bench_common {

using SteadyClock = std::chrono::steady_clock;

// ---- Flags ------------------------------------------------------------------

// The flags of both tools (names as in echo_load).
struct LoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::size_t connections = 64;
  std::size_t inflight = 1;
  std::size_t payload = 32;
  double seconds = 5;  // the measurement window
  double warmup = 1;
  std::size_t threads = 1;
};

// Sets *out from flag --`name`'s `value`, a number in [min, max].
template <class T>
Status parse_flag_number(std::string_view name, std::string_view value, T min,
                         T max, T* out) {
  if (parse_number(value, min, max, out)) return Status();
  return absl::InvalidArgumentError(fmt::format(
      "--{}: '{}' is not a number in [{}, {}]", name, value, min, max));
}

// Sets the flags the tools take alike: --host, --port, --connections,
// --inflight, --warmup and --threads. --payload (its bound) and the
// window's length (its name) are each tool's own.
inline Status set_common_flag(std::string_view name, std::string_view value,
                              LoadOptions* o) {
  if (name == "host") {
    o->host = value;
    return Status();
  }
  if (name == "port") {
    return parse_flag_number<uint16_t>(name, value, 1, 65535, &o->port);
  }
  if (name == "connections") {
    return parse_flag_number<std::size_t>(name, value, 1, 100000,
                                          &o->connections);
  }
  if (name == "inflight") {
    return parse_flag_number<std::size_t>(name, value, 1, 65536, &o->inflight);
  }
  if (name == "warmup") {
    return parse_flag_number<double>(name, value, 0, 86400, &o->warmup);
  }
  if (name == "threads") {
    return parse_flag_number<std::size_t>(name, value, 1, 1024, &o->threads);
  }
  return absl::InvalidArgumentError(fmt::format("unknown flag --{}", name));
}

// A tool without switches (flags that take no value).
struct NoSwitches {
  bool operator()(std::string_view) const noexcept { return false; }
};

// Parses argv; sets *help on --help/-h. An argument `take_switch` takes
// (returns true for, e.g. "--raw") is a switch; every other one is
// `--name value` or `--name=value`, handed to set_flag(name, value), which
// returns a Status. --port is required.
template <class SetFlag, class TakeSwitch = NoSwitches>
Status parse_flags(int argc, char** argv, bool* help, const SetFlag& set_flag,
                   const TakeSwitch& take_switch = {}) {
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return Status();
    }
    if (take_switch(arg)) continue;
    std::string_view name, value;
    if (std::string why = split_flag(argc, argv, &i, &name, &value);
        !why.empty()) {
      return absl::InvalidArgumentError(why);
    }
    FERRY_RETURN_IF_ERROR(set_flag(name, value));
    have_port = have_port || name == "port";
  }
  if (!have_port) return absl::InvalidArgumentError("--port is required");
  return Status();
}

// parse_flags for a tool's main: prints `usage` (after "`tool`: why" on
// stderr if argv is wrong). Returns the exit status if the tool is done
// (--help, or bad flags), nullopt if it is to run.
template <class SetFlag, class TakeSwitch = NoSwitches>
std::optional<int> parse_flags_or_exit(std::string_view tool,
                                       std::string_view usage, int argc,
                                       char** argv, const SetFlag& set_flag,
                                       const TakeSwitch& take_switch = {}) {
  bool help = false;
  if (Status s = parse_flags(argc, argv, &help, set_flag, take_switch);
      !s.ok()) {
    fmt::print(stderr, "{}: {}\n{}", tool, message_of(s), usage);
    return 1;
  }
  if (help) {
    fmt::print("{}", usage);
    return 0;
  }
  return std::nullopt;
}

// ---- Load -------------------------------------------------------------------

// What one worker's connections measured (or, merged, all of them).
struct WorkerResult {
  Histogram latency;
  uint64_t responses = 0;  // in the measurement window
  uint64_t errors = 0;
  std::string first_error;

  void merge(const WorkerResult& other) {
    latency.merge(other.latency);
    responses += other.responses;
    errors += other.errors;
    if (first_error.empty()) first_error = other.first_error;
  }
};

struct Window {
  SteadyClock::time_point start;
  SteadyClock::time_point end;
};

// The send times of one connection's outstanding requests, oldest at
// `head_` (replies come in order), in a ring as deep as --inflight.
class Pipeline {
 public:
  // `depth` requests, about to be sent at once.
  explicit Pipeline(std::size_t depth)
      : sent_(depth, SteadyClock::now()), outstanding_(depth) {}

  std::size_t outstanding() const noexcept { return outstanding_; }

  // The oldest outstanding request's reply was completed by a read at
  // `now`; it counts if that is in the window.
  void answer(SteadyClock::time_point now, bool in_window, WorkerResult* out) {
    if (in_window) {
      out->latency.record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now -
                                                               sent_[head_])
              .count()));
      ++out->responses;
    }
    head_ = (head_ + 1) % sent_.size();
    --outstanding_;
  }

  // `n` more requests are being sent, at `now`.
  void send(std::size_t n, SteadyClock::time_point now) {
    for (std::size_t i = 0; i < n; ++i) {
      sent_[(head_ + outstanding_ + i) % sent_.size()] = now;
    }
    outstanding_ += n;
  }

 private:
  std::vector<SteadyClock::time_point> sent_;
  std::size_t head_ = 0;
  std::size_t outstanding_;
};

// Runs one connection through warm-up, the window and the drain. `proto`
// is the tool's side of the connection:
//
//   IoBuf requests(std::size_t n);  // the next n requests, as one buffer
//   // If `pending` starts with a whole reply, checks it, removes it and
//   // sets *took; leaves *took false if the reply is not all there yet.
//   Status take_reply(IoBuf& pending, bool* took);
template <class Protocol>
Task<Status> drive(Protocol proto, std::size_t inflight, SocketAddress addr,
                   Window window, WorkerResult* out) {
  Result<TcpStream> conn = co_await TcpStream::connect(addr);
  if (!conn.ok()) co_return conn.status();

  Pipeline pipeline(inflight);
  Status s = co_await conn->write(proto.requests(inflight));
  if (!s.ok()) co_return s;

  IoBuf pending;
  while (pipeline.outstanding() > 0) {
    Result<IoBuf> got = co_await conn->read();
    if (!got.ok()) co_return got.status();
    if (got->empty()) {
      co_return absl::UnavailableError(
          fmt::format("{} closed the connection with {} requests outstanding",
                      addr.to_string(), pipeline.outstanding()));
    }
    pending.append(std::move(*got));
    const SteadyClock::time_point now = SteadyClock::now();
    const bool in_window = now >= window.start && now < window.end;
    std::size_t answered = 0;
    for (;;) {
      bool took = false;
      FERRY_CO_RETURN_IF_ERROR(proto.take_reply(pending, &took));
      if (!took) break;
      pipeline.answer(now, in_window, out);
      ++answered;
    }
    if (answered == 0 || now >= window.end) continue;  // draining after end
    // Replace what was answered, keeping the pipeline `inflight` deep.
    pipeline.send(answered, now);
    s = co_await conn->write(proto.requests(answered));
    if (!s.ok()) co_return s;
  }
  co_await conn->close();
  co_return Status();
}

inline Task<Status> fail_after(SteadyClock::duration d) {
  Status slept = co_await sleep_for(d);
  if (!slept.ok()) co_return slept;
  co_return absl::DeadlineExceededError(
      "run did not finish in time (server not answering?)");
}

// One connection's load: the Protocol's own `static Task<Status>
// drive(Protocol, inflight, addr, window, out)` when it has one (a protocol
// that runs an RPC client rather than raw bytes), else the byte pipeline
// above.
template <class Protocol>
Task<Status> drive_connection(Protocol proto, std::size_t inflight,
                              SocketAddress addr, Window window,
                              WorkerResult* out) {
  if constexpr (requires {
                  Protocol::drive(std::move(proto), inflight, addr, window,
                                  out);
                }) {
    return Protocol::drive(std::move(proto), inflight, addr, window, out);
  } else {
    return drive(std::move(proto), inflight, addr, window, out);
  }
}

// Runs this worker's share of the connections (every `stride`-th from
// `first`), bounded by a deadline past the window's end, then counts down
// `done`. make_protocol() makes each connection's Protocol (see `drive`).
template <class MakeProtocol>
Task<void> run_worker(const LoadOptions& o, const MakeProtocol& make_protocol,
                      SocketAddress addr, Window window, std::size_t first,
                      std::size_t stride, WorkerResult* out, std::latch* done) {
  std::vector<Task<Status>> conns;
  for (std::size_t i = first; i < o.connections; i += stride) {
    conns.push_back(
        drive_connection(make_protocol(), o.inflight, addr, window, out));
  }
  const auto limit = window.end - SteadyClock::now() + std::chrono::seconds(10);
  auto first_done =
      co_await select(when_all(std::move(conns)), fail_after(limit));
  std::vector<Status> results;
  if (first_done.index() == 0) {
    results = std::move(std::get<0>(first_done));
  } else {
    results.push_back(std::get<1>(std::move(first_done)));
  }
  for (const Status& s : results) {
    if (s.ok()) continue;
    ++out->errors;
    if (out->first_error.empty()) out->first_error = s.ToString();
  }
  done->count_down();
}

// Runs the load --host:--port, on min(--threads, --connections) workers
// (o->threads is lowered to that), and returns what all the connections
// measured, or why it could not start.
template <class MakeProtocol>
Result<WorkerResult> run_load(LoadOptions* o,
                              const MakeProtocol& make_protocol) {
  std::string host = o->host;
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = fmt::format("[{}]", host);  // a bare IPv6 address
  }
  Result<SocketAddress> addr =
      SocketAddress::parse(fmt::format("{}:{}", host, o->port));
  if (!addr.ok()) return addr.status();
  o->threads = std::min(o->threads, o->connections);
  RuntimeOptions runtime_options;
  runtime_options.workers = o->threads;
  Result<std::unique_ptr<Runtime>> rt = Runtime::create(runtime_options);
  if (!rt.ok()) return rt.status();

  Window window;
  window.start =
      SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(o->warmup));
  window.end = window.start + std::chrono::duration_cast<SteadyClock::duration>(
                                  std::chrono::duration<double>(o->seconds));
  // Histograms are 30 KiB each: on the heap, not in the coroutine frames.
  std::vector<std::unique_ptr<WorkerResult>> results;
  std::latch done(static_cast<std::ptrdiff_t>(o->threads));
  for (std::size_t w = 0; w < o->threads; ++w) {
    results.push_back(std::make_unique<WorkerResult>());
    // w < o->threads == (*rt)->size(): cannot fail.
    (void)(*rt)->spawn_on(w, run_worker(*o, make_protocol, *addr, window, w,
                                        o->threads, results[w].get(), &done));
  }
  done.wait();
  (*rt)->shutdown();

  WorkerResult total;
  for (const auto& r : results) total.merge(*r);
  return total;
}

// Flushes the result lines on stdout, then says on stderr why the run
// failed if it did (`tool`: the program's name; `reply`: what it calls a
// reply). Returns the exit status: 1 if any connection failed or no reply
// arrived in the window.
inline int exit_status(std::string_view tool, std::string_view reply,
                       const WorkerResult& total) {
  std::fflush(stdout);
  if (total.errors > 0) {
    fmt::print(stderr, "{}: {} error(s); first: {}\n", tool, total.errors,
               total.first_error);
    return 1;
  }
  if (total.responses == 0) {
    fmt::print(stderr, "{}: no {} in the measurement window\n", tool, reply);
    return 1;
  }
  return 0;
}

}  // namespace ferry::bench_common
