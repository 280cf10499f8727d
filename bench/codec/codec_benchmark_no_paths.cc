// What decode-error paths cost: ferry's decode of the same messages from
// code generated with `idlgen --no-error-paths` (failures return the
// reader's status without `Outer.items[3].name` prefixes). Compared with
// BM_Ferry{Binary,Compact}_*_Decode in the same run; the two differ only in
// the cold failure branches. A separate translation unit because both
// generations name their header bench_types.h.
#include "bench/codec/bench_fill.h"
#include "bench_types.h"  // namespace ferry_nopath::ferry::bench
#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"

void register_no_path_benchmarks() {
  namespace np = ferry_nopath::ferry::bench;
  using codec_bench::ferry_decode_bench;
  using ferry::codec::BinaryReader;
  using ferry::codec::BinaryWriter;
  using ferry::codec::CompactReader;
  using ferry::codec::CompactWriter;
  benchmark::RegisterBenchmark(
      "BM_FerryBinaryNoPaths_Medium_Decode",
      ferry_decode_bench<np::Medium, BinaryWriter, BinaryReader>);
  benchmark::RegisterBenchmark(
      "BM_FerryCompactNoPaths_Medium_Decode",
      ferry_decode_bench<np::Medium, CompactWriter, CompactReader>);
  benchmark::RegisterBenchmark(
      "BM_FerryBinaryNoPaths_Small_Decode",
      ferry_decode_bench<np::Small, BinaryWriter, BinaryReader>);
}
