// Behaviour both protocols share, as typed tests: whole-struct round trips,
// chunked (ChainInput) decoding at every split, skip, truncation at every
// offset, and the decode limits.

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"
#include "tests/codec/codec_test_util.h"
#include "tests/support/status_matchers.h"

namespace ferry::codec {
namespace {

using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::ferry::codec::testing;

template <class P>
class ProtocolConformanceTest : public ::testing::Test {
 protected:
  using Writer = typename P::Writer;
  using SpanReader = typename P::template Reader<SpanInput>;
  using ChainReader = typename P::template Reader<ChainInput>;
};

struct ProtocolName {
  template <class P>
  static std::string GetName(int) {
    return P::kName;
  }
};
using Protocols = ::testing::Types<Binary, Compact>;
TYPED_TEST_SUITE(ProtocolConformanceTest, Protocols, ProtocolName);

TYPED_TEST(ProtocolConformanceTest, ModelsTheConcepts) {
  using P = TypeParam;
  static_assert(ProtocolWriter<typename P::Writer>);
  static_assert(ProtocolReader<typename P::template Reader<SpanInput>>);
  static_assert(ProtocolReader<typename P::template Reader<ChainInput>>);
  // Writer and reader name each other with the default buffers.
  static_assert(std::is_same_v<typename P::Writer::Reader,
                               typename P::template Reader<SpanInput>>);
  static_assert(std::is_same_v<typename P::template Reader<ChainInput>::Writer,
                               typename P::Writer>);
  static_assert(P::Writer::kProtocolId ==
                P::template Reader<SpanInput>::kProtocolId);
}

TYPED_TEST(ProtocolConformanceTest, RoundTripsEveryFieldKind) {
  const Sample in = full_sample();
  const std::string bytes = encode_message<typename TestFixture::Writer>(in);
  typename TestFixture::SpanReader r{SpanInput(bytes)};
  Sample out;
  ASSERT_THAT(decode_message(r, out), IsOk());
  EXPECT_EQ(out, in);
  EXPECT_EQ(r.remaining(), 0u);
}

TYPED_TEST(ProtocolConformanceTest, RoundTripsDefaults) {
  const Sample in;
  const std::string bytes = encode_message<typename TestFixture::Writer>(in);
  typename TestFixture::SpanReader r{SpanInput(bytes)};
  Sample out = full_sample();
  ASSERT_THAT(decode_message(r, out), IsOk());
  EXPECT_EQ(out, in);
}

TYPED_TEST(ProtocolConformanceTest,
           ChainInputSplitAtEveryOffsetDecodesTheSame) {
  const Sample in = full_sample();
  const std::string bytes = encode_message<typename TestFixture::Writer>(in);
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    const IoBuf chain = chain_split_at(bytes, {cut});
    typename TestFixture::ChainReader r{ChainInput(chain)};
    Sample out;
    ASSERT_THAT(decode_message(r, out), IsOk());
    EXPECT_EQ(out, in);
    EXPECT_EQ(r.remaining(), 0u);
  }
  // Two cuts, every pair a few bytes apart.
  for (std::size_t cut = 1; cut + 3 < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    const IoBuf chain = chain_split_at(bytes, {cut, cut + 3});
    typename TestFixture::ChainReader r{ChainInput(chain)};
    Sample out;
    ASSERT_THAT(decode_message(r, out), IsOk());
    EXPECT_EQ(out, in);
  }
}

// The writers store whole 8-byte words and commit only the bytes they mean,
// and copy short strings word by word. A string of every short length, at
// every alignment, between two other values, must read back exactly.
TYPED_TEST(ProtocolConformanceTest, StringsOfEveryShortLengthAtEveryOffset) {
  using W = typename TestFixture::Writer;
  for (std::size_t n = 0; n <= 140; ++n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 37 + n);
    for (std::size_t offset = 0; offset < 8; ++offset) {
      const std::string bytes = encode<W>([&](W& w) {
        for (std::size_t k = 0; k < offset; ++k) w.write_byte(0x5a);
        w.write_string(s);
        w.write_byte(0x7e);
      });
      typename TestFixture::SpanReader r{SpanInput(bytes)};
      std::int8_t b = 0;
      for (std::size_t k = 0; k < offset; ++k) {
        ASSERT_THAT(r.read_byte(b), IsOk());
        ASSERT_EQ(b, 0x5a);
      }
      std::string out;
      ASSERT_THAT(r.read_string(out), IsOk());
      ASSERT_EQ(out, s) << "length " << n << " offset " << offset;
      ASSERT_THAT(r.read_byte(b), IsOk());
      ASSERT_EQ(b, 0x7e) << "length " << n << " offset " << offset;
      ASSERT_EQ(r.remaining(), 0u) << "length " << n << " offset " << offset;
    }
  }
}

