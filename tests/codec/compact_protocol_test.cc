// Byte-exact compact protocol encodings, derived by hand from Apache's
// doc/specs/thrift-compact-protocol.md. Varints are LEB128 (7 bits per
// byte, low group first, high bit = more); i16/i32/i64 are zigzag first
// (0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3, ...).

#include "codec/compact_protocol.h"

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

using W = CompactWriter<>;

template <class WriteFn>
void expect_bytes(WriteFn write, std::string_view expected_hex) {
  EXPECT_EQ(hex(encode<W>(write)), hex(unhex(expected_hex)));
}

TEST(CompactProtocolTest, Traits) {
  static_assert(W::kProtocolId == ProtocolId::kCompact);
  static_assert(std::is_same_v<CompactReader<>, CompactReader<SpanInput>>);
  static_assert(compact_type_of(TType::kUuid) == 0x0d);
  static_assert(compact_type_of(TType::kList) == 0x09);
}

TEST(CompactProtocolTest, EncodesZigzagVarints) {
  // zigzag(0) = 0, zigzag(-1) = 1, zigzag(1) = 2, zigzag(-64) = 127 (one
  // byte), zigzag(64) = 128 = 80 01.
  expect_bytes([](W& w) { w.write_i32(0); }, "00");
  expect_bytes([](W& w) { w.write_i32(-1); }, "01");
  expect_bytes([](W& w) { w.write_i32(1); }, "02");
  expect_bytes([](W& w) { w.write_i32(-64); }, "7f");
  expect_bytes([](W& w) { w.write_i32(64); }, "80 01");
  // The spec's example: varint(50399) = df 89 03; 50399 is odd, so it is
  // zigzag(-25200).
  expect_bytes([](W& w) { w.write_i32(-25200); }, "df 89 03");
  // zigzag(INT32_MAX) = 0xfffffffe, zigzag(INT32_MIN) = 0xffffffff: four
  // full groups and a 0x0f top group.
  expect_bytes(
      [](W& w) { w.write_i32(std::numeric_limits<std::int32_t>::max()); },
      "fe ff ff ff 0f");
  expect_bytes(
      [](W& w) { w.write_i32(std::numeric_limits<std::int32_t>::min()); },
      "ff ff ff ff 0f");
  // i16 goes through the same zigzag32: zigzag(32767) = 65534 = fe ff 03.
  expect_bytes(
      [](W& w) { w.write_i16(std::numeric_limits<std::int16_t>::max()); },
      "fe ff 03");
  expect_bytes(
      [](W& w) { w.write_i16(std::numeric_limits<std::int16_t>::min()); },
      "ff ff 03");
  // zigzag64(INT64_MIN) = 2^64 - 1: nine full groups then 01.
  expect_bytes(
      [](W& w) { w.write_i64(std::numeric_limits<std::int64_t>::min()); },
      "ff ff ff ff ff ff ff ff ff 01");
  expect_bytes(
      [](W& w) { w.write_i64(std::numeric_limits<std::int64_t>::max()); },
      "fe ff ff ff ff ff ff ff ff 01");
  expect_bytes([](W& w) { w.write_i64(-1); }, "01");
}

// The writer builds varints of up to 8 bytes in a register without a
// per-byte loop: every length from 1 to 10 bytes, at both ends of each
// length's range, must match a byte-at-a-time LEB128 encoder.
TEST(CompactProtocolTest, EncodesVarintsOfEveryLength) {
  const auto leb128 = [](std::uint64_t v) {
    std::string out;
    for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7f) | 0x80);
    out += static_cast<char>(v);
    return out;
  };
  // The i64 whose zigzag encoding is `z`.
  const auto unzigzag = [](std::uint64_t z) {
    return static_cast<std::int64_t>((z >> 1) ^ (0 - (z & 1)));
  };
  for (int bits = 0; bits <= 64; ++bits) {
    const std::uint64_t lowest = bits == 0 ? 0 : std::uint64_t{1} << (bits - 1);
    const std::uint64_t highest =
        bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    for (std::uint64_t z : {lowest, highest}) {
      EXPECT_EQ(hex(encode<W>([&](W& w) { w.write_i64(unzigzag(z)); })),
                hex(leb128(z)))
          << "zigzag value " << z;
      if (bits <= 32) {
        EXPECT_EQ(hex(encode<W>([&](W& w) {
                    w.write_i32(static_cast<std::int32_t>(unzigzag(z)));
                  })),
                  hex(leb128(z)))
            << "zigzag value " << z;
      }
    }
  }
}

