// Byte-exact binary protocol encodings, derived by hand from the format
// (Apache doc/specs/thrift-binary-protocol.md): every integer big-endian,
// sizes and lengths i32, the strict message header 0x80010000 | type.

#include "codec/binary_protocol.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/codec/codec_test_util.h"
#include "tests/support/status_matchers.h"

namespace ferry::codec {
namespace {

using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;
using namespace ::ferry::codec::testing;

using W = BinaryWriter<>;

// Expects `write(w)` to produce exactly the bytes in `expected_hex`, and
// `read(r)` on them to consume everything.
template <class WriteFn>
void expect_bytes(WriteFn write, std::string_view expected_hex) {
  EXPECT_EQ(hex(encode<W>(write)), hex(unhex(expected_hex)));
}

TEST(BinaryProtocolTest, TypeIdsAreApaches) {
  static_assert(static_cast<int>(TType::kString) == 11);
  static_assert(static_cast<int>(TType::kUuid) == 16);
  static_assert(W::kProtocolId == ProtocolId::kBinary);
  static_assert(std::is_same_v<BinaryReader<>, BinaryReader<SpanInput>>);
}

TEST(BinaryProtocolTest, EncodesPrimitives) {
  expect_bytes([](W& w) { w.write_bool(true); }, "01");
  expect_bytes([](W& w) { w.write_bool(false); }, "00");
  expect_bytes([](W& w) { w.write_byte(-1); }, "ff");
  expect_bytes([](W& w) { w.write_byte(0x7f); }, "7f");
  // i16 0x0102 big-endian; -2 is 0xfffe in two's complement.
  expect_bytes([](W& w) { w.write_i16(0x0102); }, "01 02");
  expect_bytes([](W& w) { w.write_i16(-2); }, "ff fe");
  expect_bytes([](W& w) { w.write_i32(1); }, "00 00 00 01");
  expect_bytes(
      [](W& w) { w.write_i32(std::numeric_limits<std::int32_t>::min()); },
      "80 00 00 00");
  expect_bytes([](W& w) { w.write_i32(0x01020304); }, "01 02 03 04");
  expect_bytes([](W& w) { w.write_i64(-1); }, "ff ff ff ff ff ff ff ff");
  expect_bytes([](W& w) { w.write_i64(0x0102030405060708); },
               "01 02 03 04 05 06 07 08");
  // IEEE-754: 1.0 = 0x3ff0000000000000, -0.0 = sign bit only, +inf =
  // 0x7ff0000000000000.
  expect_bytes([](W& w) { w.write_double(1.0); }, "3f f0 00 00 00 00 00 00");
  expect_bytes([](W& w) { w.write_double(-0.0); }, "80 00 00 00 00 00 00 00");
  expect_bytes(
      [](W& w) { w.write_double(std::numeric_limits<double>::infinity()); },
      "7f f0 00 00 00 00 00 00");
  // "abc" = 61 62 63 after an i32 length.
  expect_bytes([](W& w) { w.write_string("abc"); }, "00 00 00 03 61 62 63");
  expect_bytes([](W& w) { w.write_string(""); }, "00 00 00 00");
  expect_bytes([](W& w) { w.write_binary(std::string("\x00\xff", 2)); },
               "00 00 00 02 00 ff");
  Uuid u;
  for (int k = 0; k < 16; ++k) u.bytes[k] = static_cast<std::uint8_t>(k);
  expect_bytes([&](W& w) { w.write_uuid(u); },
               "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
}

TEST(BinaryProtocolTest, EncodesHeaders) {
  // Field: type byte (i32 = 8), i16 id. Stop: 00.
  expect_bytes([](W& w) { w.write_field_begin("f", TType::kI32, 1); },
               "08 00 01");
  expect_bytes([](W& w) { w.write_field_begin("f", TType::kString, -2); },
               "0b ff fe");
  expect_bytes([](W& w) { w.write_field_stop(); }, "00");
  // List/set: element type, i32 size. Map: key type, value type, i32 size.
  expect_bytes([](W& w) { w.write_list_begin(TType::kI32, 3); },
               "08 00 00 00 03");
  expect_bytes([](W& w) { w.write_set_begin(TType::kString, 0); },
               "0b 00 00 00 00");
  expect_bytes([](W& w) { w.write_map_begin(TType::kString, TType::kI32, 2); },
               "0b 08 00 00 00 02");
  // Struct begin/end and field end write nothing.
  expect_bytes(
      [](W& w) {
        w.write_struct_begin("S");
        w.write_field_end();
        w.write_struct_end();
        w.write_list_end();
        w.write_set_end();
        w.write_map_end();
        w.write_message_end();
      },
      "");
}

TEST(BinaryProtocolTest, EncodesStrictMessageHeaders) {
  // 0x80010000 | type, i32 name length, "echo" (65 63 68 6f), i32 seqid.
  expect_bytes(
      [](W& w) { w.write_message_begin("echo", MessageType::kCall, 7); },
      "80 01 00 01 00 00 00 04 65 63 68 6f 00 00 00 07");
  expect_bytes(
      [](W& w) { w.write_message_begin("echo", MessageType::kReply, -1); },
      "80 01 00 02 00 00 00 04 65 63 68 6f ff ff ff ff");
  expect_bytes(
      [](W& w) { w.write_message_begin("", MessageType::kException, 0); },
      "80 01 00 03 00 00 00 00 00 00 00 00");
  expect_bytes(
      [](W& w) { w.write_message_begin("e", MessageType::kOneway, 256); },
      "80 01 00 04 00 00 00 01 65 00 00 01 00");
}

TEST(BinaryProtocolTest, EncodesAStruct) {
  // struct { 1: i32 = 5, 2: string = "x", 3: list<bool> = [true] }
  const std::string bytes = encode<W>([](W& w) {
    w.write_struct_begin("S");
    w.write_field_begin("a", TType::kI32, 1);
    w.write_i32(5);
    w.write_field_end();
    w.write_field_begin("b", TType::kString, 2);
    w.write_string("x");
    w.write_field_end();
    w.write_field_begin("c", TType::kList, 3);
    w.write_list_begin(TType::kBool, 1);
    w.write_bool(true);
    w.write_list_end();
    w.write_field_end();
    w.write_field_stop();
    w.write_struct_end();
  });
  EXPECT_EQ(hex(bytes), hex(unhex("08 0001 00000005"
                                  "0b 0002 00000001 78"
                                  "0f 0003 02 00000001 01"
                                  "00")));
}

TEST(BinaryProtocolTest, DecodesHandWrittenBytes) {
  const std::string bytes = unhex(
      "01 ff 01 02 80 00 00 00 ff ff ff ff ff ff ff fe"
      "3f f0 00 00 00 00 00 00 00 00 00 02 68 69");
  BinaryReader<> r{SpanInput(bytes)};
  bool b;
  std::int8_t i8;
  std::int16_t i16;
  std::int32_t i32;
  std::int64_t i64;
  double d;
  std::string s;
  ASSERT_THAT(r.read_bool(b), IsOk());
  ASSERT_THAT(r.read_byte(i8), IsOk());
  ASSERT_THAT(r.read_i16(i16), IsOk());
  ASSERT_THAT(r.read_i32(i32), IsOk());
  ASSERT_THAT(r.read_i64(i64), IsOk());
  ASSERT_THAT(r.read_double(d), IsOk());
  ASSERT_THAT(r.read_string(s), IsOk());
  EXPECT_TRUE(b);
  EXPECT_EQ(i8, -1);
  EXPECT_EQ(i16, 0x0102);
  EXPECT_EQ(i32, std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(i64, -2);
  EXPECT_EQ(d, 1.0);
  EXPECT_EQ(s, "hi");
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(BinaryProtocolTest, AnyNonZeroByteIsTrue) {
  const std::string bytes = unhex("02 80 00");
  BinaryReader<> r{SpanInput(bytes)};
  bool b = false;
  ASSERT_THAT(r.read_bool(b), IsOk());
  EXPECT_TRUE(b);
  ASSERT_THAT(r.read_bool(b), IsOk());
  EXPECT_TRUE(b);
  ASSERT_THAT(r.read_bool(b), IsOk());
  EXPECT_FALSE(b);
}

TEST(BinaryProtocolTest, ReadsTheOldUnversionedHeaderByDefault) {
  // Non-strict form: i32 name length, name, type byte, i32 seqid.
  const std::string bytes = unhex("00 00 00 04 65 63 68 6f 02 00 00 00 09");
  BinaryReader<> r{SpanInput(bytes)};
  std::string name;
  MessageType type;
  std::int32_t seqid;
  ASSERT_THAT(r.read_message_begin(name, type, seqid), IsOk());
  EXPECT_EQ(name, "echo");
  EXPECT_EQ(type, MessageType::kReply);
  EXPECT_EQ(seqid, 9);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(BinaryProtocolTest, StrictReaderRejectsTheOldHeader) {
  const std::string bytes = unhex("00 00 00 04 65 63 68 6f 02 00 00 00 09");
  BinaryReader<> r{SpanInput(bytes), {}, /*strict_read=*/true};
  std::string name;
  MessageType type;
  std::int32_t seqid;
  EXPECT_THAT(r.read_message_begin(name, type, seqid),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "missing version in binary message header"));
}

TEST(BinaryProtocolTest, StrictReaderAcceptsTheVersionedHeader) {
  const std::string bytes = encode<W>(
      [](W& w) { w.write_message_begin("ping", MessageType::kOneway, 3); });
  BinaryReader<> r{SpanInput(bytes), {}, /*strict_read=*/true};
  std::string name;
  MessageType type;
  std::int32_t seqid;
  ASSERT_THAT(r.read_message_begin(name, type, seqid), IsOk());
  EXPECT_EQ(name, "ping");
  EXPECT_EQ(type, MessageType::kOneway);
  EXPECT_EQ(seqid, 3);
}

// The name as a view: of the input, or of the input's copy when the name
// straddles two slices; both header forms, cut at every offset.
TEST(BinaryProtocolTest, ReadsTheHeaderNameAsAView) {
  const std::string versioned = encode<W>(
      [](W& w) { w.write_message_begin("method", MessageType::kCall, 5); });
  const std::string old = unhex("00 00 00 06 6d 65 74 68 6f 64 01 00 00 00 05");
  for (const std::string& bytes : {versioned, old}) {
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      const IoBuf chain = chain_split_at(bytes, {cut});
      BinaryReader<ChainInput> r{ChainInput(chain)};
      std::string_view name;
      MessageType type;
      std::int32_t seqid;
      ASSERT_THAT(r.read_message_begin(name, type, seqid), IsOk());
      EXPECT_EQ(name, "method") << "cut at " << cut;
      EXPECT_EQ(type, MessageType::kCall);
      EXPECT_EQ(seqid, 5);
      EXPECT_EQ(r.remaining(), 0u);
    }
  }
}

TEST(BinaryProtocolTest, ReadsEmptyContainersWithAnyElementType) {
  // An empty list may carry a type byte that is not a value type.
  const std::string bytes = unhex("00 00 00 00 00");
  BinaryReader<> r{SpanInput(bytes)};
  TType element;
  std::uint32_t n = 99;
  ASSERT_THAT(r.read_list_begin(element, n), IsOk());
  EXPECT_EQ(n, 0u);
  ASSERT_THAT(r.read_list_end(), IsOk());
}

}  // namespace
}  // namespace ferry::codec