// A buffer that has to grow on almost every write (the writers ask for a
// word of slack beyond each value) produces the same bytes.
TYPED_TEST(ProtocolConformanceTest, AGrowingBufferWritesTheSameBytes) {
  using W = typename TestFixture::Writer;
  const Sample in = full_sample();
  const std::string expected = encode<W>([&](W& w) { in.write(w); });
  WriteBuffer tiny(1);
  W w(tiny);
  in.write(w);
  EXPECT_EQ(hex(std::string(tiny.view())), hex(expected));
}

TYPED_TEST(ProtocolConformanceTest, ChainInputOfSingleBytesDecodesTheSame) {
  const Sample in = full_sample();
  const std::string bytes = encode_message<typename TestFixture::Writer>(in);
  const IoBuf chain = chain_of_single_bytes(bytes);
  ASSERT_EQ(chain.slices().size(), bytes.size());
  typename TestFixture::ChainReader r{ChainInput(chain)};
  Sample out;
  ASSERT_THAT(decode_message(r, out), IsOk());
  EXPECT_EQ(out, in);
}

TYPED_TEST(ProtocolConformanceTest, SkipsEveryTypeNested) {
  const std::string bytes =
      encode_message<typename TestFixture::Writer>(full_sample());
  {
    typename TestFixture::SpanReader r{SpanInput(bytes)};
    Empty out;
    ASSERT_THAT(decode_message(r, out), IsOk());
    EXPECT_EQ(r.remaining(), 0u);
  }
  {
    const IoBuf chain = chain_of_single_bytes(bytes);
    typename TestFixture::ChainReader r{ChainInput(chain)};
    Empty out;
    ASSERT_THAT(decode_message(r, out), IsOk());
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TYPED_TEST(ProtocolConformanceTest, SkipsEachTopLevelType) {
  // One value of each type, each followed by a sentinel i32 that must read
  // back correctly after the skip.
  using W = typename TestFixture::Writer;
  Sample sample = full_sample();
  const auto check = [](TType type, auto write_one) {
    SCOPED_TRACE(static_cast<int>(type));
    const std::string bytes = encode<W>([&](W& w) {
      write_one(w);
      w.write_i32(12345);
    });
    typename TestFixture::SpanReader r{SpanInput(bytes)};
    ASSERT_THAT(r.skip(type), IsOk());
    std::int32_t sentinel = 0;
    ASSERT_THAT(r.read_i32(sentinel), IsOk());
    EXPECT_EQ(sentinel, 12345);
  };
  check(TType::kBool, [](W& w) { w.write_bool(true); });
  check(TType::kByte, [](W& w) { w.write_byte(-1); });
  check(TType::kI16, [](W& w) { w.write_i16(-300); });
  check(TType::kI32, [](W& w) { w.write_i32(1 << 30); });
  check(TType::kI64, [](W& w) { w.write_i64(-(1LL << 60)); });
  check(TType::kDouble, [](W& w) { w.write_double(2.5); });
  check(TType::kString, [](W& w) { w.write_string("skip me"); });
  check(TType::kUuid, [&](W& w) { w.write_uuid(sample.id); });
  check(TType::kStruct, [&](W& w) { sample.write(w); });
  check(TType::kList, [&](W& w) { write_value(w, sample.items); });
  check(TType::kList, [&](W& w) { write_value(w, sample.bits); });
  check(TType::kList, [&](W& w) { write_value(w, sample.doubles); });
  check(TType::kList, [&](W& w) { write_value(w, sample.nested); });
  check(TType::kSet, [&](W& w) { write_value(w, sample.tags); });
  check(TType::kMap, [&](W& w) { write_value(w, sample.by_id); });
  check(TType::kMap, [&](W& w) { write_value(w, sample.counts); });
  check(TType::kMap,
        [&](W& w) { write_value(w, std::map<std::string, std::int64_t>{}); });
}

TYPED_TEST(ProtocolConformanceTest, UnknownFieldsAreSkipped) {
  // Sample written, Inner read: Inner's ids 1 and 2 match Sample's flag
  // (bool) and b (byte) with other types, so both are skipped like the rest.
  const std::string bytes =
      encode_message<typename TestFixture::Writer>(full_sample());
  typename TestFixture::SpanReader r{SpanInput(bytes)};
  Inner out{"keep", true};
  ASSERT_THAT(decode_message(r, out), IsOk());
  EXPECT_EQ(out.name, "keep");
  EXPECT_EQ(r.remaining(), 0u);
}

TYPED_TEST(ProtocolConformanceTest, TruncationAtEveryOffsetIsACleanError) {
  const std::string bytes =
      encode_message<typename TestFixture::Writer>(full_sample());
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    SCOPED_TRACE(len);
    // Copy the prefix so ASan sees any read past its end.
    const std::string prefix = bytes.substr(0, len);
    {
      typename TestFixture::SpanReader r{SpanInput(prefix)};
      Sample out;
      EXPECT_THAT(
          decode_message(r, out),
          StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
    }
    {
      typename TestFixture::SpanReader r{SpanInput(prefix)};
      Empty out;
      EXPECT_THAT(
          decode_message(r, out),
          StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
    }
    {
      const IoBuf chain = chain_of_single_bytes(prefix);
      typename TestFixture::ChainReader r{ChainInput(chain)};
      Sample out;
      EXPECT_THAT(
          decode_message(r, out),
          StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
    }
  }
}

TYPED_TEST(ProtocolConformanceTest, StringViewPointsIntoTheInput) {
  using W = typename TestFixture::Writer;
  const std::string bytes = encode<W>([](W& w) {
    w.write_string("zero-copy");
    w.write_string("");
  });
  typename TestFixture::SpanReader r{SpanInput(bytes)};
  std::string_view v;
  ASSERT_THAT(r.read_string_view(v), IsOk());
  EXPECT_EQ(v, "zero-copy");
  EXPECT_GE(v.data(), bytes.data());
  EXPECT_LE(v.data() + v.size(), bytes.data() + bytes.size());
  ASSERT_THAT(r.read_string_view(v), IsOk());
  EXPECT_EQ(v, "");
}

TYPED_TEST(ProtocolConformanceTest, StringViewAcrossSlicesStaysValid) {
  using W = typename TestFixture::Writer;
  const std::string bytes = encode<W>([](W& w) {
    w.write_string("first value spans");
    w.write_string("second one too");
  });
  const IoBuf chain = chain_of_single_bytes(bytes);
  typename TestFixture::ChainReader r{ChainInput(chain)};
  std::string_view a, b;
  ASSERT_THAT(r.read_string_view(a), IsOk());
  ASSERT_THAT(r.read_string_view(b), IsOk());
  // Both views are still valid (owned by the input) after the second read.
  EXPECT_EQ(a, "first value spans");
  EXPECT_EQ(b, "second one too");
}

TYPED_TEST(ProtocolConformanceTest, StringLimitApplies) {
  using W = typename TestFixture::Writer;
  const std::string bytes = encode<W>([](W& w) {
    w.write_string(std::string(11, 'x'));
    w.write_binary(std::string(11, 'x'));
  });
  const DecodeLimits limits{.max_string_length = 10};
  {
    typename TestFixture::SpanReader r{SpanInput(bytes), limits};
    std::string s;
    EXPECT_THAT(r.read_string(s),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "string length 11 exceeds limit 10"));
  }
  {
    typename TestFixture::SpanReader r{SpanInput(bytes), limits};
    std::string_view s;
    EXPECT_THAT(r.read_string_view(s),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "string length 11 exceeds limit 10"));
  }
  {
    typename TestFixture::SpanReader r{SpanInput(bytes), limits};
    EXPECT_THAT(r.skip(TType::kString),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "string length 11 exceeds limit 10"));
  }
  {
    typename TestFixture::SpanReader r{SpanInput(bytes),
                                       {.max_string_length = 11}};
    std::string s;
    ASSERT_THAT(r.read_string(s), IsOk());
    const DecodeLimits tight{.max_string_length = 10};
    typename TestFixture::SpanReader r2{
        SpanInput(
            std::string_view(bytes).substr(r.input().data() - bytes.data())),
        tight};
    EXPECT_THAT(r2.read_binary(s),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "binary length 11 exceeds limit 10"));
  }
}

