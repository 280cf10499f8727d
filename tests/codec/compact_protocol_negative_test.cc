// Malformed compact protocol input: over-long varints, oversized and
// negative lengths, invalid types and headers. Truncation at every offset
// and the limits shared with binary are in protocol_conformance_test.cc.

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/compact_protocol.h"
#include "tests/codec/codec_test_util.h"
#include "tests/support/status_matchers.h"

namespace ferry::codec {
namespace {

using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::ferry::codec::testing;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

CompactReader<> reader_over(const std::string& bytes,
                            const DecodeLimits& limits = {}) {
  return CompactReader<>(SpanInput(bytes), limits);
}

TEST(CompactProtocolNegativeTest, OverlongVarintsAreRejected) {
  // Six continuation-flagged bytes for an i32 (max 5), eleven for an i64
  // (max 10); trailing padding keeps the fast path in play.
  const std::string long32 = unhex("ff ff ff ff ff 01") + std::string(16, 0);
  const std::string long64 =
      unhex("ff ff ff ff ff ff ff ff ff ff 01") + std::string(16, 0);
  std::int32_t i32;
  std::int64_t i64;
  std::int16_t i16;
  EXPECT_THAT(reader_over(long32).read_i32(i32),
              StatusIs(kInvalid, "varint longer than 5 bytes (32-bit value)"));
  EXPECT_THAT(reader_over(long32).read_i16(i16),
              StatusIs(kInvalid, HasSubstr("varint longer than 5 bytes")));
  EXPECT_THAT(reader_over(long64).read_i64(i64),
              StatusIs(kInvalid, "varint longer than 10 bytes (64-bit value)"));
  // Slow path: the same bytes with nothing after them, and split slices.
  const std::string bare32 = unhex("80 80 80 80 80 01");
  EXPECT_THAT(reader_over(bare32).read_i32(i32),
              StatusIs(kInvalid, HasSubstr("varint longer than 5 bytes")));
  const IoBuf chain =
      chain_of_single_bytes(unhex("80 80 80 80 80 80 80 80 80 80 01"));
  CompactReader<ChainInput> r{ChainInput(chain)};
  EXPECT_THAT(r.read_i64(i64),
              StatusIs(kInvalid, HasSubstr("varint longer than 10 bytes")));
  // A string length and a list size are varints too.
  std::string s;
  EXPECT_THAT(reader_over(long32).read_string(s),
              StatusIs(kInvalid, HasSubstr("varint longer than 5 bytes")));
  TType t;
  std::uint32_t n;
  EXPECT_THAT(reader_over(unhex("f5") + long32).read_list_begin(t, n),
              StatusIs(kInvalid, HasSubstr("varint longer than 5 bytes")));
}

TEST(CompactProtocolNegativeTest, MaximalVarintsAreAccepted) {
  // Exactly 5 / 10 bytes is fine (both paths).
  const std::string max32 = unhex("ff ff ff ff 0f");
  std::int32_t i32;
  ASSERT_THAT(reader_over(max32).read_i32(i32), IsOk());
  EXPECT_EQ(i32, std::numeric_limits<std::int32_t>::min());
  ASSERT_THAT(reader_over(max32 + std::string(8, 0)).read_i32(i32), IsOk());
  EXPECT_EQ(i32, std::numeric_limits<std::int32_t>::min());
}

TEST(CompactProtocolNegativeTest, TruncatedVarintIsTruncated) {
  std::int64_t i64;
  EXPECT_THAT(reader_over(unhex("ff ff")).read_i64(i64),
              StatusIs(kInvalid, "truncated: needed 1 bytes, 0 left"));
}

TEST(CompactProtocolNegativeTest, HugeStringLengthHitsLimitOrTruncation) {
  // varint 0x7fffffff = ff ff ff ff 07, then one byte.
  const std::string bytes = unhex("ff ff ff ff 07 61");
  std::string s;
  EXPECT_THAT(
      reader_over(bytes).read_string(s),
      StatusIs(kInvalid, "string length 2147483647 exceeds limit 16777216"));
  EXPECT_EQ(s.capacity(), std::string().capacity());
  EXPECT_THAT(
      reader_over(bytes, {.max_string_length = 0xffffffffu}).read_binary(s),
      StatusIs(kInvalid, "truncated: needed 2147483647 bytes, 1 left"));
  EXPECT_EQ(s.capacity(), std::string().capacity());
}

TEST(CompactProtocolNegativeTest, LengthsAboveInt32MaxAreNegative) {
  // varint 0xffffffff is -1 as the i32 the spec says a length is.
  const std::string bytes = unhex("ff ff ff ff 0f 61");
  std::string s;
  EXPECT_THAT(reader_over(bytes).read_string(s),
              StatusIs(kInvalid, "negative string length -1"));
  TType k, v;
  std::uint32_t n;
  EXPECT_THAT(reader_over(unhex("f5") + bytes).read_list_begin(k, n),
              StatusIs(kInvalid, "negative list size -1"));
  EXPECT_THAT(reader_over(bytes).read_map_begin(k, v, n),
              StatusIs(kInvalid, "negative map size -1"));
}

TEST(CompactProtocolNegativeTest, HugeCountsWithTinyInputAreTruncated) {
  TType k, v;
  std::uint32_t n;
  // list<double> of 1000 (f7 e8 07): 8000 bytes needed.
  EXPECT_THAT(reader_over(unhex("f7 e8 07")).read_list_begin(k, n),
              StatusIs(kInvalid, "truncated: needed 8000 bytes, 0 left"));
  // map of 1000 (e8 07) i32 -> uuid (0x5d): 17 bytes an entry at least.
  EXPECT_THAT(reader_over(unhex("e8 07 5d 00")).read_map_begin(k, v, n),
              StatusIs(kInvalid, "truncated: needed 17000 bytes, 1 left"));
}

TEST(CompactProtocolNegativeTest, InvalidTypesAreRejected) {
  TType t, k, v;
  std::int16_t id;
  std::uint32_t n;
  EXPECT_THAT(reader_over(unhex("1e 00")).read_field_begin(t, id),
              StatusIs(kInvalid, "invalid compact type 0x0e"));
  EXPECT_THAT(reader_over(unhex("1f 00")).read_field_begin(t, id),
              StatusIs(kInvalid, "invalid compact type 0x0f"));
  EXPECT_THAT(reader_over(unhex("1e 00")).read_list_begin(t, n),
              StatusIs(kInvalid, "invalid compact element type 0x0e"));
  EXPECT_THAT(reader_over(unhex("10 00")).read_set_begin(t, n),
              StatusIs(kInvalid, "invalid compact element type 0x00"));
  EXPECT_THAT(reader_over(unhex("01 e5 00")).read_map_begin(k, v, n),
              StatusIs(kInvalid, "invalid compact map key type 0x0e"));
  EXPECT_THAT(reader_over(unhex("01 5f 00")).read_map_begin(k, v, n),
              StatusIs(kInvalid, "invalid compact map value type 0x0f"));
  // An invalid field type inside a skipped struct.
  EXPECT_THAT(reader_over(unhex("1e 00 00")).skip(TType::kStruct),
              StatusIs(kInvalid, "invalid compact type 0x0e"));
  bool b;
  EXPECT_THAT(reader_over(unhex("03")).read_bool(b),
              StatusIs(kInvalid, "invalid compact bool 0x03"));
  for (int bad : {0, 1, 5, 7, 9, 17}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(reader_over(std::string(8, '\0')).skip(static_cast<TType>(bad)),
                StatusIs(kInvalid, HasSubstr("invalid type")));
  }
}

TEST(CompactProtocolNegativeTest, BadMessageHeadersAreRejected) {
  std::string name;
  MessageType type;
  std::int32_t seqid;
  EXPECT_THAT(reader_over(unhex("80 01 00 00 00 00 00 00 00 00"))
                  .read_message_begin(name, type, seqid),
              StatusIs(kInvalid, "invalid compact protocol id 0x80"));
  EXPECT_THAT(
      reader_over(unhex("82 22 00 00")).read_message_begin(name, type, seqid),
      StatusIs(kInvalid, "bad compact protocol version 0x02"));
  EXPECT_THAT(
      reader_over(unhex("82 a1 00 00")).read_message_begin(name, type, seqid),
      StatusIs(kInvalid, "invalid message type 0x05"));
  EXPECT_THAT(
      reader_over(unhex("82 01 00 00")).read_message_begin(name, type, seqid),
      StatusIs(kInvalid, "invalid message type 0x00"));
  EXPECT_THAT(
      reader_over(unhex("82 21 00 ff ff ff ff 07"))
          .read_message_begin(name, type, seqid),
      StatusIs(kInvalid, "string length 2147483647 exceeds limit 16777216"));
}

TEST(CompactProtocolNegativeTest, DepthLimitAppliesToStructsInGeneratedReads) {
  // Reader configured for 2 levels; Sample -> inner is 2, items -> Inner 3.
  const std::string bytes = encode_message<CompactWriter<>>(full_sample());
  CompactReader<> r{SpanInput(bytes), {.max_depth = 1}};
  Sample out;
  EXPECT_THAT(
      decode_message(r, out),
      StatusIs(kInvalid, "Sample.numbers: nesting depth exceeds limit 1"));
}

}  // namespace
}  // namespace ferry::codec
