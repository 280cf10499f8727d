// The codec comparison: encode and decode of the Small, Medium and Large
// messages of ../shared/bench (bench.thrift / bench.proto), in one binary and
// one run, for
//   FerryBinary, FerryCompact           ferry's generated code, static dispatch
//   ApacheBinary, ApacheCompact         Apache Thrift C++'s default path: the
//                                       generated read/write over a virtual
//                                       TProtocol (a TMemoryBuffer below)
//   ApacheBinaryT, ApacheCompactT       Apache's templated path:
//                                       TBinaryProtocolT<TMemoryBuffer>
//   Protobuf, ProtobufArena             SerializeToArray / ParseFromArray,
//                                       heap messages and Arena messages
//   Memcpy                              copying the same bytes (ferry binary's
//                                       encoding): the floor
// named BM_<Impl>_<Message>_<Op> so scripts/bench_codec.sh can compare rows.
// Decode always decodes into a fresh object (bench/README.md fill rules).
//
// Run with GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=1073741824 (see
// ../shared/bench/README.md): otherwise Large rows swing 10x with heap
// placement. scripts/bench_codec.sh does.

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"

#include "apache_bench/bench_types.h"  // Apache's, namespace apache_bench
#include "bench.pb.h"
#include "bench/codec/bench_fill.h"
#include "bench_types.h"  // ferry's, namespace ferry_gen::ferry::bench
#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"
#include "thrift/protocol/TBinaryProtocol.h"
#include "thrift/protocol/TCompactProtocol.h"
#include "thrift/transport/TBufferTransports.h"

// No bench_types.tcc here: ferry's read/write come from the generated
// library's explicit instantiations, as in a user's build (in a translation
// unit this large GCC inlines less of them).

namespace {

using namespace codec_bench;  // NOLINT: the shared fillers and loops
namespace fy = ferry_gen::ferry::bench;
namespace ap = apache_bench;
namespace pb = ferry::bench;
using apache::thrift::protocol::TBinaryProtocolT;
using apache::thrift::protocol::TCompactProtocolT;
using apache::thrift::protocol::TProtocol;
using apache::thrift::transport::TMemoryBuffer;

// ---- Fill rules (../shared/bench/README.md) --------------------------------

void fill_pb_inner(pb::Inner* in, int i) {
  in->set_a(1000 + i);
  in->set_b(-7 * i);
  in->set_c(text(16, static_cast<char>(i)));
}

void fill(pb::Small& m) {
  m.set_id(1234567890123);
  m.set_msg(text(32, 1));
}
void fill(pb::Medium& m) {
  m.set_id(9876543210);
  m.set_code(200);
  m.set_score(0.875);
  m.set_flag(true);
  m.set_name(text(64, 2));
  for (int i = 0; i < 32; ++i) m.add_values(int64_t{1} << (i % 40));
  for (int i = 0; i < 8; ++i)
    (*m.mutable_attrs())[text(16, static_cast<char>(i))] =
        text(32, static_cast<char>(i + 3));
  fill_pb_inner(m.mutable_inner(), 0);
  for (int i = 0; i < 4; ++i) fill_pb_inner(m.add_items(), i + 1);
}
void fill(pb::Large& m) {
  m.set_id(42);
  m.set_payload(text(64 * 1024, 5));
}

void fill(fy::Small& m) { fill_message(m); }
void fill(fy::Medium& m) { fill_message(m); }
void fill(fy::Large& m) { fill_message(m); }
void fill(ap::Small& m) { fill_message(m); }
void fill(ap::Medium& m) { fill_message(m); }
void fill(ap::Large& m) { fill_message(m); }

// ---- Apache Thrift C++

// Apache's transports count every byte read against MaxMessageSize (100 MB)
// for their whole life, and only a subclass may reset the count; a
// long-lived buffer reused per message, as in these loops, needs the reset.
class ReusedMemoryBuffer : public TMemoryBuffer {
 public:
  using TMemoryBuffer::TMemoryBuffer;
  void reset_message_size() { resetConsumedMessageSize(); }
};
// --------------------------------------------------------

// Encodes with protocol type P over a TMemoryBuffer; `virtual_path` calls the
// generated code through TProtocol*, as Apache's default (non-templated)
// generated code always does.
template <class Msg, class P, bool virtual_path>
void apache_encode_bench(benchmark::State& state) {
  Msg msg;
  fill(msg);
  auto trans = std::make_shared<ReusedMemoryBuffer>(4096);
  P proto(trans);
  std::size_t size = 0;
  for (auto _ : state) {
    trans->resetBuffer();
    trans->reset_message_size();
    if constexpr (virtual_path) {
      msg.write(static_cast<TProtocol*>(&proto));
    } else {
      msg.write(&proto);
    }
    size = trans->available_read();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

template <class Msg, class P, bool virtual_path>
void apache_decode_bench(benchmark::State& state) {
  Msg original;
  fill(original);
  auto out = std::make_shared<TMemoryBuffer>(4096);
  {
    P writer(out);
    original.write(&writer);
  }
  const std::string bytes = out->getBufferAsString();
  auto trans = std::make_shared<ReusedMemoryBuffer>();
  P proto(trans);
  for (auto _ : state) {
    trans->resetBuffer(
        reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data())),
        static_cast<uint32_t>(bytes.size()), TMemoryBuffer::OBSERVE);
    // Apache counts bytes read against MaxMessageSize across resets.
    trans->reset_message_size();
    Msg msg;
    if constexpr (virtual_path) {
      msg.read(static_cast<TProtocol*>(&proto));
    } else {
      msg.read(&proto);
    }
    benchmark::DoNotOptimize(msg);
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * bytes.size()));
}