TYPED_TEST(ProtocolConformanceTest, ContainerLimitApplies) {
  using W = typename TestFixture::Writer;
  const DecodeLimits limits{.max_container_size = 3};
  const auto expect_limited = [&](auto write, TType type, const char* what) {
    SCOPED_TRACE(what);
    const std::string bytes = encode<W>(write);
    typename TestFixture::SpanReader r{SpanInput(bytes), limits};
    EXPECT_THAT(r.skip(type),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         std::string(what) + " size 4 exceeds limit 3"));
  };
  expect_limited(
      [](W& w) {
        write_value(w, std::vector<std::int32_t>{1, 2, 3, 4});
      },
      TType::kList, "list");
  expect_limited(
      [](W& w) {
        write_value(w, std::set<std::string>{"a", "b", "c", "d"});
      },
      TType::kSet, "set");
  expect_limited(
      [](W& w) {
        write_value(w, std::map<std::int32_t, std::int64_t>{
                           {1, 1}, {2, 2}, {3, 3}, {4, 4}});
      },
      TType::kMap, "map");
  // At the limit is fine.
  const std::string ok = encode<W>([](W& w) {
    write_value(w, std::vector<std::int32_t>{1, 2, 3});
  });
  typename TestFixture::SpanReader r{SpanInput(ok), limits};
  std::vector<std::int32_t> v;
  EXPECT_THAT(read_value(r, v), IsOk());
}