TEST(CompactProtocolTest, EncodesOtherPrimitives) {
  expect_bytes([](W& w) { w.write_byte(-1); }, "ff");
  // Bools outside a field header: one byte, 1 = true, 2 = false (Apache's
  // writers; the reader also takes 0 as false).
  expect_bytes([](W& w) { w.write_bool(true); }, "01");
  expect_bytes([](W& w) { w.write_bool(false); }, "02");
  // Doubles are little-endian: 1.0 = 0x3ff0000000000000 reversed.
  expect_bytes([](W& w) { w.write_double(1.0); }, "00 00 00 00 00 00 f0 3f");
  expect_bytes([](W& w) { w.write_double(-0.0); }, "00 00 00 00 00 00 00 80");
  // Strings: varint length, bytes. 300 = ac 02.
  expect_bytes([](W& w) { w.write_string("abc"); }, "03 61 62 63");
  expect_bytes([](W& w) { w.write_string(""); }, "00");
  EXPECT_EQ(hex(encode<W>([](W& w) {
                  w.write_binary(std::string(300, 'a'));
                }).substr(0, 2)),
            "ac 02");
  Uuid u;
  for (int k = 0; k < 16; ++k) u.bytes[k] = static_cast<std::uint8_t>(k);
  expect_bytes([&](W& w) { w.write_uuid(u); },
               "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
}

TEST(CompactProtocolTest, EncodesFieldHeaders) {
  expect_bytes(
      [](W& w) {
        w.write_struct_begin("S");
        // id 1, delta 1: (1 << 4) | i32 (5) = 15.
        w.write_field_begin("a", TType::kI32, 1);
        w.write_i32(0);
        // id 16, delta 15: f5.
        w.write_field_begin("b", TType::kI32, 16);
        w.write_i32(0);
        // id 32, delta 16: long form, type 05 then zigzag(32) = 64 = 40.
        w.write_field_begin("c", TType::kI32, 32);
        w.write_i32(0);
        // id 32 again, delta 0: long form 05 40.
        w.write_field_begin("d", TType::kI32, 32);
        w.write_i32(0);
        // id -1: long form, zigzag(-1) = 01; string type 08.
        w.write_field_begin("e", TType::kString, -1);
        w.write_string("");
        // id 300: long form 06 (i64), zigzag(300) = 600 = d8 04.
        w.write_field_begin("f", TType::kI64, 300);
        w.write_i64(0);
        w.write_field_stop();
        w.write_struct_end();
      },
      "15 00  f5 00  05 40 00  05 40 00  08 01 00  06 d8 04 00  00");
}

TEST(CompactProtocolTest, PacksBoolFieldValuesIntoTheHeader) {
  expect_bytes(
      [](W& w) {
        w.write_struct_begin("S");
        // id 1 true: (1 << 4) | 1; id 2 false: (1 << 4) | 2.
        w.write_field_begin("t", TType::kBool, 1);
        w.write_bool(true);
        w.write_field_begin("f", TType::kBool, 2);
        w.write_bool(false);
        // id 20 true, delta 18: long form 01, zigzag(20) = 28.
        w.write_field_begin("t2", TType::kBool, 20);
        w.write_bool(true);
        // list<bool> [true, false] as field 21: header 19, list header
        // (2 << 4) | 1 = 21, then one byte per element.
        w.write_field_begin("l", TType::kList, 21);
        w.write_list_begin(TType::kBool, 2);
        w.write_bool(true);
        w.write_bool(false);
        w.write_list_end();
        w.write_field_stop();
        w.write_struct_end();
      },
      "11 12 01 28 19 21 01 02 00");
}

TEST(CompactProtocolTest, KeepsFieldIdsPerNestedStruct) {
  // struct { 1: struct { 5: i32 = 1 }, 2: i32 = 1 }: after the inner
  // struct, field 2 is a delta of 1 from field 1, not from 5.
  expect_bytes(
      [](W& w) {
        w.write_struct_begin("Outer");
        w.write_field_begin("inner", TType::kStruct, 1);
        w.write_struct_begin("Inner");
        w.write_field_begin("x", TType::kI32, 5);
        w.write_i32(1);
        w.write_field_stop();
        w.write_struct_end();
        w.write_field_begin("y", TType::kI32, 2);
        w.write_i32(1);
        w.write_field_stop();
        w.write_struct_end();
      },
      "1c 55 02 00 15 02 00");
}

TEST(CompactProtocolTest, EncodesContainerHeaders) {
  // (size << 4) | type for sizes up to 14.
  expect_bytes([](W& w) { w.write_list_begin(TType::kI32, 0); }, "05");
  expect_bytes([](W& w) { w.write_list_begin(TType::kI32, 3); }, "35");
  expect_bytes([](W& w) { w.write_list_begin(TType::kI32, 14); }, "e5");
  // 15 and up: f0 | type, varint size.
  expect_bytes([](W& w) { w.write_list_begin(TType::kI32, 15); }, "f5 0f");
  expect_bytes([](W& w) { w.write_set_begin(TType::kString, 300); },
               "f8 ac 02");
  expect_bytes([](W& w) { w.write_list_begin(TType::kStruct, 1); }, "1c");
  expect_bytes([](W& w) { w.write_list_begin(TType::kUuid, 2); }, "2d");
  // Maps: 00 when empty; else varint size, (key << 4) | value.
  expect_bytes([](W& w) { w.write_map_begin(TType::kString, TType::kI32, 0); },
               "00");
  expect_bytes([](W& w) { w.write_map_begin(TType::kString, TType::kI32, 2); },
               "02 85");
  expect_bytes(
      [](W& w) { w.write_map_begin(TType::kI64, TType::kStruct, 200); },
      "c8 01 6c");
}

// The name as a view, cut at every offset (a straddling name is a copy).
TEST(CompactProtocolTest, ReadsTheHeaderNameAsAView) {
  const std::string bytes = encode<W>(
      [](W& w) { w.write_message_begin("method", MessageType::kOneway, 300); });
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    const IoBuf chain = chain_split_at(bytes, {cut});
    CompactReader<ChainInput> r{ChainInput(chain)};
    std::string_view name;
    MessageType type;
    std::int32_t seqid;
    ASSERT_THAT(r.read_message_begin(name, type, seqid), IsOk());
    EXPECT_EQ(name, "method") << "cut at " << cut;
    EXPECT_EQ(type, MessageType::kOneway);
    EXPECT_EQ(seqid, 300);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(CompactProtocolTest, EncodesMessageHeaders) {
  // 82, (type << 5) | 1, varint seqid, varint name length, name.
  expect_bytes(
      [](W& w) { w.write_message_begin("echo", MessageType::kCall, 7); },
      "82 21 07 04 65 63 68 6f");
  expect_bytes(
      [](W& w) { w.write_message_begin("echo", MessageType::kReply, 300); },
      "82 41 ac 02 04 65 63 68 6f");
  // seqid -1: the plain varint of its 32 bits, 0xffffffff.
  expect_bytes(
      [](W& w) { w.write_message_begin("", MessageType::kException, -1); },
      "82 61 ff ff ff ff 0f 00");
  expect_bytes(
      [](W& w) { w.write_message_begin("e", MessageType::kOneway, 0); },
      "82 81 00 01 65");
}

TEST(CompactProtocolTest, DecodesHandWrittenStruct) {
  // 11: field 1 bool true; 25 ac 02: field 3 (delta 2) i32 zigzag 300 =
  // 150; 08 01 02 68 69: field -1 (long form) string "hi"; 00: stop.
  const std::string bytes = unhex("11 25 ac 02 08 01 02 68 69 00");
  CompactReader<> r{SpanInput(bytes)};
  ASSERT_THAT(r.read_struct_begin(), IsOk());
  TType type;
  std::int16_t id;
  ASSERT_THAT(r.read_field_begin(type, id), IsOk());
  EXPECT_EQ(type, TType::kBool);
  EXPECT_EQ(id, 1);
  bool b = false;
  ASSERT_THAT(r.read_bool(b), IsOk());
  EXPECT_TRUE(b);
  ASSERT_THAT(r.read_field_begin(type, id), IsOk());
  EXPECT_EQ(type, TType::kI32);
  EXPECT_EQ(id, 3);
  std::int32_t i;
  ASSERT_THAT(r.read_i32(i), IsOk());
  EXPECT_EQ(i, 150);
  ASSERT_THAT(r.read_field_begin(type, id), IsOk());
  EXPECT_EQ(type, TType::kString);
  EXPECT_EQ(id, -1);
  std::string s;
  ASSERT_THAT(r.read_string(s), IsOk());
  EXPECT_EQ(s, "hi");
  ASSERT_THAT(r.read_field_begin(type, id), IsOk());
  EXPECT_EQ(type, TType::kStop);
  ASSERT_THAT(r.read_struct_end(), IsOk());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(CompactProtocolTest, ReadsBoolElementsOneAndTwoAndZero) {
  // List header 32 = 3 bools with the spec's element type 2; then 1, 2, 0.
  const std::string bytes = unhex("32 01 02 00");
  CompactReader<> r{SpanInput(bytes)};
  TType element;
  std::uint32_t n;
  ASSERT_THAT(r.read_list_begin(element, n), IsOk());
  EXPECT_EQ(element, TType::kBool);
  EXPECT_EQ(n, 3u);
  bool b;
  ASSERT_THAT(r.read_bool(b), IsOk());
  EXPECT_TRUE(b);
  ASSERT_THAT(r.read_bool(b), IsOk());
  EXPECT_FALSE(b);
  ASSERT_THAT(r.read_bool(b), IsOk());
  EXPECT_FALSE(b);
}

TEST(CompactProtocolTest, EmptyMapReportsStopTypes) {
  const std::string bytes = unhex("00");
  CompactReader<> r{SpanInput(bytes)};
  TType key, value;
  std::uint32_t n = 5;
  ASSERT_THAT(r.read_map_begin(key, value, n), IsOk());
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(key, TType::kStop);
  EXPECT_EQ(value, TType::kStop);
  ASSERT_THAT(r.read_map_end(), IsOk());
}

TEST(CompactProtocolTest, DecodesVarintsSplitAcrossSlices) {
  // INT64_MIN's ten-byte varint cut at every offset goes through the
  // byte-at-a-time path and reads the same.
  const std::string bytes = encode<W>([](W& w) {
    w.write_i64(std::numeric_limits<std::int64_t>::min());
    w.write_i32(std::numeric_limits<std::int32_t>::min());
  });
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    const IoBuf chain = chain_split_at(bytes, {cut});
    CompactReader<ChainInput> r{ChainInput(chain)};
    std::int64_t a;
    std::int32_t b;
    ASSERT_THAT(r.read_i64(a), IsOk());
    ASSERT_THAT(r.read_i32(b), IsOk());
    EXPECT_EQ(a, std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(b, std::numeric_limits<std::int32_t>::min());
  }
}

TEST(CompactProtocolTest, DecodesFieldHeadersSplitAcrossSlices) {
  // Short-delta, bool and long-form headers and the stop byte, read with
  // the input cut at every offset: a header at a slice boundary takes the
  // slow path and must read the same as the inline one.
  const std::string bytes = unhex("11 25 ac 02 08 01 02 68 69 1c 00 00");
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    const IoBuf chain = chain_split_at(bytes, {cut});
    CompactReader<ChainInput> r{ChainInput(chain)};
    ASSERT_THAT(r.read_struct_begin(), IsOk());
    TType type;
    std::int16_t id;
    bool b = false;
    std::int32_t i = 0;
    std::string s;
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    EXPECT_EQ(type, TType::kBool);
    EXPECT_EQ(id, 1);
    ASSERT_THAT(r.read_bool(b), IsOk());
    EXPECT_TRUE(b);
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    EXPECT_EQ(type, TType::kI32);
    EXPECT_EQ(id, 3);
    ASSERT_THAT(r.read_i32(i), IsOk());
    EXPECT_EQ(i, 150);
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    EXPECT_EQ(type, TType::kString);
    EXPECT_EQ(id, -1);
    ASSERT_THAT(r.read_string(s), IsOk());
    EXPECT_EQ(s, "hi");
    // 1c: delta 1 from -1, a struct (compact type 12), empty.
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    EXPECT_EQ(type, TType::kStruct);
    EXPECT_EQ(id, 0);
    ASSERT_THAT(r.skip(type), IsOk());
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    EXPECT_EQ(type, TType::kStop);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(CompactProtocolTest, WriterFieldIdStackSurvivesDeepNesting) {
  // Deeper than the inline stack (64): the writer spills and still
  // restores each level's last id.
  constexpr int kDepth = 100;
  const std::string bytes = encode<W>([](W& w) {
    for (int k = 0; k < kDepth; ++k) {
      w.write_struct_begin("S");
      w.write_field_begin("a", TType::kI32, 3);
      w.write_i32(k);
      w.write_field_begin("s", TType::kStruct, 4);
    }
    for (int k = 0; k < kDepth; ++k) {
      w.write_field_stop();
      w.write_struct_end();
      // Field 5 after field 4: delta 1 (header 0x15) at every level.
      w.write_field_begin("b", TType::kI32, 5);
      w.write_i32(k);
    }
  });
  CompactReader<> r{SpanInput(bytes), {.max_depth = kDepth + 1}};
  for (int k = 0; k < kDepth; ++k) {
    ASSERT_THAT(r.read_struct_begin(), IsOk());
    TType type;
    std::int16_t id;
    std::int32_t v;
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    ASSERT_EQ(id, 3);
    ASSERT_THAT(r.read_i32(v), IsOk());
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    ASSERT_EQ(id, 4);
  }
  for (int k = 0; k < kDepth; ++k) {
    TType type;
    std::int16_t id;
    std::int32_t v;
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    ASSERT_EQ(type, TType::kStop);
    ASSERT_THAT(r.read_struct_end(), IsOk());
    ASSERT_THAT(r.read_field_begin(type, id), IsOk());
    ASSERT_EQ(id, 5) << k;
    ASSERT_THAT(r.read_i32(v), IsOk());
    EXPECT_EQ(v, k);
  }
  EXPECT_EQ(r.remaining(), 0u);
}

}  // namespace
}  // namespace ferry::codec
