// Thrift framing: wire-format detection, the framed and buffered message
// splitters (whole, byte by byte, split at every offset; every error with
// its exact text) and the frame-writing helpers. Messages are encoded with
// ferry's own writers; the buffered splitter's cuts are cross-checked with
// the codec's readers, which must consume each message exactly.

#include "transport/thrift/framing.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"
#include "tests/codec/codec_test_util.h"
#include "tests/support/status_matchers.h"
#include "transport/thrift/envelope.h"

namespace ferry::thrift {
namespace {

using ::ferry::codec::BinaryReader;
using ::ferry::codec::BinaryWriter;
using ::ferry::codec::CompactReader;
using ::ferry::codec::CompactWriter;
using ::ferry::codec::DecodeLimits;
using ::ferry::codec::MessageType;
using ::ferry::codec::ProtocolId;
using ::ferry::codec::SpanInput;
using ::ferry::codec::TType;
using ::ferry::codec::Uuid;
using ::ferry::codec::WriteBuffer;
using ::ferry::codec::testing::hex;
using ::ferry::codec::testing::Inner;
using ::ferry::codec::testing::unhex;
using ::ferry::codec::testing::write_field;
using ::ferry::codec::testing::write_value;
using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr WireFormat kFramedBinary{Framing::kFramed, ProtocolId::kBinary};
constexpr WireFormat kFramedCompact{Framing::kFramed, ProtocolId::kCompact};
constexpr WireFormat kBufferedBinary{Framing::kBuffered, ProtocolId::kBinary};
constexpr WireFormat kBufferedCompact{Framing::kBuffered, ProtocolId::kCompact};

std::string format_name(const WireFormat& f) {
  return std::string(framing_name(f.framing)) + "_" +
         std::string(protocol_name(f.protocol));
}

// ---- Encoding ---------------------------------------------------------------

// A call message `name`/`seqid` whose argument struct's fields are written
// by `fields(writer)` (a generic lambda), framed as `format` says.
template <class Fields>
std::string encode(WireFormat format, Fields fields,
                   std::string_view name = "method", std::int32_t seqid = 1) {
  WriteBuffer buf;
  const std::size_t start = begin_frame(buf, format.framing);
  auto write = [&](auto& w) {
    w.write_message_begin(name, MessageType::kCall, seqid);
    w.write_struct_begin("args");
    fields(w);
    w.write_field_stop();
    w.write_struct_end();
    w.write_message_end();
  };
  if (format.protocol == ProtocolId::kBinary) {
    BinaryWriter<WriteBuffer> w(buf);
    write(w);
  } else {
    CompactWriter<WriteBuffer> w(buf);
    write(w);
  }
  finish_frame(buf, format.framing, start);
  return std::string(buf.view());
}

// The bytes the splitter should return for an encoded message.
std::string payload(WireFormat format, std::string_view encoded) {
  return std::string(format.framing == Framing::kFramed ? encoded.substr(4)
                                                        : encoded);
}

const auto kNoFields = [](auto&) {};

// Scalars, a long string, a uuid, bool fields both ways, ids that need the
// compact long form (delta > 15, negative).
const auto kScalarFields = [](auto& w) {
  write_field(w, "t", 1, true);
  write_field(w, "f", 2, false);
  write_field(w, "b", 3, std::int8_t{-128});
  write_field(w, "s", 4, std::int16_t{-32768});
  write_field(w, "i", 5, std::int32_t{-2147483647 - 1});
  write_field(w, "l", 6, std::int64_t{-0x7fffffffffffffffLL - 1});
  write_field(w, "d", 7, -1.5);
  write_field(w, "str", 30, std::string(300, 'x'));  // 2-byte varint length
  w.write_field_begin("bin", TType::kString, -4);
  w.write_binary(std::string("\x00\x80\xff", 3));
  w.write_field_end();
  Uuid u;
  for (int k = 0; k < 16; ++k) u.bytes[k] = static_cast<std::uint8_t>(0xf0 + k);
  write_field(w, "u", 32767, u);
  write_field(w, "t2", -32768, true);
};

// Nested containers of every element type, empty ones, long (>= 15) lists,
// bools as elements, maps keyed by structs and containers.
const auto kContainerFields = [](auto& w) {
  Uuid u1, u2;
  u2.bytes[15] = 1;
  write_field(w, "bools", 1, std::vector<bool>{true, false, true});
  write_field(w, "bytes", 2, std::vector<std::int8_t>{-1, 0, 1});
  write_field(w, "i16s", 3, std::vector<std::int16_t>{-300, 300});
  std::vector<std::int32_t> many;
  for (int k = 0; k < 40; ++k) many.push_back(k * 1000003 - 20000000);
  write_field(w, "i32s", 4, many);
  write_field(w, "i64s", 5, std::vector<std::int64_t>{-1, 1LL << 62});
  write_field(w, "doubles", 6, std::vector<double>{0.5, -0.0});
  write_field(w, "strings", 7,
              std::vector<std::string>{"", "a", std::string(200, 'b')});
  write_field(w, "uuids", 8, std::vector<Uuid>{u1, u2});
  write_field(w, "structs", 9,
              std::vector<Inner>{{"x", true}, {"", false}, {"zz", true}});
  write_field(w, "lists", 10,
              std::vector<std::vector<std::int32_t>>{{}, {1}, {2, 3}});
  // (codec_test_util's write_value cannot nest a set or map in a list.)
  w.write_field_begin("sets_in_list", TType::kList, 11);
  w.write_list_begin(TType::kSet, 2);
  write_value(w, std::set<std::string>{"a", "b"});
  write_value(w, std::set<std::string>{});
  w.write_list_end();
  w.write_field_end();
  w.write_field_begin("maps_in_list", TType::kList, 12);
  w.write_list_begin(TType::kMap, 3);
  write_value(w, std::map<std::int32_t, std::string>{{1, "one"}});
  write_value(w, std::map<std::int32_t, std::string>{});
  write_value(w, std::map<std::int32_t, std::string>{{-2, "two"}, {3, ""}});
  w.write_list_end();
  w.write_field_end();
  write_field(w, "set_i64", 13, std::set<std::int64_t>{-5, 7, 1LL << 40});
  write_field(w, "set_struct", 14, std::set<Inner>{{"a", true}, {"b", false}});
  write_field(w, "set_uuid", 15, std::set<Uuid>{u1, u2});
  write_field(w, "map_bool", 16, std::map<bool, bool>{{false, true}});
  write_field(w, "map_fixed", 17,
              std::map<std::int8_t, double>{{1, 1.0}, {2, 2.0}});
  write_field(w, "map_uuid", 18, std::map<Uuid, Uuid>{{u1, u2}});
  write_field(w, "map_varint", 19,
              std::map<std::int32_t, std::int64_t>{{-1, 1}, {1000000, -7}});
  write_field(w, "map_deep", 40,
              std::map<std::string, std::vector<Inner>>{{"k", {{"v", true}}},
                                                        {"empty", {}}});
  write_field(w, "map_struct_key", 41,
              std::map<Inner, std::map<std::int16_t, Uuid>>{
                  {{"key", false}, {{1, u2}}}, {{"k2", true}, {}}});
  write_field(w, "map_list_key", 42,
              std::map<std::vector<std::int32_t>, std::set<bool>>{
                  {{1, 2}, {true, false}}, {{}, {}}});
  write_field(w, "empty_map", 43, std::map<std::string, Inner>{});
  write_field(w, "empty_list", 44, std::vector<Inner>{});
  w.write_field_begin("deep", TType::kList, 45);
  w.write_list_begin(TType::kList, 2);
  w.write_list_begin(TType::kMap, 2);
  write_value(w, std::map<std::int32_t, std::string>{{1, "a"}});
  write_value(w, std::map<std::int32_t, std::string>{});
  w.write_list_end();
  w.write_list_begin(TType::kMap, 0);
  w.write_list_end();
  w.write_list_end();
  w.write_field_end();
  std::vector<bool> many_bools(20, true);
  write_field(w, "many_bools", 46, many_bools);
  w.write_field_begin("sample", TType::kStruct, 47);
  ferry::codec::testing::full_sample().write(w);
  w.write_field_end();
};

// A message whose struct nests `levels` structs in a chain (level 1 is the
// argument struct itself).
template <class W>
void write_nested(W& w, int levels) {
  if (levels <= 1) return;
  w.write_field_begin("child", TType::kStruct, 1);
  w.write_struct_begin("Child");
  write_nested(w, levels - 1);
  w.write_field_stop();
  w.write_struct_end();
  w.write_field_end();
}

// ---- Splitting helpers ------------------------------------------------------

// What a splitter made of a stream: the messages, and how it ended (OK with
// the bytes left over, or the error).
struct Split {
  std::vector<std::string> messages;
  Status status;
  std::size_t partial = 0;
  std::size_t left = 0;
};

// Takes every complete message off `pending`.
void drain(MessageSplitter& splitter, IoBuf& pending, Split& out) {
  while (out.status.ok()) {
    auto next = splitter.next(pending);
    if (!next.ok()) {
      out.status = next.status();
      return;
    }
    if (!next->has_value()) return;
    out.messages.push_back((*next)->to_string());
  }
}

enum class Feed {
  kWhole,        // one IoBuf
  kByteChunks,   // each byte its own IoBuf appended to pending
  kByteAppends,  // each byte copied in with append(string_view)
  kCut,          // two pieces, cut at `cut`
  kFragmented,   // one IoBuf of single-byte slices, split in one go
  kSevens,       // one IoBuf of 7-byte slices, split in one go
};

Split split(WireFormat format, std::string_view stream, Feed feed,
            const DecodeLimits& limits = {}, std::size_t cut = 0) {
  MessageSplitter splitter(format, limits);
  IoBuf pending;
  Split out;
  switch (feed) {
    case Feed::kWhole:
      pending.append(IoBuf::copy_from(stream));
      drain(splitter, pending, out);
      break;
    case Feed::kByteChunks:
    case Feed::kByteAppends:
      for (std::size_t i = 0; i < stream.size() && out.status.ok(); ++i) {
        if (feed == Feed::kByteChunks) {
          pending.append(IoBuf::copy_from(stream.substr(i, 1)));
        } else {
          pending.append(stream.substr(i, 1));
        }
        drain(splitter, pending, out);
      }
      break;
    case Feed::kFragmented:
      pending = ferry::codec::testing::chain_of_single_bytes(stream);
      drain(splitter, pending, out);
      break;
    case Feed::kSevens: {
      std::vector<std::size_t> cuts;
      for (std::size_t at = 7; at < stream.size(); at += 7) cuts.push_back(at);
      pending = ferry::codec::testing::chain_split_at(stream, cuts);
      drain(splitter, pending, out);
      break;
    }
    case Feed::kCut:
      pending.append(IoBuf::copy_from(stream.substr(0, cut)));
      drain(splitter, pending, out);
      if (out.status.ok()) {
        pending.append(IoBuf::copy_from(stream.substr(cut)));
        drain(splitter, pending, out);
      }
      break;
  }
  out.partial = splitter.partial_bytes();
  out.left = pending.size();
  return out;
}

// The status of splitting `stream` in one piece (usually an error), after
// checking that byte-by-byte and fragmented delivery end the same way.
Status split_error(WireFormat format, std::string_view stream,
                   const DecodeLimits& limits = {}) {
  const Split whole = split(format, stream, Feed::kWhole, limits);
  for (Feed feed : {Feed::kByteChunks, Feed::kFragmented}) {
    const Split other = split(format, stream, feed, limits);
    EXPECT_EQ(whole.status, other.status);
    EXPECT_EQ(whole.messages, other.messages);
  }
  return whole.status;
}

// The codec's verdict on one buffered message: it must read the envelope and
// skip the struct, consuming every byte.
Status codec_skips_exactly(ProtocolId protocol, std::string_view message,
                           const DecodeLimits& limits = {}) {
  std::string name;
  MessageType type;
  std::int32_t seqid;
  auto run = [&](auto& r) -> Status {
    FERRY_RETURN_IF_ERROR(r.read_message_begin(name, type, seqid));
    FERRY_RETURN_IF_ERROR(r.skip(TType::kStruct));
    if (r.remaining() != 0)
      return absl::InternalError(std::to_string(r.remaining()) + " bytes left");
    return absl::OkStatus();
  };
  if (protocol == ProtocolId::kBinary) {
    BinaryReader<SpanInput> r(SpanInput(message), limits, /*strict_read=*/true);
    return run(r);
  }
  CompactReader<SpanInput> r(SpanInput(message), limits);
  return run(r);
}

// ---- Names ------------------------------------------------------------------

TEST(ThriftFramingNamesTest, NamesRoundTrip) {
  EXPECT_EQ(framing_name(Framing::kFramed), "framed");
  EXPECT_EQ(framing_name(Framing::kBuffered), "buffered");
  EXPECT_EQ(protocol_name(ProtocolId::kBinary), "binary");
  EXPECT_EQ(protocol_name(ProtocolId::kCompact), "compact");
  for (Framing f : {Framing::kFramed, Framing::kBuffered}) {
    EXPECT_THAT(parse_framing(framing_name(f)),
                ::ferry::testing::IsOkAndHolds(f));
  }
  for (ProtocolId p : {ProtocolId::kBinary, ProtocolId::kCompact}) {
    EXPECT_THAT(parse_protocol(protocol_name(p)),
                ::ferry::testing::IsOkAndHolds(p));
  }
}

TEST(ThriftFramingNamesTest, BadNamesAreNamedInTheError) {
  EXPECT_THAT(parse_framing("http"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown Thrift framing \"http\" (expected \"framed\" "
                       "or \"buffered\")"));
  EXPECT_THAT(
      parse_framing("Framed"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Framed")));
  EXPECT_THAT(parse_protocol("json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown Thrift protocol \"json\" (expected \"binary\" "
                       "or \"compact\")"));
  EXPECT_THAT(parse_protocol(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ThriftFramingNamesTest, WireFormatsCompareByValue) {
  EXPECT_EQ(WireFormat{}, kFramedBinary);
  EXPECT_NE(kFramedBinary, kFramedCompact);
  EXPECT_NE(kFramedBinary, kBufferedBinary);
}

// ---- Detection --------------------------------------------------------------

Detection detect(std::string_view bytes,
                 std::uint32_t max_message_size = 16u << 20) {
  return detect_wire_format(IoBuf::copy_from(bytes), max_message_size);
}

class ThriftFramingDetectTest : public ::testing::TestWithParam<WireFormat> {};

TEST_P(ThriftFramingDetectTest, FindsTheFormatOfARealMessage) {
  const std::string message = encode(GetParam(), kScalarFields);
  const Detection d = detect(message);
  EXPECT_EQ(d.result, Detect::kFound) << d.error;
  EXPECT_EQ(d.format, GetParam());
  EXPECT_EQ(d.error, "");
}

TEST_P(ThriftFramingDetectTest, NeedsMoreUntilTheHeaderIsThere) {
  const std::string message = encode(GetParam(), kNoFields);
  // Buffered decides on 2 bytes, framed on the length and 2 more.
  const std::size_t needed = GetParam().framing == Framing::kFramed ? 6 : 2;
  for (std::size_t n = 0; n < needed; ++n) {
    EXPECT_EQ(detect(message.substr(0, n)).result, Detect::kNeedMore) << n;
  }
  for (std::size_t n = needed; n <= message.size(); ++n) {
    const Detection d = detect(message.substr(0, n));
    EXPECT_EQ(d.result, Detect::kFound) << n;
    EXPECT_EQ(d.format, GetParam());
  }
}

TEST_P(ThriftFramingDetectTest, LooksOnlyAtTheFirstBytesOfAChain) {
  const std::string message = encode(GetParam(), kContainerFields);
  const Detection d = detect_wire_format(
      ferry::codec::testing::chain_of_single_bytes(message), 16u << 20);
  EXPECT_EQ(d.result, Detect::kFound);
  EXPECT_EQ(d.format, GetParam());
}

INSTANTIATE_TEST_SUITE_P(AllFormats, ThriftFramingDetectTest,
                         ::testing::Values(kFramedBinary, kFramedCompact,
                                           kBufferedBinary, kBufferedCompact),
                         [](const auto& info) {
                           return format_name(info.param);
                         });

TEST(ThriftFramingDetectErrorsTest, RejectsHttpNamingTheBytes) {
  const Detection d = detect("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(d.result, Detect::kUnrecognized);
  EXPECT_EQ(d.error,
            "unrecognized Thrift wire format: first bytes 47 45 54 20 2f 20 48 "
            "54 (\"GET / HT\") look like HTTP, not Thrift");
}

TEST(ThriftFramingDetectErrorsTest, RejectsTls) {
  EXPECT_EQ(detect(unhex("16 03 01 02 00 01")).error,
            "unrecognized Thrift wire format: first bytes 16 03 01 02 00 01 "
            "(\"......\") look like a TLS handshake, not Thrift");
}

TEST(ThriftFramingDetectErrorsTest, RejectsNonStrictBinary) {
  // Old-style header: i32 name length, "ping", type byte, seqid.
  const Detection d =
      detect(unhex("00 00 00 04 70 69 6e 67 01 00 00 00 01 00"));
  EXPECT_EQ(d.result, Detect::kUnrecognized);
  EXPECT_EQ(
      d.error,
      "unrecognized Thrift wire format: first bytes 00 00 00 04 70 69 6e "
      "67 (\"....ping\") look like non-strict (unversioned) binary, which "
      "is not supported: the client must send strict binary");
  // Framed non-strict binary: a frame length, then the name's length.
  EXPECT_EQ(detect(unhex("00 00 00 0e 00 00 00 04 70 69 6e 67")).error,
            "unrecognized Thrift wire format: first bytes 00 00 00 0e 00 00 00 "
            "04 (\"........\") hold a frame length of 14, but no strict binary "
            "(80 01) or compact (82) message start follows (non-strict binary "
            "is not supported)");
}

TEST(ThriftFramingDetectErrorsTest, RejectsBadFrameLengths) {
  EXPECT_EQ(detect(unhex("00 00 00 00 80 01")).error,
            "unrecognized Thrift wire format: first bytes 00 00 00 00 80 01 "
            "(\"......\") hold a frame length of 0");
  EXPECT_EQ(detect(unhex("00 00 00 65 80 01"), 100).error,
            "unrecognized Thrift wire format: first bytes 00 00 00 65 80 01 "
            "(\"...e..\") hold a frame length of 101, above the limit 100");
  EXPECT_EQ(detect(unhex("00 00 00 64 80 01"), 100).result, Detect::kFound);
  // Two bytes already show a length above the limit.
  const Detection early = detect(unhex("00 01"), 100);
  EXPECT_EQ(early.result, Detect::kUnrecognized);
  EXPECT_EQ(early.error,
            "unrecognized Thrift wire format: first bytes 00 01 (\"..\") start "
            "a frame length of at least 65536, above the limit 100");
  // ... while these could still be a length of up to 255.
  EXPECT_EQ(detect(unhex("00 00 00"), 255).result, Detect::kNeedMore);
}

TEST(ThriftFramingDetectErrorsTest, RejectsBadVersions) {
  EXPECT_EQ(detect(unhex("80 02 00 01")).error,
            "unrecognized Thrift wire format: first bytes 80 02 00 01 "
            "(\"....\") start a binary message with a bad version (a strict "
            "binary message starts 80 01)");
  EXPECT_EQ(detect(unhex("82 22")).error,
            "unrecognized Thrift wire format: first bytes 82 22 (\".\"\") "
            "start a compact message with version 2 (expected 1)");
  EXPECT_EQ(detect(unhex("ff ff ff ff")).error,
            "unrecognized Thrift wire format: first bytes ff ff ff ff "
            "(\"....\") are neither a strict binary (80 01) or compact (82) "
            "message start nor a frame length");
  // A framed message whose payload has a bad header.
  EXPECT_EQ(detect(unhex("00 00 00 10 82 02")).result, Detect::kUnrecognized);
  EXPECT_EQ(detect(unhex("00 00 00 10 80 02")).result, Detect::kUnrecognized);
}

TEST(ThriftFramingDetectErrorsTest, AnAnswerNeverChangesWithMoreBytes) {
  for (std::string_view bytes :
       {std::string_view("GET / HTTP/1.1"), std::string_view("\x80\x01\x00")}) {
    Detect first = Detect::kNeedMore;
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
      const Detect now = detect(bytes.substr(0, n)).result;
      if (first != Detect::kNeedMore) {
        EXPECT_EQ(now, first) << n;
      }
      if (now != Detect::kNeedMore) first = now;
    }
  }
}

// ---- Splitting: every format ------------------------------------------------

class ThriftFramingSplitterTest : public ::testing::TestWithParam<WireFormat> {
 protected:
  // A pipeline of different messages in GetParam()'s format.
  std::vector<std::string> pipeline() const {
    const WireFormat f = GetParam();
    return {encode(f, kNoFields, "", 0),
            encode(f, kScalarFields, "scalars", -1),
            encode(f, kContainerFields, "containers", 1 << 30),
            encode(f, kNoFields, std::string(200, 'n'), 3),
            encode(
                f, [](auto& w) { write_nested(w, 20); }, "nested", 4),
            encode(f, kScalarFields, "again", 5)};
  }
  std::string stream() const {
    std::string s;
    for (const std::string& m : pipeline()) s += m;
    return s;
  }
  std::vector<std::string> expected() const {
    std::vector<std::string> out;
    for (const std::string& m : pipeline())
      out.push_back(payload(GetParam(), m));
    return out;
  }
};

TEST_P(ThriftFramingSplitterTest, SplitsPipelinedMessagesDeliveredAtOnce) {
  const Split s = split(GetParam(), stream(), Feed::kWhole);
  EXPECT_THAT(s.status, IsOk());
  EXPECT_THAT(s.messages, ElementsAreArray(expected()));
  EXPECT_EQ(s.left, 0u);
  EXPECT_EQ(s.partial, 0u);
}

TEST_P(ThriftFramingSplitterTest, SplitsTheSameWhenEachByteIsItsOwnChunk) {
  const Split s = split(GetParam(), stream(), Feed::kByteChunks);
  EXPECT_THAT(s.status, IsOk());
  EXPECT_THAT(s.messages, ElementsAreArray(expected()));
  EXPECT_EQ(s.left, 0u);
}

TEST_P(ThriftFramingSplitterTest, SplitsTheSameWhenTheLastSliceGrowsInPlace) {
  const Split s = split(GetParam(), stream(), Feed::kByteAppends);
  EXPECT_THAT(s.status, IsOk());
  EXPECT_THAT(s.messages, ElementsAreArray(expected()));
}

TEST_P(ThriftFramingSplitterTest, SplitsTheSameFromAFragmentedBuffer) {
  // Many slices not walked yet: the splitter crosses them within one call.
  for (Feed feed : {Feed::kFragmented, Feed::kSevens}) {
    const Split s = split(GetParam(), stream(), feed);
    EXPECT_THAT(s.status, IsOk());
    EXPECT_THAT(s.messages, ElementsAreArray(expected()));
    EXPECT_EQ(s.left, 0u);
  }
}

TEST_P(ThriftFramingSplitterTest, SplitsTheSameWhenCutAnywhere) {
  // Every cut point: varints, lengths, headers and strings straddle it.
  const std::string message = encode(GetParam(), kContainerFields);
  const std::string bytes = message + message;
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    const Split s = split(GetParam(), bytes, Feed::kCut, {}, cut);
    ASSERT_THAT(s.status, IsOk()) << cut;
    ASSERT_EQ(s.messages.size(), 2u) << cut;
    EXPECT_EQ(s.messages[0], payload(GetParam(), message)) << cut;
    EXPECT_EQ(s.messages[1], payload(GetParam(), message)) << cut;
  }
}

TEST_P(ThriftFramingSplitterTest, TheCodecConsumesEachMessageExactly) {
  for (const std::string& m : expected()) {
    EXPECT_THAT(codec_skips_exactly(GetParam().protocol, m), IsOk());
  }
}

TEST_P(ThriftFramingSplitterTest, MessagesShareThePendingChunks) {
  const std::string bytes = stream();
  IoBuf pending = IoBuf::copy_from(bytes);
  const char* base = pending.slices()[0].data;
  MessageSplitter splitter(GetParam(), {});
  std::size_t offset = 0;
  for (const std::string& m : pipeline()) {
    auto next = splitter.next(pending);
    ASSERT_THAT(next, IsOk());
    ASSERT_TRUE(next->has_value());
    const IoBuf& message = **next;
    ASSERT_EQ(message.slices().size(), 1u);
    const std::size_t prefix = GetParam().framing == Framing::kFramed ? 4 : 0;
    EXPECT_EQ(message.slices()[0].data, base + offset + prefix);
    offset += m.size();
    EXPECT_EQ(pending.size(), bytes.size() - offset);
  }
}

TEST_P(ThriftFramingSplitterTest, ReportsPartialBytes) {
  const std::string message = encode(GetParam(), kScalarFields);
  MessageSplitter splitter(GetParam(), {});
  EXPECT_EQ(splitter.partial_bytes(), 0u);
  EXPECT_EQ(splitter.format(), GetParam());
  IoBuf pending;
  for (std::size_t n : {std::size_t{1}, std::size_t{3}, message.size() - 1}) {
    pending.clear();
    MessageSplitter fresh(GetParam(), {});
    pending.append(IoBuf::copy_from(message.substr(0, n)));
    auto next = fresh.next(pending);
    ASSERT_THAT(next, IsOk());
    EXPECT_FALSE(next->has_value());
    EXPECT_EQ(fresh.partial_bytes(), n);
  }
  pending = IoBuf::copy_from(message + message.substr(0, 5));
  auto first = splitter.next(pending);
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(splitter.partial_bytes(), 0u);
  auto second = splitter.next(pending);
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(second->has_value());
  EXPECT_EQ(splitter.partial_bytes(), 5u);
  pending.trim_front(5);  // as if a new connection: nothing pending
  MessageSplitter idle(GetParam(), {});
  auto none = idle.next(pending);
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(idle.partial_bytes(), 0u);
}

TEST_P(ThriftFramingSplitterTest, AcceptsAMessageOfExactlyTheSizeLimit) {
  const std::string message = encode(GetParam(), kScalarFields);
  const std::size_t size = payload(GetParam(), message).size();
  DecodeLimits limits;
  limits.max_message_size = static_cast<std::uint32_t>(size);
  Split s = split(GetParam(), message + message, Feed::kByteChunks, limits);
  EXPECT_THAT(s.status, IsOk());
  EXPECT_EQ(s.messages.size(), 2u);
  limits.max_message_size = static_cast<std::uint32_t>(size - 1);
  s = split(GetParam(), message, Feed::kWhole, limits);
  EXPECT_THAT(s.status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(split(GetParam(), message, Feed::kByteChunks, limits).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(ThriftFramingSplitterTest, AnErrorIsFinal) {
  MessageSplitter splitter(GetParam(), {});
  IoBuf pending = IoBuf::copy_from(unhex("ff ff ff ff ff ff ff ff"));
  auto first = splitter.next(pending);
  ASSERT_THAT(first, StatusIs(absl::StatusCode::kInvalidArgument));
  pending.clear();
  pending.append(IoBuf::copy_from(encode(GetParam(), kNoFields)));
  EXPECT_EQ(splitter.next(pending).status(), first.status());
}

TEST_P(ThriftFramingSplitterTest,
       ScansALargeMessageOnceWhenItArrivesByteByByte) {
  // 40000 i32 elements + a 100 KB string, one byte per read. A splitter
  // that rescanned from the message start on every read would walk ~10^10
  // bytes; an incremental one is done in milliseconds.
  const std::string message = encode(GetParam(), [](auto& w) {
    write_field(w, "ints", 1, std::vector<std::int32_t>(40000, -1));
    write_field(w, "blob", 2, std::string(100000, 'x'));
  });
  const auto start = std::chrono::steady_clock::now();
  const Split s = split(GetParam(), message, Feed::kByteAppends);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_THAT(s.status, IsOk());
  ASSERT_EQ(s.messages.size(), 1u);
  EXPECT_EQ(s.messages[0], payload(GetParam(), message));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

INSTANTIATE_TEST_SUITE_P(AllFormats, ThriftFramingSplitterTest,
                         ::testing::Values(kFramedBinary, kFramedCompact,
                                           kBufferedBinary, kBufferedCompact),
                         [](const auto& info) {
                           return format_name(info.param);
                         });

// ---- Buffered: limits shared by both protocols ------------------------------

class ThriftFramingBufferedLimitsTest
    : public ::testing::TestWithParam<ProtocolId> {
 protected:
  WireFormat format() const { return {Framing::kBuffered, GetParam()}; }
};

TEST_P(ThriftFramingBufferedLimitsTest, NestingUpToTheDepthLimitPasses) {
  DecodeLimits limits;
  limits.max_depth = 5;
  const std::string ok = encode(format(), [](auto& w) { write_nested(w, 5); });
  const Split s = split(format(), ok, Feed::kByteChunks, limits);
  EXPECT_THAT(s.status, IsOk());
  EXPECT_EQ(s.messages.size(), 1u);
  EXPECT_THAT(codec_skips_exactly(GetParam(), ok, limits), IsOk());
}

TEST_P(ThriftFramingBufferedLimitsTest, NestingPastTheDepthLimitFails) {
  DecodeLimits limits;
  limits.max_depth = 5;
  const std::string deep =
      encode(format(), [](auto& w) { write_nested(w, 6); });
  const Status status = split_error(format(), deep, limits);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("nesting depth exceeds limit 5")));
  // The codec agrees.
  EXPECT_THAT(codec_skips_exactly(GetParam(), deep, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "nesting depth exceeds limit 5"));
}

TEST_P(ThriftFramingBufferedLimitsTest, ContainersCountAsLevels) {
  DecodeLimits limits;
  limits.max_depth = 3;
  // struct(1) > list(2) > list(3) of i32: fits; one more list does not,
  // even an empty one of a fixed-size type.
  const std::string ok = encode(format(), [](auto& w) {
    write_field(w, "l", 1, std::vector<std::vector<std::int32_t>>{{1}});
  });
  EXPECT_THAT(split(format(), ok, Feed::kWhole, limits).status, IsOk());
  const std::string deep = encode(format(), [](auto& w) {
    write_field(w, "l", 1,
                std::vector<std::vector<std::vector<std::int32_t>>>{{{}}});
  });
  EXPECT_THAT(split_error(format(), deep, limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nesting depth exceeds limit 3")));
  limits.max_depth = 0;
  EXPECT_THAT(split_error(format(), encode(format(), kNoFields), limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nesting depth exceeds limit 0")));
}

TEST_P(ThriftFramingBufferedLimitsTest, RejectsLongStringsAndLargeContainers) {
  DecodeLimits limits;
  limits.max_string_length = 8;
  limits.max_container_size = 4;
  EXPECT_THAT(split(format(),
                    encode(format(),
                           [](auto& w) {
                             write_field(w, "s", 1, std::string(8, 's'));
                             write_field(w, "l", 2,
                                         std::vector<std::int64_t>(4, 0));
                           }),
                    Feed::kWhole, limits)
                  .status,
              IsOk());
  EXPECT_THAT(split_error(format(),
                          encode(format(),
                                 [](auto& w) {
                                   write_field(w, "s", 1, std::string(9, 's'));
                                 }),
                          limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("string length 9 exceeds limit 8")));
  EXPECT_THAT(
      split_error(format(), encode(format(), kNoFields, "ninechars"), limits),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("string length 9 exceeds limit 8")));
  EXPECT_THAT(split_error(format(),
                          encode(format(),
                                 [](auto& w) {
                                   write_field(w, "l", 1,
                                               std::set<std::string>{
                                                   "a", "b", "c", "d", "e"});
                                 }),
                          limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("set size 5 exceeds limit 4")));
  EXPECT_THAT(split_error(format(),
                          encode(format(),
                                 [](auto& w) {
                                   std::map<std::int32_t, bool> m;
                                   for (int k = 0; k < 5; ++k) m[k] = true;
                                   write_field(w, "m", 1, m);
                                 }),
                          limits),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("map size 5 exceeds limit 4")));
}

INSTANTIATE_TEST_SUITE_P(BothProtocols, ThriftFramingBufferedLimitsTest,
                         ::testing::Values(ProtocolId::kBinary,
                                           ProtocolId::kCompact),
                         [](const auto& info) {
                           return std::string(protocol_name(info.param));
                         });

// ---- Buffered binary: exact errors ------------------------------------------

// Strict header of a call "m", seqid 7: the struct starts at offset 13.
const std::string kBinaryHead =
    unhex("80 01 00 01  00 00 00 01 6d  00 00 00 07");

Status binary_error(std::string_view hex_body,
                    const DecodeLimits& limits = {}) {
  return split_error(kBufferedBinary, kBinaryHead + unhex(hex_body), limits);
}

// kInvalidArgument with exactly `message` (for a Status or a Result).
MATCHER_P(FailsWith, message, "") {
  const Status& status = ::ferry::testing::get_status(arg);
  *result_listener << "status is " << status;
  return status.code() == absl::StatusCode::kInvalidArgument &&
         message_of(status) == message;
}

TEST(ThriftFramingBinaryErrorsTest, Header) {
  auto error = [](std::string_view hex_bytes) {
    return split_error(kBufferedBinary, unhex(hex_bytes));
  };
  EXPECT_THAT(error("00 00 00 01 6d 01 00 00 00 07 00"),
              FailsWith("missing version in binary message header "
                        "(non-strict binary is not supported) at offset 0"));
  EXPECT_THAT(error("80 02 00 01"),
              FailsWith("bad binary protocol version 0x80020001 at offset 0"));
  EXPECT_THAT(error("80 01 00 05"),
              FailsWith("invalid message type 0x05 at offset 0"));
  EXPECT_THAT(error("80 01 00 00"),
              FailsWith("invalid message type 0x00 at offset 0"));
  EXPECT_THAT(error("80 01 00 01 ff ff ff ff"),
              FailsWith("negative string length -1 at offset 4"));
  EXPECT_THAT(split_error(kBufferedBinary, unhex("80 01 00 01 00 00 00 09"),
                          {.max_string_length = 8}),
              FailsWith("string length 9 exceeds limit 8 at offset 4"));
}

TEST(ThriftFramingBinaryErrorsTest, Types) {
  EXPECT_THAT(binary_error("05 00 01"),
              FailsWith("invalid type 0x05 at offset 13"));
  EXPECT_THAT(binary_error("01 00 01"),
              FailsWith("invalid type 0x01 at offset 13"));
  EXPECT_THAT(binary_error("11 00 01"),
              FailsWith("invalid type 0x11 at offset 13"));
  EXPECT_THAT(binary_error("08 00 01 00 00 00 01  ff 00 01"),
              FailsWith("invalid type 0xff at offset 20"));
  EXPECT_THAT(binary_error("0f 00 01 01 00 00 00 02"),
              FailsWith("invalid list element type 0x01 at offset 16"));
  EXPECT_THAT(binary_error("0e 00 01 07 00 00 00 02"),
              FailsWith("invalid set element type 0x07 at offset 16"));
  EXPECT_THAT(binary_error("0d 00 01 05 08 00 00 00 01"),
              FailsWith("invalid map key type 0x05 at offset 16"));
  EXPECT_THAT(binary_error("0d 00 01 08 00 00 00 00 01"),
              FailsWith("invalid map value type 0x00 at offset 16"));
  // Element types do not matter when there are no elements (as in the
  // codec).
  const std::string empty =
      kBinaryHead +
      unhex("0f 00 01 01 00 00 00 00  0d 00 02 ff 00 00 00 00 00  00");
  EXPECT_THAT(split(kBufferedBinary, empty, Feed::kWhole).messages,
              ElementsAreArray({empty}));
  EXPECT_THAT(codec_skips_exactly(ProtocolId::kBinary, empty), IsOk());
}

TEST(ThriftFramingBinaryErrorsTest, Sizes) {
  EXPECT_THAT(binary_error("0f 00 01 08 ff ff ff fb"),
              FailsWith("negative list size -5 at offset 16"));
  EXPECT_THAT(binary_error("0e 00 01 08 80 00 00 00"),
              FailsWith("negative set size -2147483648 at offset 16"));
  EXPECT_THAT(binary_error("0d 00 01 08 08 ff ff ff ff"),
              FailsWith("negative map size -1 at offset 16"));
  EXPECT_THAT(binary_error("0b 00 01 ff ff ff fe"),
              FailsWith("negative string length -2 at offset 16"));
  const DecodeLimits small{.max_string_length = 8, .max_container_size = 4};
  EXPECT_THAT(binary_error("0b 00 01 00 00 00 09", small),
              FailsWith("string length 9 exceeds limit 8 at offset 16"));
  EXPECT_THAT(binary_error("0f 00 01 0c 00 00 00 05", small),
              FailsWith("list size 5 exceeds limit 4 at offset 16"));
  EXPECT_THAT(binary_error("0d 00 01 0b 0c 00 00 00 05", small),
              FailsWith("map size 5 exceeds limit 4 at offset 16"));
}

TEST(ThriftFramingBinaryErrorsTest, Depth) {
  // args(1) > list<struct>(2) > struct(3) > struct field(4).
  EXPECT_THAT(binary_error("0f 00 01 0c 00 00 00 01  0c 00 01 00 00 00",
                           {.max_depth = 3}),
              FailsWith("nesting depth exceeds limit 3 at offset 24"));
  const std::string ok =
      kBinaryHead + unhex("0f 00 01 0c 00 00 00 01  0c 00 01 00 00 00");
  EXPECT_THAT(
      split(kBufferedBinary, ok, Feed::kWhole, {.max_depth = 4}).messages,
      ElementsAreArray({ok}));
}

TEST(ThriftFramingBinaryErrorsTest, MessageSize) {
  // 13 header + i64 field (11) + i32 field (7) + stop = 32 bytes.
  const std::string message =
      kBinaryHead +
      unhex("0a 00 01 00 00 00 00 00 00 00 01  08 00 02 00 00 00 02  00");
  ASSERT_EQ(message.size(), 32u);
  auto limited = [&](std::uint32_t max) {
    return split_error(kBufferedBinary, message, {.max_message_size = max});
  };
  EXPECT_THAT(limited(32), IsOk());
  EXPECT_THAT(limited(31),
              FailsWith("message exceeds size limit 31: field header at "
                        "offset 31"));
  EXPECT_THAT(limited(30),
              FailsWith("message exceeds size limit 30: i32 at offset 27"));
  EXPECT_THAT(limited(26),
              FailsWith("message exceeds size limit 26: field header at "
                        "offset 24"));
  EXPECT_THAT(limited(12),
              FailsWith("message exceeds size limit 12: seqid at offset 9"));
  EXPECT_THAT(limited(3),
              FailsWith("message exceeds size limit 3: message header at "
                        "offset 0"));
  // Lengths and counts fail as soon as they are read, before the bytes
  // arrive: the splitter never waits for a message it will reject.
  const DecodeLimits small{.max_message_size = 64};
  for (const auto& [body, error] :
       std::vector<std::pair<std::string, std::string>>{
           {"0b 00 01 00 00 00 64",
            "message exceeds size limit 64: string length 100 at offset 16"},
           {"0f 00 01 0a 00 00 00 64",
            "message exceeds size limit 64: list size 100 at offset 16"},
           {"0d 00 01 0b 0b 00 00 00 08",
            "message exceeds size limit 64: map size 8 at offset 16"}}) {
    MessageSplitter splitter(kBufferedBinary, small);
    IoBuf pending = IoBuf::copy_from(kBinaryHead + unhex(body));
    EXPECT_THAT(splitter.next(pending), FailsWith(error));
  }
}

TEST(ThriftFramingBinaryErrorsTest, MessageSizeOfTheName) {
  EXPECT_THAT(split_error(kBufferedBinary, unhex("80 01 00 01 00 00 00 40"),
                          {.max_message_size = 64}),
              FailsWith("message exceeds size limit 64: string length 64 at "
                        "offset 4"));
}

// ---- Buffered compact: exact errors -----------------------------------------

// Header of a call "m", seqid 7: the struct starts at offset 5.
const std::string kCompactHead = unhex("82 21 07 01 6d");

Status compact_error(std::string_view hex_body,
                     const DecodeLimits& limits = {}) {
  return split_error(kBufferedCompact, kCompactHead + unhex(hex_body), limits);
}

TEST(ThriftFramingCompactErrorsTest, Header) {
  auto error = [](std::string_view hex_bytes) {
    return split_error(kBufferedCompact, unhex(hex_bytes));
  };
  EXPECT_THAT(error("83 21"),
              FailsWith("invalid compact protocol id 0x83 at offset 0"));
  EXPECT_THAT(error("82 22"),
              FailsWith("bad compact protocol version 0x02 at offset 1"));
  EXPECT_THAT(error("82 a1"),
              FailsWith("invalid message type 0x05 at offset 1"));
  EXPECT_THAT(error("82 01"),
              FailsWith("invalid message type 0x00 at offset 1"));
  EXPECT_THAT(error("82 21 ff ff ff ff ff"),
              FailsWith("varint longer than 5 bytes (32-bit value) at offset "
                        "2"));
  EXPECT_THAT(error("82 21 07 ff ff ff ff 0f"),
              FailsWith("negative string length -1 at offset 3"));
  EXPECT_THAT(split_error(kBufferedCompact, unhex("82 21 07 09"),
                          {.max_string_length = 8}),
              FailsWith("string length 9 exceeds limit 8 at offset 3"));
}

TEST(ThriftFramingCompactErrorsTest, Types) {
  EXPECT_THAT(compact_error("1e"),
              FailsWith("invalid compact type 0x0e at offset 5"));
  EXPECT_THAT(compact_error("0f 02"),
              FailsWith("invalid compact type 0x0f at offset 5"));
  EXPECT_THAT(compact_error("19 1e"),
              FailsWith("invalid compact element type 0x0e at offset 6"));
  EXPECT_THAT(compact_error("19 10"),
              FailsWith("invalid compact element type 0x00 at offset 6"));
  EXPECT_THAT(compact_error("1b 01 e5"),
              FailsWith("invalid compact map key type 0x0e at offset 6"));
  EXPECT_THAT(compact_error("1b 01 50"),
              FailsWith("invalid compact map value type 0x00 at offset 6"));
  EXPECT_THAT(compact_error("19 21 01 03"),
              FailsWith("invalid compact bool 0x03 at offset 8"));
  // An empty container's element type is not looked at; bool elements 0, 1
  // and 2 are all accepted, as by the codec.
  const std::string ok =
      kCompactHead + unhex("19 0e  19 31 00 01 02  1b 00  00");
  EXPECT_THAT(split(kBufferedCompact, ok, Feed::kWhole).messages,
              ElementsAreArray({ok}));
  EXPECT_THAT(codec_skips_exactly(ProtocolId::kCompact, ok), IsOk());
}

TEST(ThriftFramingCompactErrorsTest, Varints) {
  EXPECT_THAT(compact_error("16 ff ff ff ff ff ff ff ff ff ff"),
              FailsWith("varint longer than 10 bytes (64-bit value) at offset "
                        "6"));
  EXPECT_THAT(compact_error("15 ff ff ff ff ff"),
              FailsWith("varint longer than 5 bytes (32-bit value) at offset "
                        "6"));
  EXPECT_THAT(compact_error("05 ff ff ff ff ff"),
              FailsWith("varint longer than 5 bytes (32-bit value) at offset "
                        "5"));
  EXPECT_THAT(compact_error("19 f5 ff ff ff ff ff"),
              FailsWith("varint longer than 5 bytes (32-bit value) at offset "
                        "6"));
  EXPECT_THAT(compact_error("1b ff ff ff ff ff"),
              FailsWith("varint longer than 5 bytes (32-bit value) at offset "
                        "6"));
  // A 10-byte i64 and a 5-byte i32 (high bits dropped, as the codec does).
  const std::string ok =
      kCompactHead + unhex(
                         "16 ff ff ff ff ff ff ff ff ff 01  15 ff ff ff "
                         "ff 7f  00");
  EXPECT_THAT(split(kBufferedCompact, ok, Feed::kByteChunks).messages,
              ElementsAreArray({ok}));
  EXPECT_THAT(codec_skips_exactly(ProtocolId::kCompact, ok), IsOk());
}

TEST(ThriftFramingCompactErrorsTest, Sizes) {
  EXPECT_THAT(compact_error("19 f5 ff ff ff ff 0f"),
              FailsWith("negative list size -1 at offset 6"));
  EXPECT_THAT(compact_error("1a f5 80 80 80 80 08"),
              FailsWith("negative set size -2147483648 at offset 6"));
  EXPECT_THAT(compact_error("1b ff ff ff ff 0f 55"),
              FailsWith("negative map size -1 at offset 6"));
  EXPECT_THAT(compact_error("18 fe ff ff ff 0f"),
              FailsWith("negative string length -2 at offset 6"));
  const DecodeLimits small{.max_string_length = 8, .max_container_size = 4};
  EXPECT_THAT(compact_error("18 09", small),
              FailsWith("string length 9 exceeds limit 8 at offset 6"));
  EXPECT_THAT(compact_error("19 55", small),
              FailsWith("list size 5 exceeds limit 4 at offset 6"));
  EXPECT_THAT(compact_error("1b 05 55", small),
              FailsWith("map size 5 exceeds limit 4 at offset 6"));
  EXPECT_THAT(compact_error("19 f5 05", small),
              FailsWith("list size 5 exceeds limit 4 at offset 6"));
}

TEST(ThriftFramingCompactErrorsTest, Depth) {
  // args(1) > list<struct>(2) > struct(3) > empty map(4).
  EXPECT_THAT(compact_error("19 1c  1b 00 00  00", {.max_depth = 3}),
              FailsWith("nesting depth exceeds limit 3 at offset 8"));
  const std::string ok = kCompactHead + unhex("19 1c  1b 00 00  00");
  EXPECT_THAT(
      split(kBufferedCompact, ok, Feed::kWhole, {.max_depth = 4}).messages,
      ElementsAreArray({ok}));
}

TEST(ThriftFramingCompactErrorsTest, MessageSize) {
  const DecodeLimits small{.max_message_size = 32};
  EXPECT_THAT(compact_error("18 64", small),
              FailsWith("message exceeds size limit 32: string length 100 at "
                        "offset 6"));
  EXPECT_THAT(compact_error("19 f7 05", small),
              FailsWith("message exceeds size limit 32: list size 5 at offset "
                        "6"));
  EXPECT_THAT(compact_error("1b 02 77", small),
              FailsWith("message exceeds size limit 32: map size 2 at offset "
                        "6"));
  // 30 bytes: the header and a 23-byte string field.
  const std::string fill = kCompactHead + unhex("18 17") + std::string(23, 'x');
  ASSERT_EQ(fill.size(), 30u);
  EXPECT_THAT(split_error(kBufferedCompact, fill + unhex("17 00 00"), small),
              FailsWith("message exceeds size limit 32: double at offset 31"));
  EXPECT_THAT(split_error(kBufferedCompact, fill + unhex("16 ff ff"), small),
              FailsWith("message exceeds size limit 32: i64 at offset 31"));
  EXPECT_THAT(split_error(kBufferedCompact, fill + unhex("15 01 00"), small),
              FailsWith("message exceeds size limit 32: field header at offset "
                        "32"));
  const std::string exact = fill + unhex("15 01");
  EXPECT_THAT(split_error(kBufferedCompact, exact + unhex("00"),
                          {.max_message_size = 33}),
              IsOk());
}

// ---- Framed -----------------------------------------------------------------

TEST(ThriftFramingFramedTest, RejectsBadLengths) {
  auto error = [](std::string_view hex_bytes, const DecodeLimits& limits) {
    return split_error(kFramedBinary, unhex(hex_bytes), limits);
  };
  const DecodeLimits defaults;
  EXPECT_THAT(error("00 00 00 00", defaults),
              FailsWith("invalid frame length 0"));
  EXPECT_THAT(error("7f ff ff ff", defaults),
              FailsWith("frame length 2147483647 exceeds limit 16777216"));
  EXPECT_THAT(error("ff ff ff ff", {.max_message_size = 0xffffffff}),
              FailsWith("frame length 4294967295 exceeds limit 2147483647"));
  EXPECT_THAT(error("80 01 00 01 00 00 00 01", defaults),
              FailsWith("frame length 2147549185 exceeds limit 16777216 "
                        "(looks like an unframed binary message: the peer uses "
                        "buffered framing)"));
  EXPECT_THAT(error("82 21 01 01", defaults),
              FailsWith("frame length 2183201025 exceeds limit 16777216 "
                        "(looks like an unframed compact message: the peer "
                        "uses buffered framing)"));
  EXPECT_THAT(error("47 45 54 20 2f", defaults),
              FailsWith("frame length 1195725856 exceeds limit 16777216 "
                        "(looks like HTTP)"));
}

TEST(ThriftFramingFramedTest, LimitIsThePayloadSize) {
  const std::string frame = unhex("00 00 00 64") + std::string(100, 'p');
  EXPECT_THAT(
      split(kFramedCompact, frame, Feed::kWhole, {.max_message_size = 100})
          .messages,
      ElementsAreArray({std::string(100, 'p')}));
  EXPECT_THAT(split_error(kFramedCompact, frame, {.max_message_size = 99}),
              FailsWith("frame length 100 exceeds limit 99"));
}

TEST(ThriftFramingFramedTest, DoesNotLookInsideThePayload) {
  const std::string frame = unhex("00 00 00 03 ff ff ff  00 00 00 01 00");
  EXPECT_THAT(split(kFramedBinary, frame, Feed::kByteChunks).messages,
              ElementsAreArray({unhex("ff ff ff"), unhex("00")}));
}

// ---- Writing ----------------------------------------------------------------

TEST(ThriftFramingWriteTest, FramedPatchesTheLength) {
  WriteBuffer out;
  out.append("xy", 2);
  const std::size_t first = begin_frame(out, Framing::kFramed);
  EXPECT_EQ(first, 2u);
  EXPECT_EQ(out.size(), 6u);
  out.append("abc", 3);
  finish_frame(out, Framing::kFramed, first);
  const std::size_t second = begin_frame(out, Framing::kFramed);
  finish_frame(out, Framing::kFramed, second);
  EXPECT_EQ(hex(out.view()), "78 79 00 00 00 03 61 62 63 00 00 00 00");
}

TEST(ThriftFramingWriteTest, FramedSurvivesBufferGrowth) {
  WriteBuffer out(16);
  const std::size_t start = begin_frame(out, Framing::kFramed);
  const std::string big(100000, 'z');
  out.append(big.data(), big.size());
  finish_frame(out, Framing::kFramed, start);
  EXPECT_EQ(hex(out.view().substr(0, 4)), "00 01 86 a0");
}

TEST(ThriftFramingWriteTest, BufferedWritesNothing) {
  WriteBuffer out;
  out.append("q", 1);
  const std::size_t start = begin_frame(out, Framing::kBuffered);
  EXPECT_EQ(start, 1u);
  EXPECT_EQ(out.size(), 1u);
  out.append("abc", 3);
  finish_frame(out, Framing::kBuffered, start);
  EXPECT_EQ(out.view(), "qabc");
}

// ---- The server's contiguous envelope read
// -----------------------------------

std::string envelope_bytes(ProtocolId protocol, std::string_view name,
                           MessageType type, std::int32_t seqid) {
  WriteBuffer out;
  if (protocol == ProtocolId::kBinary) {
    BinaryWriter<WriteBuffer> w(out);
    w.write_message_begin(name, type, seqid);
  } else {
    CompactWriter<WriteBuffer> w(out);
    w.write_message_begin(name, type, seqid);
  }
  return std::string(out.view());
}

// Whatever the fast read accepts, read_envelope reads the same way.
void expect_agrees_with_read_envelope(ProtocolId protocol,
                                      std::string_view message) {
  detail::Envelope fast;
  if (!detail::read_contiguous_envelope(message, protocol, fast)) return;
  detail::Envelope full;
  ASSERT_THAT(
      detail::read_envelope(codec::ChainInput(message.data(), message.size()),
                            protocol, DecodeLimits{}, full),
      IsOk())
      << hex(message);
  EXPECT_EQ(fast.name, full.name);
  if (!fast.name.empty()) {
    EXPECT_EQ(fast.name.data(), full.name.data());
  }
  EXPECT_EQ(fast.type, full.type);
  EXPECT_EQ(fast.seqid, full.seqid);
  EXPECT_EQ(fast.header_size, full.header_size);
}

TEST(ThriftContiguousEnvelopeTest, ReadsEveryCallAndOnewayLikeTheReaders) {
  const std::int32_t seqids[] = {0,       1,         63,       64, 127,
                                 128,     16383,     16384,    -1, -64,
                                 1 << 28, INT32_MAX, INT32_MIN};
  const std::string names[] = {"", "a", "echo", std::string(200, 'n'),
                               std::string(detail::kMaxMethodNameLength, 'm')};
  for (ProtocolId protocol : {ProtocolId::kBinary, ProtocolId::kCompact}) {
    for (MessageType type : {MessageType::kCall, MessageType::kOneway}) {
      for (std::int32_t seqid : seqids) {
        for (const std::string& name : names) {
          const std::string header =
              envelope_bytes(protocol, name, type, seqid);
          const std::string message = header + std::string("\x0b\x00", 2);
          detail::Envelope env;
          ASSERT_TRUE(detail::read_contiguous_envelope(message, protocol, env))
              << hex(header);
          EXPECT_EQ(env.name, name);
          EXPECT_EQ(env.type, type);
          EXPECT_EQ(env.seqid, seqid);
          EXPECT_EQ(env.header_size, header.size());
          expect_agrees_with_read_envelope(protocol, message);
        }
      }
    }
  }
}

TEST(ThriftContiguousEnvelopeTest, DeclinesWhatTheFullReaderMustJudge) {
  for (ProtocolId protocol : {ProtocolId::kBinary, ProtocolId::kCompact}) {
    detail::Envelope env;
    // Replies and exceptions are not requests.
    for (MessageType type : {MessageType::kReply, MessageType::kException}) {
      EXPECT_FALSE(detail::read_contiguous_envelope(
          envelope_bytes(protocol, "echo", type, 7), protocol, env));
    }
    // A name over the envelope's bound (read_envelope names the error).
    const std::string long_name = envelope_bytes(
        protocol, std::string(detail::kMaxMethodNameLength + 1, 'm'),
        MessageType::kCall, 1);
    EXPECT_FALSE(detail::read_contiguous_envelope(long_name, protocol, env));
    EXPECT_FALSE(detail::read_envelope(
                     codec::ChainInput(long_name.data(), long_name.size()),
                     protocol, DecodeLimits{}, env)
                     .ok());
    // Cut anywhere inside the header: never a half-read envelope.
    const std::string header =
        envelope_bytes(protocol, "echo", MessageType::kCall, -1);
    for (std::size_t n = 0; n < header.size(); ++n) {
      EXPECT_FALSE(detail::read_contiguous_envelope(
          std::string_view(header).substr(0, n), protocol, env))
          << n;
    }
  }
  detail::Envelope env;
  // Binary: a bad version word, and the old unversioned form.
  EXPECT_FALSE(detail::read_contiguous_envelope(
      unhex("80 02 00 01 00 00 00 01 61 00 00 00 01"), ProtocolId::kBinary,
      env));
  EXPECT_FALSE(detail::read_contiguous_envelope(
      unhex("00 00 00 01 61 01 00 00 00 01"), ProtocolId::kBinary, env));
  // Compact: a bad protocol id, a bad version, a seqid varint longer than
  // five bytes.
  EXPECT_FALSE(detail::read_contiguous_envelope(unhex("81 21 01 01 61"),
                                                ProtocolId::kCompact, env));
  EXPECT_FALSE(detail::read_contiguous_envelope(unhex("82 22 01 01 61"),
                                                ProtocolId::kCompact, env));
  EXPECT_FALSE(detail::read_contiguous_envelope(
      unhex("82 21 ff ff ff ff ff 01 01 61"), ProtocolId::kCompact, env));
  // A fifth varint byte with bits past 32: dropped, as CompactReader does.
  const std::string wide_seqid = unhex("82 21 ff ff ff ff 7f 01 61");
  ASSERT_TRUE(
      detail::read_contiguous_envelope(wide_seqid, ProtocolId::kCompact, env));
  EXPECT_EQ(env.seqid, -1);
  expect_agrees_with_read_envelope(ProtocolId::kCompact, wide_seqid);
}

TEST(ThriftContiguousEnvelopeTest, AgreesWithTheReadersOnMangledHeaders) {
  // Every single-byte change of a few real headers: whatever the fast read
  // still accepts, the full reader reads the same way.
  for (ProtocolId protocol : {ProtocolId::kBinary, ProtocolId::kCompact}) {
    for (std::int32_t seqid : {5, -2}) {
      const std::string header =
          envelope_bytes(protocol, "echo", MessageType::kCall, seqid) +
          std::string("\x00", 1);
      for (std::size_t i = 0; i < header.size(); ++i) {
        for (int v = 0; v < 256; ++v) {
          std::string mangled = header;
          mangled[i] = static_cast<char>(v);
          expect_agrees_with_read_envelope(protocol, mangled);
        }
      }
    }
  }
}

}  // namespace
}  // namespace ferry::thrift