// Writes `depth` levels of list<list<...<i32>>>, the innermost empty.
template <class W>
void write_nested_lists(W& w, int depth) {
  for (int i = 0; i < depth - 1; ++i) w.write_list_begin(TType::kList, 1);
  w.write_list_begin(TType::kI32, 0);
  for (int i = 0; i < depth; ++i) w.write_list_end();
}

// Writes `depth` levels of struct { 1: struct { 1: ... } }.
template <class W>
void write_nested_structs(W& w, int depth) {
  for (int i = 0; i < depth; ++i) {
    w.write_struct_begin("S");
    if (i + 1 < depth) w.write_field_begin("s", TType::kStruct, 1);
  }
  for (int i = 0; i < depth; ++i) {
    w.write_field_stop();
    w.write_struct_end();
    if (i + 1 < depth) w.write_field_end();
  }
}

TYPED_TEST(ProtocolConformanceTest, DepthLimitAppliesToSkippedContainers) {
  using W = typename TestFixture::Writer;
  const std::string at_limit =
      encode<W>([](W& w) { write_nested_lists(w, 64); });
  const std::string over = encode<W>([](W& w) { write_nested_lists(w, 65); });
  typename TestFixture::SpanReader ok{SpanInput(at_limit)};
  EXPECT_THAT(ok.skip(TType::kList), IsOk());
  typename TestFixture::SpanReader bad{SpanInput(over)};
  EXPECT_THAT(bad.skip(TType::kList),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "nesting depth exceeds limit 64"));
}

TYPED_TEST(ProtocolConformanceTest, DepthLimitAppliesToSkippedStructs) {
  using W = typename TestFixture::Writer;
  const DecodeLimits limits{.max_depth = 10};
  const std::string at_limit =
      encode<W>([](W& w) { write_nested_structs(w, 10); });
  const std::string over = encode<W>([](W& w) { write_nested_structs(w, 11); });
  typename TestFixture::SpanReader ok{SpanInput(at_limit), limits};
  EXPECT_THAT(ok.skip(TType::kStruct), IsOk());
  EXPECT_EQ(ok.remaining(), 0u);
  typename TestFixture::SpanReader bad{SpanInput(over), limits};
  EXPECT_THAT(bad.skip(TType::kStruct),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "nesting depth exceeds limit 10"));
}

