// ferry's zero-copy mode: the same messages generated with every string and
// binary a `ferry.view` (std::string_view into the decoded input; the IDL is
// derived from bench.thrift in CMakeLists.txt). Decoding one then allocates
// only for containers: a fresh Medium takes 10 heap blocks (the two vectors
// and eight map nodes) instead of 32. Rows BM_Ferry{Binary,Compact}View_*,
// compared by scripts/bench_codec.sh with the owning rows and the
// references of the same run. A separate translation unit because both
// generations name their header bench_types.h.
#include <string>

#include "bench/codec/bench_fill.h"
#include "bench_types.h"  // namespace ferry_view::ferry::bench
#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"

// The filled message's bytes, encoded by the owning generation (defined in
// codec_benchmark.cc, which sees that generation's header).
std::string owned_filled_bytes(const std::string& message, bool compact);

namespace {

namespace vw = ferry_view::ferry::bench;
using ferry::codec::SpanInput;

// Decodes `bytes` into `msg`, whose views then point into `bytes`.
template <template <class> class Reader, class Msg>
bool decode(const std::string& bytes, Msg& msg) {
  Reader<SpanInput> r{SpanInput(bytes)};
  return msg.read(r).ok();
}

template <class Msg, template <class> class Writer,
          template <class> class Reader, bool compact>
void view_encode_bench(benchmark::State& state, const std::string& name) {
  const std::string bytes = owned_filled_bytes(name, compact);
  Msg msg;
  if (!decode<Reader>(bytes, msg)) state.SkipWithError("decode failed");
  ferry::codec::WriteBuffer buf;
  codec_bench::encode_loop<Writer>(state, msg, buf);
  if (buf.view() != bytes) state.SkipWithError("re-encoding differs");
}

template <class Msg, template <class> class Writer,
          template <class> class Reader, bool compact>
void view_decode_bench(benchmark::State& state, const std::string& name) {
  const std::string bytes = owned_filled_bytes(name, compact);
  for (auto _ : state) {
    Msg msg;  // fresh, as in the other Decode rows
    if (!decode<Reader>(bytes, msg)) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(msg);
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * bytes.size()));
}

template <class Msg>
void register_message(const std::string& name) {
  using ferry::codec::BinaryReader;
  using ferry::codec::BinaryWriter;
  using ferry::codec::CompactReader;
  using ferry::codec::CompactWriter;
  auto add = [&](const char* impl, const char* op, auto fn) {
    benchmark::RegisterBenchmark(
        (std::string("BM_") + impl + "_" + name + "_" + op).c_str(), fn, name);
  };
  add("FerryBinaryView", "Encode",
      view_encode_bench<Msg, BinaryWriter, BinaryReader, false>);
  add("FerryBinaryView", "Decode",
      view_decode_bench<Msg, BinaryWriter, BinaryReader, false>);
  add("FerryCompactView", "Encode",
      view_encode_bench<Msg, CompactWriter, CompactReader, true>);
  add("FerryCompactView", "Decode",
      view_decode_bench<Msg, CompactWriter, CompactReader, true>);
}

}  // namespace

void register_view_benchmarks() {
  register_message<vw::Small>("Small");
  register_message<vw::Medium>("Medium");
  register_message<vw::Large>("Large");
}