// ---- protobuf ---------------------------------------------------------------

template <class Msg, bool arena>
void protobuf_encode_bench(benchmark::State& state) {
  google::protobuf::Arena pool;
  Msg* msg =
      arena ? google::protobuf::Arena::CreateMessage<Msg>(&pool) : new Msg;
  fill(*msg);
  std::string buf(msg->ByteSizeLong() + 64, '\0');
  std::size_t size = 0;
  for (auto _ : state) {
    size = msg->ByteSizeLong();
    msg->SerializeToArray(buf.data(), static_cast<int>(size));
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
  if (!arena) delete msg;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

template <class Msg, bool arena>
void protobuf_decode_bench(benchmark::State& state) {
  Msg original;
  fill(original);
  const std::string bytes = original.SerializeAsString();
  // The arena variant reuses one arena's first block (the best case for
  // protobuf: no malloc per message once warm).
  std::vector<char> block(256 * 1024);
  google::protobuf::ArenaOptions options;
  options.initial_block = block.data();
  options.initial_block_size = block.size();
  for (auto _ : state) {
    if constexpr (arena) {
      google::protobuf::Arena pool(options);
      Msg* msg = google::protobuf::Arena::CreateMessage<Msg>(&pool);
      if (!msg->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(msg);
    } else {
      Msg msg;
      if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(msg);
    }
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * bytes.size()));
}

// ---- memcpy floor -----------------------------------------------------------

template <class Msg>
void memcpy_bench(benchmark::State& state) {
  Msg msg;
  fill(msg);
  const std::string bytes = ferry_encode<ferry::codec::BinaryWriter>(msg);
  std::vector<char> dst(bytes.size());
  for (auto _ : state) {
    std::memcpy(dst.data(), bytes.data(), bytes.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * bytes.size()));
}

// ---- registration -----------------------------------------------------------

template <class Fy, class Ap, class Pb>
void register_message(const std::string& name) {
  using ferry::codec::BinaryReader;
  using ferry::codec::BinaryWriter;
  using ferry::codec::CompactReader;
  using ferry::codec::CompactWriter;
  using ApBinary = TBinaryProtocolT<TMemoryBuffer>;
  using ApCompact = TCompactProtocolT<TMemoryBuffer>;
  auto add = [&](const std::string& impl, const char* op,
                 void (*fn)(benchmark::State&)) {
    benchmark::RegisterBenchmark(("BM_" + impl + "_" + name + "_" + op).c_str(),
                                 fn);
  };
  add("FerryBinary", "Encode", ferry_encode_bench<Fy, BinaryWriter>);
  add("FerryBinary", "Decode",
      ferry_decode_bench<Fy, BinaryWriter, BinaryReader>);
  add("FerryCompact", "Encode", ferry_encode_bench<Fy, CompactWriter>);
  add("FerryCompact", "Decode",
      ferry_decode_bench<Fy, CompactWriter, CompactReader>);
  add("ApacheBinary", "Encode", apache_encode_bench<Ap, ApBinary, true>);
  add("ApacheBinary", "Decode", apache_decode_bench<Ap, ApBinary, true>);
  add("ApacheBinaryT", "Encode", apache_encode_bench<Ap, ApBinary, false>);
  add("ApacheBinaryT", "Decode", apache_decode_bench<Ap, ApBinary, false>);
  add("ApacheCompact", "Encode", apache_encode_bench<Ap, ApCompact, true>);
  add("ApacheCompact", "Decode", apache_decode_bench<Ap, ApCompact, true>);
  add("ApacheCompactT", "Encode", apache_encode_bench<Ap, ApCompact, false>);
  add("ApacheCompactT", "Decode", apache_decode_bench<Ap, ApCompact, false>);
  add("Protobuf", "Encode", protobuf_encode_bench<Pb, false>);
  add("Protobuf", "Decode", protobuf_decode_bench<Pb, false>);
  add("ProtobufArena", "Encode", protobuf_encode_bench<Pb, true>);
  add("ProtobufArena", "Decode", protobuf_decode_bench<Pb, true>);
  add("Memcpy", "Encode", memcpy_bench<Fy>);
  add("Memcpy", "Decode", memcpy_bench<Fy>);
}

}  // namespace

// The filled message's bytes, for the zero-copy rows
// (codec_benchmark_views.cc), whose types cannot be filled from temporaries.
std::string owned_filled_bytes(const std::string& message, bool compact) {
  auto encode = [&](auto msg) {
    fill(msg);
    return compact ? ferry_encode<ferry::codec::CompactWriter>(msg)
                   : ferry_encode<ferry::codec::BinaryWriter>(msg);
  };
  if (message == "Small") return encode(fy::Small{});
  if (message == "Medium") return encode(fy::Medium{});
  return encode(fy::Large{});
}

void register_no_path_benchmarks();          // codec_benchmark_no_paths.cc
void register_view_benchmarks();             // codec_benchmark_views.cc
void register_optional_layout_benchmarks();  // optional_layout_benchmark.cc

int main(int argc, char** argv) {
  register_message<fy::Small, ap::Small, pb::Small>("Small");
  register_message<fy::Medium, ap::Medium, pb::Medium>("Medium");
  register_message<fy::Large, ap::Large, pb::Large>("Large");
  register_view_benchmarks();
  register_no_path_benchmarks();
  register_optional_layout_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