TYPED_TEST(ProtocolConformanceTest,
           DeepHostileNestingFailsWithoutRecursingFar) {
  // 100000 nested list headers: the skip stops at max_depth instead of
  // recursing 100000 frames deep.
  using W = typename TestFixture::Writer;
  const std::string bytes = encode<W>([](W& w) {
    for (int i = 0; i < 100000; ++i) w.write_list_begin(TType::kList, 1);
  });
  typename TestFixture::SpanReader r{SpanInput(bytes)};
  EXPECT_THAT(r.skip(TType::kList), StatusIs(absl::StatusCode::kInvalidArgument,
                                             "nesting depth exceeds limit 64"));
}

TYPED_TEST(ProtocolConformanceTest, DepthLimitAppliesToGeneratedReads) {
  // Sample -> items (list, depth 2) -> Inner (struct, depth 3).
  const std::string bytes =
      encode_message<typename TestFixture::Writer>(full_sample());
  typename TestFixture::SpanReader r{SpanInput(bytes), {.max_depth = 2}};
  Sample out;
  EXPECT_THAT(decode_message(r, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Sample.items[0]: nesting depth exceeds limit 2"));
}

TYPED_TEST(ProtocolConformanceTest, FieldPathNamesTheFailingElement) {
  Sample in = full_sample();
  in.items[3].name = std::string(20, 'n');
  in.by_id[-2].name = "short";
  const std::string bytes = encode_message<typename TestFixture::Writer>(in);
  typename TestFixture::SpanReader r{SpanInput(bytes),
                                     {.max_string_length = 10}};
  Sample out;
  const Status s = decode_message(r, out);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          "Sample.items[3].name: string length 20 exceeds "
                          "limit 10"));
  EXPECT_EQ(error_path(s), "Sample.items[3].name");
  EXPECT_EQ(error_detail(s), "string length 20 exceeds limit 10");
}

TYPED_TEST(ProtocolConformanceTest, FieldPathNamesMapValues) {
  Sample in;
  in.by_id = {{1, {"ok", true}}, {2, {std::string(20, 'v'), true}}};
  const std::string bytes = encode_message<typename TestFixture::Writer>(in);
  typename TestFixture::SpanReader r{SpanInput(bytes),
                                     {.max_string_length = 10}};
  Sample out;
  EXPECT_THAT(decode_message(r, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Sample.by_id{value #1}.name: string length 20 "
                       "exceeds limit 10"));
}

TYPED_TEST(ProtocolConformanceTest, FieldPathNamesMapKeys) {
  Sample in;
  in.counts = {{"k", 1}, {std::string(20, 'k'), 2}};
  const std::string bytes = encode_message<typename TestFixture::Writer>(in);
  typename TestFixture::SpanReader r{SpanInput(bytes),
                                     {.max_string_length = 10}};
  Sample out;
  EXPECT_THAT(decode_message(r, out),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "Sample.counts{key #1}: string length 20 exceeds "
                       "limit 10"));
}

TYPED_TEST(ProtocolConformanceTest,
           HugeCountWithTinyInputFailsBeforeReserving) {
  // A list header claiming 16M i64 elements, then nothing: the reader
  // rejects the count against the bytes left, so `reserve` never runs.
  using W = typename TestFixture::Writer;
  const std::string bytes =
      encode<W>([](W& w) { w.write_list_begin(TType::kI64, 16u << 20); });
  typename TestFixture::SpanReader r{SpanInput(bytes)};
  std::vector<std::int64_t> v;
  EXPECT_THAT(read_value(r, v), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("truncated: needed")));
  EXPECT_EQ(v.capacity(), 0u);
}

