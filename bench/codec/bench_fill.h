#pragma once

// Shared by codec_benchmark.cc and codec_benchmark_no_paths.cc: the fill
// rules of ../shared/bench/README.md and ferry's encode/decode loops.
// ferry's and Apache's generated structs share member names, so one filler
// serves both.

#include <cstdint>
#include <string>

#include "benchmark/benchmark.h"

#include "codec/buffer.h"

namespace codec_bench {

inline std::string text(std::size_t n, char seed) {
  std::string s(n, 'a');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (seed + i) % 26);
  return s;
}

template <class Small>
void fill_small(Small& m) {
  m.id = 1234567890123;
  m.msg = text(32, 1);
}

template <class Inner>
void fill_inner(Inner& in, int i) {
  in.a = 1000 + i;
  in.b = -7 * i;
  in.c = text(16, static_cast<char>(i));
}

template <class Medium>
void fill_medium(Medium& m) {
  m.id = 9876543210;
  m.code = 200;
  m.score = 0.875;
  m.flag = true;
  m.name = text(64, 2);
  for (int i = 0; i < 32; ++i) m.values.push_back(int64_t{1} << (i % 40));
  for (int i = 0; i < 8; ++i)
    m.attrs[text(16, static_cast<char>(i))] =
        text(32, static_cast<char>(i + 3));
  fill_inner(m.inner, 0);
  m.items.resize(4);
  for (int i = 0; i < 4; ++i) fill_inner(m.items[i], i + 1);
}

template <class Large>
void fill_large(Large& m) {
  m.id = 42;
  m.payload = text(64 * 1024, 5);
}

// Picks the filler by the message's members (Large has a payload, Medium
// attrs, Small neither).
template <class Msg>
void fill_message(Msg& m) {
  if constexpr (requires { m.payload; }) {
    fill_large(m);
  } else if constexpr (requires { m.attrs; }) {
    fill_medium(m);
  } else {
    fill_small(m);
  }
}

// ---- ferry ------------------------------------------------------------------

template <template <class> class Writer>
std::string ferry_encode(const auto& msg) {
  ferry::codec::WriteBuffer buf;
  Writer<ferry::codec::WriteBuffer> w(buf);
  msg.write(w);
  return std::string(buf.view());
}

// The timed loop: encodes `msg` into `buf`, reused, once per iteration.
template <template <class> class Writer, class Msg>
void encode_loop(benchmark::State& state, const Msg& msg,
                 ferry::codec::WriteBuffer& buf) {
  for (auto _ : state) {
    buf.clear();
    Writer<ferry::codec::WriteBuffer> w(buf);
    msg.write(w);
    benchmark::DoNotOptimize(buf.view().data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * buf.size()));
}

template <class Msg, template <class> class Writer>
void ferry_encode_bench(benchmark::State& state) {
  Msg msg;
  fill_message(msg);
  ferry::codec::WriteBuffer buf;
  encode_loop<Writer>(state, msg, buf);
}

template <class Msg, template <class> class Writer,
          template <class> class Reader>
void ferry_decode_bench(benchmark::State& state) {
  Msg original;
  fill_message(original);
  const std::string bytes = ferry_encode<Writer>(original);
  for (auto _ : state) {
    Msg msg;
    Reader<ferry::codec::SpanInput> r{ferry::codec::SpanInput(bytes)};
    auto status = msg.read(r);
    if (!status.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(msg);
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * bytes.size()));
}

}  // namespace codec_bench
