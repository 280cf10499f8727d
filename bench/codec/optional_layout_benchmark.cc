// How generated structs should hold `optional` fields (idlgen issue: "as
// std::optional or an isset bit, choose by benchmark"). Two hand-written
// structs with the same eight optional fields (four i32, two i64, two
// strings; half of them set), serialized exactly as idlgen's generated code
// does with each layout:
//   StdOptional  `std::optional<T>` members (what idlgen emits)
//   IssetBits    plain members plus one `std::uint8_t` bit set (Apache's
//                `__isset`, fbthrift's layout)
// Registered into codec_bench as BM_OptionalLayout_<Layout>_<Op>.
#include <cstdint>
#include <optional>
#include <string>

#include "benchmark/benchmark.h"

#include "codec/binary_protocol.h"

namespace {

using ferry::Status;
using ferry::codec::BinaryReader;
using ferry::codec::BinaryWriter;
using ferry::codec::SpanInput;
using ferry::codec::TType;
using ferry::codec::WriteBuffer;

// One field as generated code writes it.
template <class W>
void put_i32(W& w, std::int32_t v, std::int16_t id) {
  w.write_field_begin("", TType::kI32, id);
  w.write_i32(v);
  w.write_field_end();
}
template <class W>
void put_i64(W& w, std::int64_t v, std::int16_t id) {
  w.write_field_begin("", TType::kI64, id);
  w.write_i64(v);
  w.write_field_end();
}
template <class W>
void put_string(W& w, const std::string& v, std::int16_t id) {
  w.write_field_begin("", TType::kString, id);
  w.write_string(v);
  w.write_field_end();
}

struct StdOptional {
  std::optional<std::int32_t> a, b, c, d;
  std::optional<std::int64_t> e, f;
  std::optional<std::string> g, h;

  template <class W>
  void write(W& w) const {
    w.write_struct_begin("S");
    if (a) put_i32(w, *a, 1);
    if (b) put_i32(w, *b, 2);
    if (c) put_i32(w, *c, 3);
    if (d) put_i32(w, *d, 4);
    if (e) put_i64(w, *e, 5);
    if (f) put_i64(w, *f, 6);
    if (g) put_string(w, *g, 7);
    if (h) put_string(w, *h, 8);
    w.write_field_stop();
    w.write_struct_end();
  }

  template <class R>
  Status read(R& r) {
    if (auto s = r.read_struct_begin(); !s.ok()) return s;
    while (true) {
      TType t;
      std::int16_t id = 0;
      if (auto s = r.read_field_begin(t, id); !s.ok()) return s;
      if (t == TType::kStop) break;
      Status s;
      switch (id) {
        case 1:
          s = r.read_i32(a.emplace());
          break;
        case 2:
          s = r.read_i32(b.emplace());
          break;
        case 3:
          s = r.read_i32(c.emplace());
          break;
        case 4:
          s = r.read_i32(d.emplace());
          break;
        case 5:
          s = r.read_i64(e.emplace());
          break;
        case 6:
          s = r.read_i64(f.emplace());
          break;
        case 7:
          s = r.read_string(g.emplace());
          break;
        case 8:
          s = r.read_string(h.emplace());
          break;
        default:
          s = r.skip(t);
      }
      if (!s.ok()) return s;
    }
    return r.read_struct_end();
  }
};

struct IssetBits {
  std::int32_t a = 0, b = 0, c = 0, d = 0;
  std::int64_t e = 0, f = 0;
  std::string g, h;
  std::uint8_t isset = 0;  // bit i: field i + 1

  template <class W>
  void write(W& w) const {
    w.write_struct_begin("S");
    if (isset & 1) put_i32(w, a, 1);
    if (isset & 2) put_i32(w, b, 2);
    if (isset & 4) put_i32(w, c, 3);
    if (isset & 8) put_i32(w, d, 4);
    if (isset & 16) put_i64(w, e, 5);
    if (isset & 32) put_i64(w, f, 6);
    if (isset & 64) put_string(w, g, 7);
    if (isset & 128) put_string(w, h, 8);
    w.write_field_stop();
    w.write_struct_end();
  }

  template <class R>
  Status read(R& r) {
    if (auto s = r.read_struct_begin(); !s.ok()) return s;
    while (true) {
      TType t;
      std::int16_t id = 0;
      if (auto s = r.read_field_begin(t, id); !s.ok()) return s;
      if (t == TType::kStop) break;
      Status s;
      switch (id) {
        case 1:
          s = r.read_i32(a);
          break;
        case 2:
          s = r.read_i32(b);
          break;
        case 3:
          s = r.read_i32(c);
          break;
        case 4:
          s = r.read_i32(d);
          break;
        case 5:
          s = r.read_i64(e);
          break;
        case 6:
          s = r.read_i64(f);
          break;
        case 7:
          s = r.read_string(g);
          break;
        case 8:
          s = r.read_string(h);
          break;
        default:
          s = r.skip(t);
      }
      if (!s.ok()) return s;
      if (id >= 1 && id <= 8)
        isset |= static_cast<std::uint8_t>(1u << (id - 1));
    }
    return r.read_struct_end();
  }
};

// Fields 1, 3, 5 and 7 set.
StdOptional make_optional() {
  StdOptional v;
  v.a = 1;
  v.c = -3;
  v.e = std::int64_t{1} << 40;
  v.g = "a 24-byte string value..";
  return v;
}
IssetBits make_isset() {
  IssetBits v;
  v.a = 1;
  v.c = -3;
  v.e = std::int64_t{1} << 40;
  v.g = "a 24-byte string value..";
  v.isset = 0b0101'0101;
  return v;
}

template <class T>
void encode_bench(benchmark::State& state, T value) {
  WriteBuffer buf;
  for (auto _ : state) {
    buf.clear();
    BinaryWriter<WriteBuffer> w(buf);
    value.write(w);
    benchmark::DoNotOptimize(buf.view().data());
  }
  state.counters["sizeof"] = sizeof(T);
}

template <class T>
void decode_bench(benchmark::State& state, T value) {
  WriteBuffer buf;
  BinaryWriter<WriteBuffer> w(buf);
  value.write(w);
  const std::string bytes(buf.view());
  for (auto _ : state) {
    T out;
    BinaryReader<SpanInput> r{SpanInput(bytes)};
    if (!out.read(r).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out);
  }
}

}  // namespace

void register_optional_layout_benchmarks() {
  benchmark::RegisterBenchmark("BM_OptionalLayout_StdOptional_Encode",
                               encode_bench<StdOptional>, make_optional());
  benchmark::RegisterBenchmark("BM_OptionalLayout_IssetBits_Encode",
                               encode_bench<IssetBits>, make_isset());
  benchmark::RegisterBenchmark("BM_OptionalLayout_StdOptional_Decode",
                               decode_bench<StdOptional>, make_optional());
  benchmark::RegisterBenchmark("BM_OptionalLayout_IssetBits_Decode",
                               decode_bench<IssetBits>, make_isset());
}