TYPED_TEST(ProtocolConformanceTest, EnvelopeRoundTripsEveryMessageType) {
  using W = typename TestFixture::Writer;
  for (MessageType type : {MessageType::kCall, MessageType::kReply,
                           MessageType::kException, MessageType::kOneway}) {
    for (std::int32_t seqid :
         {0, 1, -1, std::numeric_limits<std::int32_t>::max(),
          std::numeric_limits<std::int32_t>::min()}) {
      const std::string bytes = encode<W>([&](W& w) {
        w.write_message_begin("getUser", type, seqid);
        Empty{}.write(w);
        w.write_message_end();
      });
      typename TestFixture::SpanReader r{SpanInput(bytes)};
      std::string name;
      MessageType got_type;
      std::int32_t got_seqid;
      ASSERT_THAT(r.read_message_begin(name, got_type, got_seqid), IsOk());
      EXPECT_EQ(name, "getUser");
      EXPECT_EQ(got_type, type);
      EXPECT_EQ(got_seqid, seqid);
      Empty body;
      ASSERT_THAT(body.read(r), IsOk());
      ASSERT_THAT(r.read_message_end(), IsOk());
      EXPECT_EQ(r.remaining(), 0u);
    }
  }
}

template <class P, class T, class WriteFn, class ReadFn>
void expect_round_trip(const T& value, WriteFn write, ReadFn read) {
  using W = typename P::Writer;
  const std::string bytes = encode<W>([&](W& w) { write(w, value); });
  typename P::template Reader<SpanInput> r{SpanInput(bytes)};
  T out{};
  ASSERT_THAT(read(r, out), IsOk());
  if constexpr (std::is_same_v<T, double>) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(out),
              std::bit_cast<std::uint64_t>(value));
  } else {
    EXPECT_EQ(out, value);
  }
  EXPECT_EQ(r.remaining(), 0u);
}

TYPED_TEST(ProtocolConformanceTest, RoundTripsEdgeValues) {
  using P = TypeParam;
  const auto w16 = [](auto& w, std::int16_t v) { w.write_i16(v); };
  const auto r16 = [](auto& r, std::int16_t& v) { return r.read_i16(v); };
  for (std::int16_t v : {std::int16_t{0}, std::int16_t{1}, std::int16_t{-1},
                         std::numeric_limits<std::int16_t>::min(),
                         std::numeric_limits<std::int16_t>::max()})
    expect_round_trip<P>(v, w16, r16);
  const auto w32 = [](auto& w, std::int32_t v) { w.write_i32(v); };
  const auto r32 = [](auto& r, std::int32_t& v) { return r.read_i32(v); };
  for (std::int32_t v :
       {0, 1, -1, 63, -64, 64, -65, std::numeric_limits<std::int32_t>::min(),
        std::numeric_limits<std::int32_t>::max()})
    expect_round_trip<P>(v, w32, r32);
  const auto w64 = [](auto& w, std::int64_t v) { w.write_i64(v); };
  const auto r64 = [](auto& r, std::int64_t& v) { return r.read_i64(v); };
  for (std::int64_t v :
       {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1} << 35,
        -(std::int64_t{1} << 35), std::numeric_limits<std::int64_t>::min(),
        std::numeric_limits<std::int64_t>::max()})
    expect_round_trip<P>(v, w64, r64);
  const auto w8 = [](auto& w, std::int8_t v) { w.write_byte(v); };
  const auto r8 = [](auto& r, std::int8_t& v) { return r.read_byte(v); };
  for (std::int8_t v : {std::int8_t{0}, std::int8_t{-128}, std::int8_t{127}})
    expect_round_trip<P>(v, w8, r8);
  const auto wd = [](auto& w, double v) { w.write_double(v); };
  const auto rd = [](auto& r, double& v) { return r.read_double(v); };
  for (double v :
       {0.0, -0.0, 1.0, -1.5, std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::denorm_min(),
        -std::numeric_limits<double>::denorm_min(),
        std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest(),
        std::bit_cast<double>(std::uint64_t{0x7ff8000000000001}),
        std::bit_cast<double>(std::uint64_t{0xfff4000000000000})})
    expect_round_trip<P>(v, wd, rd);
  const auto ws = [](auto& w, const std::string& v) { w.write_string(v); };
  const auto rs = [](auto& r, std::string& v) { return r.read_string(v); };
  for (const std::string& v :
       {std::string(), std::string("\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x98\x80"),
        std::string("nul\0inside", 10), std::string(100000, 'z')})
    expect_round_trip<P>(v, ws, rs);
  const auto wb = [](auto& w, bool v) { w.write_bool(v); };
  const auto rb = [](auto& r, bool& v) { return r.read_bool(v); };
  expect_round_trip<P>(true, wb, rb);
  expect_round_trip<P>(false, wb, rb);
}

