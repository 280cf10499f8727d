// thrift_loadgen: a closed-loop Thrift echo load generator on ferry's
// runtime, for the RPC benchmarks: ferry's Thrift server against Apache's
// (apache_nonblocking_echo_server) and the raw echo baseline
// (examples/raw_echo).
//
//   thrift_loadgen --port 7000 --connections 64 --inflight 1 --payload 32
//                  --duration 5 --warmup 1 [--threads 1] [--raw]
//                  [--host 127.0.0.1]     (one command line; wrapped here)
//
// Every request is Echo.echo(Small{id = 1, msg = <payload bytes>}) from
// ../shared/bench/bench.thrift as a framed, strict binary CALL message,
// encoded once with ferry's codec; only the sequence id, patched in place,
// differs between requests. Each connection numbers its requests 1, 2, ...
// and keeps --inflight of them outstanding (pipelined): it writes that many
// at once, and for each reply it reads it sends one more, batching the
// replacements of one read into one write. Replies are matched in order:
// each must be a REPLY to `echo` carrying the oldest outstanding sequence
// id, and each connection's first reply is decoded in full and its `msg`
// compared with the payload. With --raw the server is a raw echo server
// (examples/raw_echo) that sends every frame back verbatim: replies are
// then the CALL messages themselves.
//
// Latency is from the write of a request to the read that completed its
// reply. Only replies that arrive in the measurement window (after --warmup
// seconds, for --duration) count. After the window each connection stops
// sending and drains what is outstanding, so the server never sees a reset.
// Two lines go to stdout, a human one and one JSON object:
//
//   thrift_loadgen: mode=thrift conns=64 inflight=1 payload=32 seconds=5
//       qps=... p50_us=... p99_us=... p999_us=... errors=0   (one line)
//   {"tool":"thrift_loadgen","mode":"thrift",...,"qps":...,"p50_us":...}
//
// The exit status is 1 if any connection failed or no reply arrived in the
// window. Pin it with taskset from outside.

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench_services.h"
#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/message.h"
#include "examples/raw_echo/frame.h"
#include "runtime/combinators.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/time.h"

