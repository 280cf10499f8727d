// Malformed binary protocol input: oversized and negative lengths, bad
// types and headers. Truncation at every offset and the limits shared with
// compact are in protocol_conformance_test.cc.

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/binary_protocol.h"
#include "tests/codec/codec_test_util.h"
#include "tests/support/status_matchers.h"

namespace ferry::codec {
namespace {

using ::ferry::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::ferry::codec::testing;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

BinaryReader<> reader_over(const std::string& bytes,
                           const DecodeLimits& limits = {}) {
  return BinaryReader<>(SpanInput(bytes), limits);
}

TEST(BinaryProtocolNegativeTest, HugeStringLengthHitsTheLimit) {
  // i32 length 0x7fffffff then one byte.
  const std::string bytes = unhex("7f ff ff ff 61");
  auto r = reader_over(bytes);
  std::string s;
  EXPECT_THAT(
      r.read_string(s),
      StatusIs(kInvalid, "string length 2147483647 exceeds limit 16777216"));
  EXPECT_EQ(s.capacity(), std::string().capacity());
}

TEST(BinaryProtocolNegativeTest, HugeStringLengthWithoutALimitIsTruncated) {
  // Even with the limit lifted, five bytes cannot hold 2 GiB: the check
  // against the bytes left fails before any allocation.
  const std::string bytes = unhex("7f ff ff ff 61");
  auto r = reader_over(bytes, {.max_string_length = 0xffffffffu});
  std::string s;
  EXPECT_THAT(r.read_string(s),
              StatusIs(kInvalid, "truncated: needed 2147483647 bytes, 1 left"));
  EXPECT_EQ(s.capacity(), std::string().capacity());
  auto r2 = reader_over(bytes, {.max_string_length = 0xffffffffu});
  std::string_view v;
  EXPECT_THAT(r2.read_string_view(v),
              StatusIs(kInvalid, HasSubstr("truncated")));
  auto r3 = reader_over(bytes, {.max_string_length = 0xffffffffu});
  EXPECT_THAT(r3.skip(TType::kString),
              StatusIs(kInvalid, HasSubstr("truncated")));
}

TEST(BinaryProtocolNegativeTest, NegativeLengthsAreRejected) {
  const std::string bytes = unhex("ff ff ff ff");
  std::string s;
  EXPECT_THAT(reader_over(bytes).read_string(s),
              StatusIs(kInvalid, "negative string length -1"));
  EXPECT_THAT(reader_over(bytes).read_binary(s),
              StatusIs(kInvalid, "negative binary length -1"));
  EXPECT_THAT(reader_over(bytes).skip(TType::kString),
              StatusIs(kInvalid, "negative string length -1"));
}

TEST(BinaryProtocolNegativeTest, NegativeContainerSizesAreRejected) {
  TType k, v;
  std::uint32_t n;
  const std::string list = unhex("08 80 00 00 00");
  EXPECT_THAT(reader_over(list).read_list_begin(k, n),
              StatusIs(kInvalid, "negative list size -2147483648"));
  EXPECT_THAT(reader_over(list).read_set_begin(k, n),
              StatusIs(kInvalid, "negative set size -2147483648"));
  const std::string map = unhex("08 08 ff ff ff fb");
  EXPECT_THAT(reader_over(map).read_map_begin(k, v, n),
              StatusIs(kInvalid, "negative map size -5"));
}

TEST(BinaryProtocolNegativeTest, HugeCountsWithTinyInputAreTruncated) {
  TType k, v;
  std::uint32_t n;
  // 1M i64 elements claimed, none present: needs 8 MiB.
  const std::string list = unhex("0a 00 10 00 00");
  EXPECT_THAT(reader_over(list).read_list_begin(k, n),
              StatusIs(kInvalid, "truncated: needed 8388608 bytes, 0 left"));
  // 1M map entries of (string, i32): at least 8 bytes each.
  const std::string map = unhex("0b 08 00 10 00 00 00 00");
  EXPECT_THAT(reader_over(map).read_map_begin(k, v, n),
              StatusIs(kInvalid, "truncated: needed 8388608 bytes, 2 left"));
  // Over the container limit is reported as such.
  const std::string big = unhex("03 7f ff ff ff");
  EXPECT_THAT(
      reader_over(big).read_list_begin(k, n),
      StatusIs(kInvalid, "list size 2147483647 exceeds limit 16777216"));
}

TEST(BinaryProtocolNegativeTest, InvalidTypesAreRejected) {
  TType k, v;
  std::uint32_t n;
  EXPECT_THAT(reader_over(unhex("05 00 00 00 01 00")).read_list_begin(k, n),
              StatusIs(kInvalid, "invalid list element type 0x05"));
  EXPECT_THAT(reader_over(unhex("00 00 00 00 01 00")).read_set_begin(k, n),
              StatusIs(kInvalid, "invalid set element type 0x00"));
  EXPECT_THAT(
      reader_over(unhex("07 08 00 00 00 01 00")).read_map_begin(k, v, n),
      StatusIs(kInvalid, "invalid map key type 0x07"));
  EXPECT_THAT(
      reader_over(unhex("08 11 00 00 00 01 00")).read_map_begin(k, v, n),
      StatusIs(kInvalid, "invalid map value type 0x11"));
  for (int bad : {0, 1, 5, 7, 9, 17, 255}) {
    SCOPED_TRACE(bad);
    const std::string bytes(8, '\0');
    EXPECT_THAT(reader_over(bytes).skip(static_cast<TType>(bad)),
                StatusIs(kInvalid, HasSubstr("invalid type")));
  }
  // An unknown field type inside a skipped struct.
  const std::string structure = unhex("09 00 01 00 00 00 00 00");
  EXPECT_THAT(reader_over(structure).skip(TType::kStruct),
              StatusIs(kInvalid, "invalid type 0x09"));
}

TEST(BinaryProtocolNegativeTest, BadMessageHeadersAreRejected) {
  std::string name;
  MessageType type;
  std::int32_t seqid;
  EXPECT_THAT(reader_over(unhex("80 02 00 01 00 00 00 00 00 00 00 00"))
                  .read_message_begin(name, type, seqid),
              StatusIs(kInvalid, "bad binary protocol version 0x80020001"));
  EXPECT_THAT(reader_over(unhex("80 01 00 05 00 00 00 00 00 00 00 00"))
                  .read_message_begin(name, type, seqid),
              StatusIs(kInvalid, "invalid message type 0x05"));
  EXPECT_THAT(reader_over(unhex("80 01 00 00 00 00 00 00 00 00 00 00"))
                  .read_message_begin(name, type, seqid),
              StatusIs(kInvalid, "invalid message type 0x00"));
  // Old form with a bad type byte.
  EXPECT_THAT(reader_over(unhex("00 00 00 01 61 09 00 00 00 00"))
                  .read_message_begin(name, type, seqid),
              StatusIs(kInvalid, "invalid message type 0x09"));
  // Old form whose name length the input cannot hold.
  EXPECT_THAT(reader_over(unhex("00 ff ff ff 61"))
                  .read_message_begin(name, type, seqid),
              StatusIs(kInvalid, "truncated: needed 16777215 bytes, 1 left"));
  EXPECT_THAT(
      reader_over(unhex("7f ff ff ff 61"))
          .read_message_begin(name, type, seqid),
      StatusIs(kInvalid, "string length 2147483647 exceeds limit 16777216"));
}

TEST(BinaryProtocolNegativeTest, TruncatedPrimitivesSayHowMuchWasMissing) {
  std::int64_t i64;
  EXPECT_THAT(reader_over(unhex("01 02 03")).read_i64(i64),
              StatusIs(kInvalid, "truncated: needed 8 bytes, 3 left"));
  Uuid u;
  EXPECT_THAT(reader_over(std::string(15, 'u')).read_uuid(u),
              StatusIs(kInvalid, "truncated: needed 16 bytes, 15 left"));
  // A string whose bytes straddle slices and then run out.
  const IoBuf chain = chain_split_at(unhex("00 00 00 05 61 62 63"), {5});
  BinaryReader<ChainInput> r{ChainInput(chain)};
  std::string s;
  EXPECT_THAT(r.read_string(s),
              StatusIs(kInvalid, "truncated: needed 5 bytes, 3 left"));
}

}  // namespace
}  // namespace ferry::codec