TYPED_TEST(ProtocolConformanceTest, RoundTripsContainerSizes) {
  using W = typename TestFixture::Writer;
  for (std::uint32_t n : {0u, 1u, 14u, 15u, 16u, 127u, 128u, 100000u}) {
    SCOPED_TRACE(n);
    std::vector<std::int32_t> list(n);
    for (std::uint32_t k = 0; k < n; ++k) list[k] = static_cast<int>(k) - 7;
    std::vector<bool> bits(n);
    for (std::uint32_t k = 0; k < n; ++k) bits[k] = k % 3 == 0;
    std::map<std::int32_t, std::int64_t> map;
    for (std::uint32_t k = 0; k < std::min(n, 1000u); ++k) map[k] = -k;
    const std::string bytes = encode<W>([&](W& w) {
      write_value(w, list);
      write_value(w, bits);
      write_value(w, map);
    });
    typename TestFixture::SpanReader r{SpanInput(bytes)};
    std::vector<std::int32_t> list_out;
    std::vector<bool> bits_out;
    std::map<std::int32_t, std::int64_t> map_out;
    ASSERT_THAT(read_value(r, list_out), IsOk());
    ASSERT_THAT(read_value(r, bits_out), IsOk());
    ASSERT_THAT(read_value(r, map_out), IsOk());
    EXPECT_EQ(list_out, list);
    EXPECT_EQ(bits_out, bits);
    EXPECT_EQ(map_out, map);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TYPED_TEST(ProtocolConformanceTest, RoundTripsFieldIdsAndBoolFields) {
  // Field ids around the compact delta boundaries, each a bool (packed
  // into the compact header) followed by an i32.
  using W = typename TestFixture::Writer;
  const std::vector<std::int16_t> ids = {
      1,
      2,
      17,
      17,
      33,
      32,
      -1,
      -5,
      15,
      30,
      0,
      std::numeric_limits<std::int16_t>::max(),
      std::numeric_limits<std::int16_t>::min()};
  const std::string bytes = encode<W>([&](W& w) {
    w.write_struct_begin("Ids");
    for (std::size_t k = 0; k < ids.size(); ++k) {
      w.write_field_begin("b", TType::kBool, ids[k]);
      w.write_bool(k % 2 == 0);
      w.write_field_end();
      w.write_field_begin("i", TType::kI32, ids[k]);
      w.write_i32(static_cast<std::int32_t>(k));
      w.write_field_end();
    }
    w.write_field_stop();
    w.write_struct_end();
  });
  typename TestFixture::SpanReader r{SpanInput(bytes)};
  ASSERT_THAT(r.read_struct_begin(), IsOk());
  for (std::size_t k = 0; k < ids.size(); ++k) {
    SCOPED_TRACE(k);
    TType type;
    std::int16_t id;
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    EXPECT_EQ(type, TType::kBool);
    EXPECT_EQ(id, ids[k]);
    bool b;
    ASSERT_THAT(r.read_bool(b), IsOk());
    EXPECT_EQ(b, k % 2 == 0);
    ASSERT_THAT(r.read_field_end(), IsOk());
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    EXPECT_EQ(type, TType::kI32);
    EXPECT_EQ(id, ids[k]);
    std::int32_t v;
    ASSERT_THAT(r.read_i32(v), IsOk());
    EXPECT_EQ(v, static_cast<std::int32_t>(k));
  }
  TType type;
  std::int16_t id;
  ASSERT_THAT(r.read_field_begin(type, id), IsOk());
  EXPECT_EQ(type, TType::kStop);
  ASSERT_THAT(r.read_struct_end(), IsOk());
  EXPECT_EQ(r.remaining(), 0u);
}

TYPED_TEST(ProtocolConformanceTest, UuidRoundTrips) {
  Uuid u;
  for (int k = 0; k < 16; ++k) u.bytes[k] = static_cast<std::uint8_t>(255 - k);
  expect_round_trip<TypeParam>(
      u, [](auto& w, const Uuid& v) { w.write_uuid(v); },
      [](auto& r, Uuid& v) { return r.read_uuid(v); });
}

}  // namespace
}  // namespace ferry::codec
