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
// sending and drains what is outstanding, so the server never sees a reset
// (that loop is bench/common/loadgen.h's, shared with echo_load).
// Two lines go to stdout, a human one and one JSON object:
//
//   thrift_loadgen: mode=thrift conns=64 inflight=1 payload=32 seconds=5
//       qps=... p50_us=... p99_us=... p999_us=... errors=0   (one line)
//   {"tool":"thrift_loadgen","mode":"thrift",...,"qps":...,"p50_us":...}
//
// The exit status is 1 if any connection failed or no reply arrived in the
// window. Pin it with taskset from outside.

#include <fmt/core.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "bench/common/loadgen.h"
#include "bench_services.h"
#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/message.h"
#include "examples/raw_echo/frame.h"

namespace ferry::thrift_loadgen {
namespace {

namespace bench = ::ferry_gen::ferry::bench;
using bench_common::parse_flag_number;
using raw_echo::kHeaderSize;
using raw_echo::peek_length;

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

// bench_common's, with --duration for --seconds, and --raw.
struct Options : bench_common::LoadOptions {
  bool raw = false;
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

// One connection's requests and the checks on its replies (a Protocol of
// bench_common::drive). Each connection numbers its requests 1, 2, ...
class ThriftProtocol {
 public:
  ThriftProtocol(const Options& o, const Request& req) : o_(o), req_(req) {
    batch_.reserve(req.frame.size() * o.inflight);
    for (std::size_t i = 0; i < o.inflight; ++i) batch_ += req.frame;
  }

  // The next `n` requests as one buffer: the first n frames of `batch_`
  // (inflight copies of the request) with seqids patched in.
  IoBuf requests(std::size_t n) {
    const std::size_t size = req_.frame.size();
    for (std::size_t i = 0; i < n; ++i) {
      store_be32(&batch_[i * size + req_.seqid_offset], next_seqid_++);
    }
    return IoBuf::copy_from(std::string_view(batch_).substr(0, n * size));
  }

  Status take_reply(IoBuf& pending, bool* took) {
    const std::optional<uint32_t> len = peek_length(pending, 0);
    if (!len) return Status();
    if (*len > kMaxReply) {
      return absl::DataLossError(
          fmt::format("reply frame of {} bytes (limit {})", *len, kMaxReply));
    }
    if (pending.size() < kHeaderSize + *len) return Status();
    FERRY_RETURN_IF_ERROR(check_header(pending, *len, req_, expected_seqid_));
    if (body_checked_) {
      pending.trim_front(kHeaderSize + *len);
    } else {
      IoBuf message = pending.split_front(kHeaderSize + *len);
      message.trim_front(kHeaderSize);
      FERRY_RETURN_IF_ERROR(check_body(message, o_, req_));
      body_checked_ = true;
    }
    ++expected_seqid_;
    *took = true;
    return Status();
  }

 private:
  const Options& o_;
  const Request& req_;
  std::string batch_;
  uint32_t next_seqid_ = 1;
  uint32_t expected_seqid_ = 1;
  bool body_checked_ = false;
};

// ---- Flags ------------------------------------------------------------------

Status set_flag(std::string_view name, std::string_view value, Options* o) {
  if (name == "payload") {
    return parse_flag_number<std::size_t>(name, value, 0, 16u << 20,
                                          &o->payload);
  }
  if (name == "duration" || name == "seconds") {
    return parse_flag_number<double>(name, value, 0.001, 86400, &o->seconds);
  }
  return bench_common::set_common_flag(name, value, o);
}

int run(int argc, char** argv) {
  Options o;
  if (std::optional<int> done = bench_common::parse_flags_or_exit(
          "thrift_loadgen", kUsage, argc, argv,
          [&](std::string_view name, std::string_view value) {
            return set_flag(name, value, &o);
          },
          [&](std::string_view arg) {
            if (arg != "--raw") return false;
            o.raw = true;
            return true;
          })) {
    return *done;
  }
  const Request req = make_request(o);
  Result<bench_common::WorkerResult> total =
      bench_common::run_load(&o, [&] { return ThriftProtocol(o, req); });
  if (!total.ok()) {
    fmt::print(stderr, "thrift_loadgen: {}\n", message_of(total.status()));
    return 1;
  }
  const double qps = static_cast<double>(total->responses) / o.seconds;
  const bench_common::Percentiles p =
      bench_common::percentiles_us(total->latency);
  const std::string_view mode = o.raw ? "raw" : "thrift";
  fmt::print(
      "thrift_loadgen: mode={} conns={} inflight={} payload={} seconds={:g} "
      "qps={:.0f} p50_us={:.1f} p99_us={:.1f} p999_us={:.1f} errors={}\n",
      mode, o.connections, o.inflight, o.payload, o.seconds, qps, p.p50_us,
      p.p99_us, p.p999_us, total->errors);
  fmt::print(
      "{{\"tool\":\"thrift_loadgen\",\"mode\":\"{}\",\"connections\":{},"
      "\"inflight\":{},\"payload\":{},\"threads\":{},\"seconds\":{:g},"
      "\"warmup\":{:g},\"responses\":{},\"qps\":{:.0f},\"p50_us\":{:.1f},"
      "\"p99_us\":{:.1f},\"p999_us\":{:.1f},\"errors\":{}}}\n",
      mode, o.connections, o.inflight, o.payload, o.threads, o.seconds,
      o.warmup, total->responses, qps, p.p50_us, p.p99_us, p.p999_us,
      total->errors);
  return bench_common::exit_status("thrift_loadgen", "reply", *total);
}

}  // namespace
}  // namespace ferry::thrift_loadgen

int main(int argc, char** argv) {
  return ferry::thrift_loadgen::run(argc, argv);
}
