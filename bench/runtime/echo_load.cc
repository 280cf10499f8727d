// echo_load: a closed-loop load generator for raw_echo
// (examples/raw_echo), on ferry's runtime.
//
//   echo_load --port 7000 --connections 64 --inflight 1 --payload 32
//             --seconds 5 --warmup 1 [--threads 1] [--host 127.0.0.1]
//   (one command line; wrapped here)
//
// Every connection keeps --inflight requests outstanding: it writes that
// many frames at once, and for each response it reads (checking its length)
// it sends one more, batching the replacements of one read into one write.
// Latency is from the write of a request to the read that completed its
// response. Only responses that arrive in the measurement window (after
// --warmup seconds, for --seconds) count. After the window each connection
// stops sending and drains its outstanding requests, so the server never
// sees a reset. The result is one line on stdout:
//
//   echo_load: conns=64 inflight=1 payload=32 seconds=5 qps=... p50_us=...
//       p99_us=... p999_us=... errors=0     (one line)
//
// The exit status is 1 if any connection failed or
// no response arrived in the window.

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "examples/raw_echo/frame.h"
#include "runtime/combinators.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/time.h"

namespace ferry::echo_load {
namespace {

using raw_echo::encode_header;
using raw_echo::kHeaderSize;
using raw_echo::peek_length;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kUsage =
    R"(usage: echo_load --port N [--host 127.0.0.1] [--connections 64]
                 [--inflight 1] [--payload 32] [--seconds 5] [--warmup 1]
                 [--threads 1]
Drives a raw_echo server: each connection keeps --inflight requests of
--payload bytes outstanding. Prints one line: conns, inflight, payload,
seconds, qps, p50/p99/p999 latency in microseconds, errors.
Flags are written --name value or --name=value.
)";

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::size_t connections = 64;
  std::size_t inflight = 1;
  std::size_t payload = 32;
  double seconds = 5;
  double warmup = 1;
  std::size_t threads = 1;
};

// ---- Latency histogram ------------------------------------------------------

// Log-linear buckets over nanoseconds (HdrHistogram's layout): values below
// 128 are exact, and every power of two above is split into 64 equal
// buckets, so any value is known within 1/64 (1.6%) in 30 KiB of counters,
// however long the run. Recording is a bit scan and an increment.
class Histogram {
 public:
  void record(uint64_t ns) noexcept {
    ++counts_[index_of(ns)];
    ++total_;
  }
  void merge(const Histogram& other) noexcept {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }
  uint64_t total() const noexcept { return total_; }