namespace ferry::thrift_loadgen {
namespace {

namespace bench = ::ferry_gen::ferry::bench;
using raw_echo::kHeaderSize;
using raw_echo::peek_length;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kUsage =
    R"(usage: thrift_loadgen --port N [--host 127.0.0.1] [--connections 64]
                      [--inflight 1] [--payload 32] [--duration 5]
                      [--warmup 1] [--threads 1] [--raw]
Drives a Thrift echo server (bench.thrift's Echo.echo, framed binary): each
connection keeps --inflight requests with a --payload byte msg outstanding.
--raw: the server echoes frames verbatim (examples/raw_echo). Prints a human
line and a JSON line: qps and p50/p99/p999 latency in microseconds.
Flags are written --name value or --name=value (--seconds is --duration).
)";

// bench.thrift: `service Echo { Small echo(1: Small req) }`.
constexpr std::string_view kMethod = "echo";
// Replies larger than this close the run: a broken server must not make
// the load generator buffer without bound.
constexpr uint32_t kMaxReply = 64u << 20;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::size_t connections = 64;
  std::size_t inflight = 1;
  std::size_t payload = 32;
  double duration = 5;
  double warmup = 1;
  std::size_t threads = 1;
  bool raw = false;
};

// ---- Latency histogram ------------------------------------------------------

// Log-linear buckets over nanoseconds (HdrHistogram's layout), as in
// bench/runtime/echo_load.cc: values below 128 are exact, and every power of
// two above is split into 64 equal buckets, so any value is known within
// 1/64 (1.6%) in 30 KiB of counters. Recording is a bit scan and an
// increment.
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
  static constexpr int kSubBits = 6;
  static constexpr std::size_t kHalf = std::size_t{1} << kSubBits;
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

// ---- The request and the checks on replies ----------------------------------

void store_be32(char* p, uint32_t v) noexcept {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

uint32_t load_be32(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 |
         uint32_t{u[3]};
}

struct Request {
  bench::Small small;  // the argument, to compare echoes with
  std::string frame;   // length prefix + CALL message, seqid 0
  // Where the seqid sits in `frame`: after the length, the version word and
  // the length-prefixed method name.
  std::size_t seqid_offset = 0;
  // What a good reply's message starts with, up to its seqid: the version
  // word with type REPLY (CALL with --raw) and the method name.
  std::string reply_prefix;
};

Request make_request(const Options& o) {
  Request req;
  req.small.id = 1;
  req.small.msg.assign(o.payload, 'x');
  bench::Echo_echo_args args;
  args.req = req.small;
  codec::WriteBuffer out;
  out.ensure(kHeaderSize);
  out.commit(kHeaderSize);  // the frame length, patched below
  codec::BinaryWriter<> w(out);
  codec::write_message(
      w, {std::string(kMethod), codec::MessageType::kCall, /*seqid=*/0}, args);
  store_be32(out.data(), static_cast<uint32_t>(out.size() - kHeaderSize));
  req.frame.assign(out.view());
  req.seqid_offset = kHeaderSize + 4 + 4 + kMethod.size();
  req.reply_prefix =
      req.frame.substr(kHeaderSize, req.seqid_offset - kHeaderSize);
  if (!o.raw) {
    req.reply_prefix[3] = static_cast<char>(codec::MessageType::kReply);
  }
  return req;
}

std::string hex(std::string_view bytes) {
  std::string out;
  for (const unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// Checks the message header of the reply frame at the front of `pending`
// (`len` bytes after the length, all received): the type, the method name
// and the sequence id `seqid`.
Status check_header(const IoBuf& pending, uint32_t len, const Request& req,
                    uint32_t seqid) {
  const std::size_t prefix = req.reply_prefix.size();
  if (len < prefix + 4) {
    return absl::DataLossError(
        fmt::format("reply of {} bytes is shorter than a message header", len));
  }
  std::array<char, 64> got{};  // prefix + 4 <= 4 + 4 + kMethod.size() + 4
  pending.copy_to(got.data(), prefix + 4, kHeaderSize);
  if (std::memcmp(got.data(), req.reply_prefix.data(), prefix) != 0) {
    return absl::DataLossError(
        fmt::format("reply starts {}, want {} (version|type, method name)",
                    hex({got.data(), prefix}), hex(req.reply_prefix)));
  }
  const uint32_t got_seqid = load_be32(got.data() + prefix);
  if (got_seqid != seqid) {
    return absl::DataLossError(
        fmt::format("reply has seqid {}, want {} (the oldest outstanding)",
                    got_seqid, seqid));
  }
  return Status();
}

// Decodes one reply message in full and compares the echoed Small with the
// request's.
Status check_body(const IoBuf& message, const Options& o, const Request& req) {
  codec::BinaryReader<codec::ChainInput> r{codec::ChainInput(message)};
  codec::MessageHeader header;
  FERRY_RETURN_IF_ERROR(codec::read_message_header(r, header));
  bench::Small got;
  if (o.raw) {
    bench::Echo_echo_args args;
    FERRY_RETURN_IF_ERROR(codec::read_message_body(r, args));
    got = std::move(args.req);
  } else {
    bench::Echo_echo_result result;
    FERRY_RETURN_IF_ERROR(codec::read_message_body(r, result));
    if (!result.success) {
      return absl::DataLossError("reply carries no result (field 0)");
    }
    got = std::move(*result.success);
  }
  if (got != req.small) {
    return absl::DataLossError(fmt::format(
        "echo has id {} and a {} byte msg, want id {} and the {} "
        "byte payload",
        got.id, got.msg.size(), req.small.id, req.small.msg.size()));
  }
  return Status();
}

// ---- Load -------------------------------------------------------------------

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

// The next `n` requests of a connection as one buffer: the first n frames
// of `batch` (inflight copies of the request) with seqids patched in.
IoBuf next_requests(std::string& batch, const Request& req, std::size_t n,
                    uint32_t& next_seqid) {
  const std::size_t size = req.frame.size();
  for (std::size_t i = 0; i < n; ++i) {
    store_be32(&batch[i * size + req.seqid_offset], next_seqid++);
  }
  return IoBuf::copy_from(std::string_view(batch).substr(0, n * size));
}

// Runs one connection through warm-up, the window and the drain.
Task<Status> drive(const Options& o, const Request& req, SocketAddress addr,
                   Window window, WorkerResult* out) {
  Result<TcpStream> conn = co_await TcpStream::connect(addr);
  if (!conn.ok()) co_return conn.status();

  const std::size_t k = o.inflight;
  std::string batch;
  batch.reserve(req.frame.size() * k);
  for (std::size_t i = 0; i < k; ++i) batch += req.frame;
  uint32_t next_seqid = 1;
  uint32_t expected_seqid = 1;
  bool body_checked = false;

  // Send times of the outstanding requests, oldest at `head`.
  std::vector<SteadyClock::time_point> sent(k, SteadyClock::now());
  std::size_t head = 0;
  std::size_t outstanding = k;
  Status s = co_await conn->write(next_requests(batch, req, k, next_seqid));
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
      if (*len > kMaxReply) {
        co_return absl::DataLossError(
            fmt::format("reply frame of {} bytes (limit {})", *len, kMaxReply));
      }
      if (pending.size() < kHeaderSize + *len) break;
      FERRY_CO_RETURN_IF_ERROR(
          check_header(pending, *len, req, expected_seqid));
      if (body_checked) {
        pending.trim_front(kHeaderSize + *len);
      } else {
        IoBuf message = pending.split_front(kHeaderSize + *len);
        message.trim_front(kHeaderSize);
        FERRY_CO_RETURN_IF_ERROR(check_body(message, o, req));
        body_checked = true;
      }
      ++expected_seqid;
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
    s = co_await conn->write(next_requests(batch, req, answered, next_seqid));
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
Task<void> run_worker(const Options& o, const Request& req, SocketAddress addr,
                      Window window, std::size_t first, std::size_t stride,
                      WorkerResult* out) {
  std::vector<Task<Status>> conns;
  for (std::size_t i = first; i < o.connections; i += stride) {
    conns.push_back(drive(o, req, addr, window, out));
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

Task<void> run_worker_and_count_down(const Options& o, const Request& req,
                                     SocketAddress addr, Window window,
                                     std::size_t first, std::size_t stride,
                                     WorkerResult* out, std::latch* done) {
  co_await run_worker(o, req, addr, window, first, stride, out);
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
    return parse_number<std::size_t>(name, value, 0, 16u << 20, &o->payload);
  }
  if (name == "duration" || name == "seconds") {
    return parse_number<double>(name, value, 0.001, 86400, &o->duration);
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
    if (arg == "--raw") {
      o->raw = true;
      continue;
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
    fmt::print(stderr, "thrift_loadgen: {}\n{}", message_of(s), kUsage);
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
    fmt::print(stderr, "thrift_loadgen: {}\n", message_of(addr.status()));
    return 1;
  }
  o.threads = std::min(o.threads, o.connections);
  RuntimeOptions runtime_options;
  runtime_options.workers = o.threads;
  Result<std::unique_ptr<Runtime>> rt = Runtime::create(runtime_options);
  if (!rt.ok()) {
    fmt::print(stderr, "thrift_loadgen: {}\n", message_of(rt.status()));
    return 1;
  }

  const Request req = make_request(o);
  Window window;
  window.start =
      SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(o.warmup));
  window.end = window.start + std::chrono::duration_cast<SteadyClock::duration>(
                                  std::chrono::duration<double>(o.duration));
  // Histograms are 30 KiB each: on the heap, not in the coroutine frames.
  std::vector<std::unique_ptr<WorkerResult>> results;
  std::latch done(static_cast<std::ptrdiff_t>(o.threads));
  for (std::size_t w = 0; w < o.threads; ++w) {
    results.push_back(std::make_unique<WorkerResult>());
    // w < o.threads == (*rt)->size(): cannot fail.
    (void)(*rt)->spawn_on(
        w, run_worker_and_count_down(o, req, *addr, window, w, o.threads,
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
  const double qps = static_cast<double>(total.responses) / o.duration;
  const double p50 = total.latency.quantile_ns(0.5) * 1e-3;
  const double p99 = total.latency.quantile_ns(0.99) * 1e-3;
  const double p999 = total.latency.quantile_ns(0.999) * 1e-3;
  const std::string_view mode = o.raw ? "raw" : "thrift";
  fmt::print(
      "thrift_loadgen: mode={} conns={} inflight={} payload={} seconds={:g} "
      "qps={:.0f} p50_us={:.1f} p99_us={:.1f} p999_us={:.1f} errors={}\n",
      mode, o.connections, o.inflight, o.payload, o.duration, qps, p50, p99,
      p999, total.errors);
  fmt::print(
      "{{\"tool\":\"thrift_loadgen\",\"mode\":\"{}\",\"connections\":{},"
      "\"inflight\":{},\"payload\":{},\"threads\":{},\"seconds\":{:g},"
      "\"warmup\":{:g},\"responses\":{},\"qps\":{:.0f},\"p50_us\":{:.1f},"
      "\"p99_us\":{:.1f},\"p999_us\":{:.1f},\"errors\":{}}}\n",
      mode, o.connections, o.inflight, o.payload, o.threads, o.duration,
      o.warmup, total.responses, qps, p50, p99, p999, total.errors);
  std::fflush(stdout);
  if (total.errors > 0) {
    fmt::print(stderr, "thrift_loadgen: {} error(s); first: {}\n", total.errors,
               total.first_error);
    return 1;
  }
  if (total.responses == 0) {
    fmt::print(stderr, "thrift_loadgen: no reply in the measurement window\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ferry::thrift_loadgen

int main(int argc, char** argv) {
  return ferry::thrift_loadgen::run(argc, argv);
}