  // The value at quantile q (0 < q <= 1): the middle of the bucket holding
  // the ceil(q * total)-th smallest sample.
  double quantile_ns(double q) const noexcept {
    if (total_ == 0) return 0;
    const auto rank = std::max<uint64_t>(
        1, static_cast<uint64_t>(q * static_cast<double>(total_) + 0.999999));
    uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return middle_of(i);
    }
    return middle_of(kBuckets - 1);
  }

 private:
  static constexpr int kSubBits = 6;  // 64 buckets per power of two
  static constexpr std::size_t kHalf = std::size_t{1} << kSubBits;
  // Values of bit width 8..64 take 64 buckets each, after 128 exact ones.
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) * kHalf;

  static std::size_t index_of(uint64_t v) noexcept {
    if (v < 2 * kHalf) return static_cast<std::size_t>(v);
    const int shift = static_cast<int>(std::bit_width(v)) - 1 - kSubBits;
    return static_cast<std::size_t>(shift) * kHalf +
           static_cast<std::size_t>(v >> shift);
  }
  static double middle_of(std::size_t i) noexcept {
    if (i < 2 * kHalf) return static_cast<double>(i);
    const std::size_t shift = i / kHalf - 1;
    const uint64_t low = uint64_t{i % kHalf + kHalf} << shift;
    return static_cast<double>(low) +
           static_cast<double>((uint64_t{1} << shift) - 1) / 2;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

// ---- Load -------------------------------------------------------------------

// What one worker's connections measured.
struct WorkerResult {
  Histogram latency;
  uint64_t responses = 0;  // in the measurement window
  uint64_t errors = 0;
  std::string first_error;
};

struct Window {
  SteadyClock::time_point start;
  SteadyClock::time_point end;
};

// Runs one connection through warm-up, the window and the drain.
Task<Status> drive(const Options& o, SocketAddress addr, Window window,
                   WorkerResult* out) {
  Result<TcpStream> conn = co_await TcpStream::connect(addr);
  if (!conn.ok()) co_return conn.status();

  // Every request is the same frame. K of them in one chunk are sent by
  // reference (clone + trim), so sending copies nothing.
  const std::size_t k = o.inflight;
  const std::size_t frame_size = kHeaderSize + o.payload;
  std::string frames(frame_size * k, 'x');
  for (std::size_t i = 0; i < k; ++i) {
    encode_header(static_cast<uint32_t>(o.payload), &frames[i * frame_size]);
  }
  const IoBuf batch = IoBuf::copy_from(frames);

  // Send times of the outstanding requests, oldest at `head` (the server
  // answers in order).
  std::vector<SteadyClock::time_point> sent(k, SteadyClock::now());
  std::size_t head = 0;
  std::size_t outstanding = k;
  Status s = co_await conn->write(batch.clone());
  if (!s.ok()) co_return s;

  IoBuf pending;
  while (outstanding > 0) {
    Result<IoBuf> got = co_await conn->read();
    if (!got.ok()) co_return got.status();
    if (got->empty()) {
      co_return absl::UnavailableError(
          fmt::format("{} closed the connection with {} requests outstanding",
                      addr.to_string(), outstanding));
    }
    pending.append(std::move(*got));
    const SteadyClock::time_point now = SteadyClock::now();
    const bool in_window = now >= window.start && now < window.end;
    std::size_t answered = 0;
    while (std::optional<uint32_t> len = peek_length(pending, 0)) {
      if (*len != o.payload) {
        co_return absl::DataLossError(fmt::format(
            "response of {} bytes to a {} byte request", *len, o.payload));
      }
      if (pending.size() < frame_size) break;
      pending.trim_front(frame_size);
      if (in_window) {
        out->latency.record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now -
                                                                 sent[head])
                .count()));
        ++out->responses;
      }
      head = (head + 1) % k;
      --outstanding;
      ++answered;
    }
    if (answered == 0 || now >= window.end) continue;  // draining after end
    // Replace what was answered, keeping the pipeline k deep.
    for (std::size_t i = 0; i < answered; ++i) {
      sent[(head + outstanding + i) % k] = now;
    }
    outstanding += answered;
    IoBuf more = batch.clone();
    more.trim_front((k - answered) * frame_size);
    s = co_await conn->write(std::move(more));
    if (!s.ok()) co_return s;
  }
  co_await conn->close();
  co_return Status();
}

Task<Status> fail_after(SteadyClock::duration d) {
  Status slept = co_await sleep_for(d);
  if (!slept.ok()) co_return slept;
  co_return absl::DeadlineExceededError(
      "run did not finish in time (server not answering?)");
}

// Runs this worker's share of the connections (every `stride`-th from
// `first`), bounded by a deadline past the window's end.
Task<void> run_worker(const Options& o, SocketAddress addr, Window window,
                      std::size_t first, std::size_t stride,
                      WorkerResult* out) {
  std::vector<Task<Status>> conns;
  for (std::size_t i = first; i < o.connections; i += stride) {
    conns.push_back(drive(o, addr, window, out));
  }
  const auto limit = window.end - SteadyClock::now() + 10s;
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
}

Task<void> run_worker_and_count_down(const Options& o, SocketAddress addr,
                                     Window window, std::size_t first,
                                     std::size_t stride, WorkerResult* out,
                                     std::latch* done) {
  co_await run_worker(o, addr, window, first, stride, out);
  done->count_down();
}

// ---- Flags ------------------------------------------------------------------

template <class T>
Status parse_number(std::string_view name, std::string_view value, T min, T max,
                    T* out) {
  T v{};
  const auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || !(v >= min) ||
      !(v <= max)) {
    return absl::InvalidArgumentError(fmt::format(
        "--{}: '{}' is not a number in [{}, {}]", name, value, min, max));
  }
  *out = v;
  return Status();
}

Status set_flag(std::string_view name, std::string_view value, Options* o) {
  if (name == "host") {
    o->host = value;
    return Status();
  }
  if (name == "port") {
    return parse_number<uint16_t>(name, value, 1, 65535, &o->port);
  }
  if (name == "connections") {
    return parse_number<std::size_t>(name, value, 1, 100000, &o->connections);
  }
  if (name == "inflight") {
    return parse_number<std::size_t>(name, value, 1, 65536, &o->inflight);
  }
  if (name == "payload") {
    return parse_number<std::size_t>(name, value, 0, raw_echo::kMaxFrameSize,
                                     &o->payload);
  }
  if (name == "seconds") {
    return parse_number<double>(name, value, 0.001, 86400, &o->seconds);
  }
  if (name == "warmup") {
    return parse_number<double>(name, value, 0, 86400, &o->warmup);
  }
  if (name == "threads") {
    return parse_number<std::size_t>(name, value, 1, 1024, &o->threads);
  }
  return absl::InvalidArgumentError(fmt::format("unknown flag --{}", name));
}

// Parses argv into `o`; sets *help on --help/-h.
Status parse_flags(int argc, char** argv, Options* o, bool* help) {
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return Status();
    }
    if (arg.size() < 3 || !arg.starts_with("--")) {
      return absl::InvalidArgumentError(
          fmt::format("unexpected argument '{}'", arg));
    }
    arg.remove_prefix(2);
    std::string_view name = arg;
    std::string_view value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(
          fmt::format("--{} needs a value", name));
    }
    FERRY_RETURN_IF_ERROR(set_flag(name, value, o));
    have_port = have_port || name == "port";
  }
  if (!have_port) return absl::InvalidArgumentError("--port is required");
  return Status();
}

int run(int argc, char** argv) {
  Options o;
  bool help = false;
  if (Status s = parse_flags(argc, argv, &o, &help); !s.ok()) {
    fmt::print(stderr, "echo_load: {}\n{}", message_of(s), kUsage);
    return 1;
  }
  if (help) {
    fmt::print("{}", kUsage);
    return 0;
  }
  std::string host = o.host;
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = fmt::format("[{}]", host);  // a bare IPv6 address
  }
  Result<SocketAddress> addr =
      SocketAddress::parse(fmt::format("{}:{}", host, o.port));
  if (!addr.ok()) {
    fmt::print(stderr, "echo_load: {}\n", message_of(addr.status()));
    return 1;
  }
  o.threads = std::min(o.threads, o.connections);
  RuntimeOptions runtime_options;
  runtime_options.workers = o.threads;
  Result<std::unique_ptr<Runtime>> rt = Runtime::create(runtime_options);
  if (!rt.ok()) {
    fmt::print(stderr, "echo_load: {}\n", message_of(rt.status()));
    return 1;
  }

  Window window;
  window.start =
      SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(o.warmup));
  window.end = window.start + std::chrono::duration_cast<SteadyClock::duration>(
                                  std::chrono::duration<double>(o.seconds));
  // Histograms are 30 KiB each: on the heap, not in the coroutine frames.
  std::vector<std::unique_ptr<WorkerResult>> results;
  std::latch done(static_cast<std::ptrdiff_t>(o.threads));
  for (std::size_t w = 0; w < o.threads; ++w) {
    results.push_back(std::make_unique<WorkerResult>());
    // w < o.threads == (*rt)->size(): cannot fail.
    (void)(*rt)->spawn_on(
        w, run_worker_and_count_down(o, *addr, window, w, o.threads,
                                     results[w].get(), &done));
  }
  done.wait();
  (*rt)->shutdown();

  WorkerResult total;
  for (const auto& r : results) {
    total.latency.merge(r->latency);
    total.responses += r->responses;
    total.errors += r->errors;
    if (total.first_error.empty()) total.first_error = r->first_error;
  }
  const double us = 1e-3;
  fmt::print(
      "echo_load: conns={} inflight={} payload={} seconds={:g} qps={:.0f} "
      "p50_us={:.1f} p99_us={:.1f} p999_us={:.1f} errors={}\n",
      o.connections, o.inflight, o.payload, o.seconds,
      static_cast<double>(total.responses) / o.seconds,
      total.latency.quantile_ns(0.5) * us, total.latency.quantile_ns(0.99) * us,
      total.latency.quantile_ns(0.999) * us, total.errors);
  std::fflush(stdout);
  if (total.errors > 0) {
    fmt::print(stderr, "echo_load: {} error(s); first: {}\n", total.errors,
               total.first_error);
    return 1;
  }
  if (total.responses == 0) {
    fmt::print(stderr, "echo_load: no response in the measurement window\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ferry::echo_load

int main(int argc, char** argv) { return ferry::echo_load::run(argc, argv); }
