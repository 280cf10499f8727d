// gRPC wire utilities (transport/grpc/wire.h): the message deframer fed at
// every split point and byte by byte, its errors with their exact text,
// frame_message, grpc-timeout parsing and formatting, grpc-message
// percent-encoding, -bin base64, header-key checks and gzip (round trips
// over multi-slice buffers, corrupt input, a decompression bomb).

#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/status_matchers.h"
#include "transport/grpc/wire.h"

namespace ferry::grpc {
namespace {

using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// ---- Helpers ----------------------------------------------------------------

std::string prefix(std::uint8_t flag, std::uint32_t length) {
  return std::string{static_cast<char>(flag), static_cast<char>(length >> 24),
                     static_cast<char>(length >> 16),
                     static_cast<char>(length >> 8), static_cast<char>(length)};
}

std::string lpm(std::string_view payload, bool compressed = false) {
  return prefix(compressed ? 1 : 0,
                static_cast<std::uint32_t>(payload.size())) +
         std::string(payload);
}

struct Got {
  bool compressed;
  std::string payload;
  friend bool operator==(const Got&, const Got&) = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << (g.compressed ? "C" : "U") << ":"
            << ::testing::PrintToString(g.payload);
}

// Takes every available frame; fails the test on an error.
void drain(MessageDeframer& d, std::vector<Got>& out) {
  for (;;) {
    auto r = d.next();
    ASSERT_THAT(r, IsOk());
    if (!r->has_value()) return;
    out.push_back({(*r)->compressed, (*r)->payload.to_string()});
  }
}

// An IoBuf of several slices: `bytes` cut at `cuts`.
IoBuf sliced(std::string_view bytes, std::vector<std::size_t> cuts) {
  IoBuf out;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    out.append(IoBuf::copy_from(bytes.substr(at, cut - at)));
    at = cut;
  }
  out.append(IoBuf::copy_from(bytes.substr(at)));
  return out;
}

// A deterministic, poorly compressible byte string.
std::string noise(std::size_t n, std::uint32_t seed) {
  std::string s(n, '\0');
  for (char& c : s) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return s;
}

// ---- MessageDeframer --------------------------------------------------------

const std::vector<Got> kMessages = {
    {false, "hello"},
    {false, ""},
    {true, std::string("\x00\x01\x02\xff", 4)},
    {false, std::string(300, 'x')},
    {true, ""},
    {false, "z"},
};

std::string stream_of(const std::vector<Got>& messages) {
  std::string s;
  for (const Got& m : messages) s += lpm(m.payload, m.compressed);
  return s;
}

TEST(MessageDeframer, WholeBuffer) {
  MessageDeframer d(1024);
  d.feed(IoBuf::copy_from(stream_of(kMessages)));
  std::vector<Got> got;
  drain(d, got);
  EXPECT_EQ(got, kMessages);
  EXPECT_FALSE(d.has_partial());
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_EQ(d.messages(), kMessages.size());
}

TEST(MessageDeframer, EverySplitPointInTwo) {
  const std::string stream = stream_of(kMessages);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    SCOPED_TRACE(cut);
    MessageDeframer d(1024);
    std::vector<Got> got;
    d.feed(IoBuf::copy_from(std::string_view(stream).substr(0, cut)));
    drain(d, got);
    d.feed(IoBuf::copy_from(std::string_view(stream).substr(cut)));
    drain(d, got);
    EXPECT_EQ(got, kMessages);
    EXPECT_FALSE(d.has_partial());
  }
}

TEST(MessageDeframer, EveryPairOfSplitPointsFedBeforeDraining) {
  // Three pieces appended before next() runs: prefixes and payloads span
  // slices.
  const std::string stream = stream_of(kMessages);
  const std::string_view s(stream);
  for (std::size_t a = 0; a <= s.size(); a += 3) {
    for (std::size_t b = a; b <= s.size(); b += 7) {
      MessageDeframer d(1024);
      d.feed(IoBuf::copy_from(s.substr(0, a)));
      d.feed(IoBuf::copy_from(s.substr(a, b - a)));
      d.feed(IoBuf::copy_from(s.substr(b)));
      std::vector<Got> got;
      drain(d, got);
      ASSERT_EQ(got, kMessages) << a << " " << b;
    }
  }
}

TEST(MessageDeframer, ByteByByte) {
  const std::string stream = stream_of(kMessages);
  MessageDeframer d(1024);
  std::vector<Got> got;
  std::size_t fed = 0;
  for (char c : stream) {
    d.feed(IoBuf::copy_from(std::string_view(&c, 1)));
    ++fed;
    drain(d, got);
    // has_partial is exactly "fed more than the messages returned so far".
    std::size_t returned = 0;
    for (const Got& g : got) returned += kMessagePrefixSize + g.payload.size();
    EXPECT_EQ(d.buffered(), fed - returned);
    EXPECT_EQ(d.has_partial(), fed != returned);
  }
  EXPECT_EQ(got, kMessages);
}

TEST(MessageDeframer, ArbitraryChunks) {
  const std::string stream = stream_of(kMessages);
  std::uint32_t seed = 1;
  for (int round = 0; round < 200; ++round) {
    MessageDeframer d(1024);
    std::vector<Got> got;
    std::size_t at = 0;
    while (at < stream.size()) {
      seed = seed * 1664525u + 1013904223u;
      const std::size_t n = 1 + (seed >> 16) % 40;
      d.feed(IoBuf::copy_from(std::string_view(stream).substr(at, n)));
      at += n;
      if ((seed & 3) != 0) drain(d, got);
    }
    drain(d, got);
    ASSERT_EQ(got, kMessages) << "round " << round;
  }
}

TEST(MessageDeframer, PayloadSharesFedChunks) {
  const std::string stream = lpm("abcdefgh") + lpm("ij");
  IoBuf in = IoBuf::copy_from(stream);
  const char* base = in.slices()[0].data;
  MessageDeframer d(64);
  d.feed(std::move(in));
  auto first = d.next();
  ASSERT_THAT(first, IsOk());
  ASSERT_TRUE(first->has_value());
  const IoBuf& payload = (*first)->payload;
  ASSERT_EQ(payload.slices().size(), 1u);
  EXPECT_EQ(payload.slices()[0].data, base + 5);  // no copy
  EXPECT_EQ(payload, "abcdefgh");
}

TEST(MessageDeframer, ZeroLengthMessages) {
  MessageDeframer d(0);  // a limit of 0 still allows empty messages
  d.feed(IoBuf::copy_from(prefix(0, 0) + prefix(1, 0) + prefix(0, 0)));
  std::vector<Got> got;
  drain(d, got);
  EXPECT_THAT(got, ElementsAre(Got{false, ""}, Got{true, ""}, Got{false, ""}));
  EXPECT_FALSE(d.has_partial());
}

TEST(MessageDeframer, PartialDetection) {
  MessageDeframer d(1024);
  EXPECT_FALSE(d.has_partial());
  d.feed(IoBuf::copy_from(prefix(0, 4).substr(0, 3)));
  ASSERT_THAT(d.next(), IsOk());
  EXPECT_TRUE(d.has_partial());
  EXPECT_EQ(d.buffered(), 3u);
  d.feed(IoBuf::copy_from(prefix(0, 4).substr(3) + "ab"));
  auto r = d.next();
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->has_value());
  EXPECT_TRUE(d.has_partial());
  EXPECT_EQ(d.buffered(), 7u);
  d.feed(IoBuf::copy_from("cd"));
  r = d.next();
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->payload, "abcd");
  EXPECT_FALSE(d.has_partial());
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(MessageDeframer, BadFlagIsInternalAndSticky) {
  MessageDeframer d(1024);
  d.feed(IoBuf::copy_from(lpm("a") + lpm("b", true)));
  std::vector<Got> got;
  drain(d, got);
  ASSERT_EQ(got.size(), 2u);
  // The third message's flag is rejected before its length arrives.
  d.feed(IoBuf::copy_from("\x07"));
  const auto r = d.next();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kInternal,
                          "grpc message: compressed flag 7 is neither 0 nor "
                          "1 (message 3)"));
  EXPECT_EQ(d.next().status(), r.status());
  d.feed(IoBuf::copy_from(lpm("c")));
  EXPECT_EQ(d.next().status(), r.status());
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(MessageDeframer, FlagByteValues) {
  for (int flag = 0; flag < 256; ++flag) {
    MessageDeframer d(16);
    d.feed(IoBuf::copy_from(prefix(static_cast<std::uint8_t>(flag), 1) + "x"));
    const auto r = d.next();
    if (flag <= 1) {
      ASSERT_THAT(r, IsOk());
      ASSERT_TRUE(r->has_value());
      EXPECT_EQ((*r)->compressed, flag == 1);
    } else {
      EXPECT_THAT(
          r, StatusIs(absl::StatusCode::kInternal,
                      "grpc message: compressed flag " + std::to_string(flag) +
                          " is neither 0 nor 1 (message 1)"));
    }
  }
}

TEST(MessageDeframer, OversizeFromPrefixAlone) {
  MessageDeframer d(4194304);
  d.feed(IoBuf::copy_from(lpm("ok")));
  std::vector<Got> got;
  drain(d, got);
  ASSERT_EQ(got.size(), 1u);
  // Only the 5-byte prefix: no payload is fed or waited for.
  d.feed(IoBuf::copy_from(prefix(0, 5000000)));
  const auto r = d.next();
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kResourceExhausted,
                          "grpc message 2: length 5000000 exceeds limit "
                          "4194304"));
  EXPECT_EQ(d.next().status(), r.status());
  EXPECT_FALSE(d.has_partial());
}

TEST(MessageDeframer, LengthAtLimitIsAccepted) {
  MessageDeframer d(3);
  d.feed(IoBuf::copy_from(lpm("abc") + prefix(1, 4)));
  auto r = d.next();
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->payload, "abc");
  EXPECT_THAT(d.next(), StatusIs(absl::StatusCode::kResourceExhausted,
                                 "grpc message 2: length 4 exceeds limit 3"));
}

TEST(MessageDeframer, MaxLengthPrefixAgainstLargeLimit) {
  MessageDeframer d(std::size_t{1} << 40);
  d.feed(IoBuf::copy_from(prefix(0, 0xffffffffu) + "abc"));
  auto r = d.next();
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(d.buffered(), 8u);
  EXPECT_TRUE(d.has_partial());
}

// ---- frame_message ----------------------------------------------------------

TEST(FrameMessage, ExactBytes) {
  EXPECT_EQ(frame_message(IoBuf::copy_from("abc"), false),
            std::string_view("\x00\x00\x00\x00\x03"
                             "abc",
                             8));
  EXPECT_EQ(frame_message(IoBuf(), true),
            std::string_view("\x01\x00\x00\x00\x00", 5));
  const std::string big(70000, 'q');
  EXPECT_EQ(frame_message(IoBuf::copy_from(big), true).to_string(),
            std::string("\x01\x00\x01\x11\x70", 5) + big);
}

TEST(FrameMessage, SharesPayloadAndRoundTrips) {
  IoBuf payload = sliced("0123456789", {3, 7});
  const char* first = payload.slices()[0].data;
  IoBuf framed = frame_message(std::move(payload), true);
  ASSERT_EQ(framed.slices().size(), 4u);
  EXPECT_EQ(framed.slices()[1].data, first);
  MessageDeframer d(10);
  d.feed(std::move(framed));
  auto r = d.next();
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->has_value());
  EXPECT_TRUE((*r)->compressed);
  EXPECT_EQ((*r)->payload, "0123456789");
}

// ---- grpc-timeout -----------------------------------------------------------

TEST(Timeout, Parse) {
  struct Case {
    std::string_view text;
    std::optional<std::chrono::nanoseconds> want;
  };
  const Case cases[] = {
      {"1H", 1h},
      {"2M", 2min},
      {"3S", 3s},
      {"4m", 4ms},
      {"5u", 5us},
      {"6n", 6ns},
      {"0n", 0ns},
      {"00000010S", 10s},
      {"99999999n", 99999999ns},
      {"99999999S", 99999999s},
      {"2562047H", 2562047h},
      {"99999999H", std::chrono::nanoseconds::max()},  // saturates
      {"", std::nullopt},
      {"S", std::nullopt},
      {"123", std::nullopt},
      {"1x", std::nullopt},
      {"1h", std::nullopt},
      {"1s", std::nullopt},
      {"123456789S", std::nullopt},  // 9 digits
      {"-1S", std::nullopt},
      {"+1S", std::nullopt},
      {" 1S", std::nullopt},
      {"1S ", std::nullopt},
      {"1 S", std::nullopt},
      {"1.5S", std::nullopt},
      {"1SS", std::nullopt},
      {"0x1S", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_timeout(c.text), c.want) << "'" << c.text << "'";
  }
}

TEST(Timeout, Format) {
  EXPECT_EQ(format_timeout(0ns), "1n");
  EXPECT_EQ(format_timeout(-5s), "1n");
  EXPECT_EQ(format_timeout(1ns), "1n");
  EXPECT_EQ(format_timeout(99999999ns), "99999999n");
  EXPECT_EQ(format_timeout(100000000ns), "100000u");
  EXPECT_EQ(format_timeout(100000001ns), "100001u");  // rounded up
  EXPECT_EQ(format_timeout(1500ms), "1500000u");
  EXPECT_EQ(format_timeout(1s + 1ns), "1000001u");
  EXPECT_EQ(format_timeout(100s), "100000m");
  EXPECT_EQ(format_timeout(100000s), "100000S");
  EXPECT_EQ(format_timeout(200000000s), "3333334M");
  EXPECT_EQ(format_timeout(std::chrono::nanoseconds::max()), "2562048H");
}

TEST(Timeout, FormatParseRoundTripNeverShortens) {
  std::vector<std::chrono::nanoseconds> values;
  for (std::int64_t v = 1;
       v > 0 && v < std::numeric_limits<std::int64_t>::max() / 3;
       v = v * 3 + 1) {
    values.push_back(std::chrono::nanoseconds(v));
    values.push_back(std::chrono::nanoseconds(v - 1));
  }
  // Every power of ten that fits (up to 10^18), and its neighbours.
  for (std::int64_t p = 1;; p *= 10) {
    values.push_back(std::chrono::nanoseconds(p));
    values.push_back(std::chrono::nanoseconds(p + 1));
    if (p <= 100'000'000'000'000'000) {
      values.push_back(std::chrono::nanoseconds(p * 9 + 1));
    }
    if (p > std::numeric_limits<std::int64_t>::max() / 10) break;
  }
  values.push_back(std::chrono::nanoseconds::max());
  for (std::chrono::nanoseconds t : values) {
    const std::string text = format_timeout(t);
    SCOPED_TRACE(::testing::Message() << t.count() << "ns -> " << text);
    EXPECT_LE(text.size(), 9u);
    const auto back = parse_timeout(text);
    ASSERT_TRUE(back.has_value());
    EXPECT_GT(back->count(), 0);
    EXPECT_GE(*back, t);
    // Less than one unit of the finest unit that fits; that unit is at
    // most 1000 times one that did not fit (> 99999999 of them), so the
    // error is below 1e-5 relative.
    if (t.count() > 0 && t < std::chrono::nanoseconds::max()) {
      EXPECT_LE((*back - t).count(), t.count() / 100'000 + 1);
    }
    if (t.count() <= 99999999 && t.count() > 0) {
      EXPECT_EQ(*back, t);  // exact in nanoseconds
    }
  }
}

// ---- grpc-message -----------------------------------------------------------

TEST(PercentEncoding, Encode) {
  EXPECT_EQ(percent_encode(""), "");
  EXPECT_EQ(percent_encode("plain text ~!"), "plain text ~!");
  EXPECT_EQ(percent_encode("100%"), "100%25");
  EXPECT_EQ(percent_encode(std::string_view("\x00\x1f\x7f\x80\xff", 5)),
            "%00%1F%7F%80%FF");
  EXPECT_EQ(percent_encode("a\tb\r\n"), "a%09b%0D%0A");
}

TEST(PercentEncoding, InteropSpecialMessage) {
  const std::string message =
      "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP "
      "\U0001F608\t\n";
  const std::string encoded = percent_encode(message);
  EXPECT_EQ(encoded,
            "%09%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and "
            "non-BMP %F0%9F%98%88%09%0A");
  EXPECT_EQ(percent_decode(encoded), message);
}

TEST(PercentEncoding, AllBytesRoundTrip) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string encoded = percent_encode(all);
  for (char c : encoded) {
    EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << int{c};
  }
  EXPECT_EQ(encoded.size(), 95u - 1 + (256 - 95 + 1) * 3);
  EXPECT_EQ(percent_decode(encoded), all);
}

TEST(PercentEncoding, LenientDecode) {
  EXPECT_EQ(percent_decode("%zz"), "%zz");
  EXPECT_EQ(percent_decode("abc%"), "abc%");
  EXPECT_EQ(percent_decode("abc%4"), "abc%4");
  EXPECT_EQ(percent_decode("%4g%41"), "%4gA");
  EXPECT_EQ(percent_decode("%%41"), "%A");
  EXPECT_EQ(percent_decode("%e2%98%ba"), "\u263A");  // lower-case hex
  EXPECT_EQ(percent_decode("no escapes"), "no escapes");
  EXPECT_EQ(percent_decode("%25zz"), "%zz");
}

// ---- Custom metadata --------------------------------------------------------

TEST(BinaryHeader, Key) {
  EXPECT_TRUE(is_binary_header("trailer-bin"));
  EXPECT_TRUE(is_binary_header("x-grpc-test-echo-trailing-bin"));
  EXPECT_FALSE(is_binary_header("x-grpc-test-echo-initial"));
  EXPECT_FALSE(is_binary_header("bin"));
  EXPECT_FALSE(is_binary_header("a-binx"));
}

TEST(BinaryHeader, EncodeIsUnpadded) {
  EXPECT_EQ(encode_binary_header(""), "");
  EXPECT_EQ(encode_binary_header("a"), "YQ");
  EXPECT_EQ(encode_binary_header("ab"), "YWI");
  EXPECT_EQ(encode_binary_header("abc"), "YWJj");
  EXPECT_EQ(encode_binary_header("\xab\xab\xab"), "q6ur");
  EXPECT_EQ(
      encode_binary_header(std::string_view("\x0a\x0b\x0a\x0b\x0a\x0b", 6)),
      "CgsKCwoL");
  EXPECT_EQ(encode_binary_header("\xfb\xff"), "+/8");
}

TEST(BinaryHeader, DecodePaddedAndUnpadded) {
  EXPECT_EQ(decode_binary_header("YQ"), "a");
  EXPECT_EQ(decode_binary_header("YQ=="), "a");
  EXPECT_EQ(decode_binary_header("YWI"), "ab");
  EXPECT_EQ(decode_binary_header("YWI="), "ab");
  EXPECT_EQ(decode_binary_header("YWJj"), "abc");
  EXPECT_EQ(decode_binary_header("+/8"), "\xfb\xff");
  EXPECT_EQ(decode_binary_header(""), "");
  EXPECT_EQ(decode_binary_header("Y"), std::nullopt);
  EXPECT_EQ(decode_binary_header("YQ=a"), std::nullopt);
  EXPECT_EQ(decode_binary_header("Y!=="), std::nullopt);
  EXPECT_EQ(decode_binary_header("-_8"), std::nullopt);  // web-safe alphabet
}

TEST(BinaryHeader, RoundTripAllLengths) {
  for (std::size_t n = 0; n < 64; ++n) {
    const std::string v = noise(n, static_cast<std::uint32_t>(n));
    const std::string e = encode_binary_header(v);
    EXPECT_EQ(e.find('='), std::string::npos);
    EXPECT_EQ(decode_binary_header(e), v) << n;
  }
}

TEST(HeaderKey, Valid) {
  EXPECT_TRUE(is_valid_header_key("x-grpc-test-echo-initial"));
  EXPECT_TRUE(is_valid_header_key("a.b_c-0"));
  EXPECT_FALSE(is_valid_header_key(""));
  EXPECT_FALSE(is_valid_header_key("Upper"));
  EXPECT_FALSE(is_valid_header_key(":path"));
  EXPECT_FALSE(is_valid_header_key("a b"));
  EXPECT_FALSE(is_valid_header_key("a\xc3\xa9"));
  EXPECT_TRUE(is_valid_ascii_header_value("value with spaces ~"));
  EXPECT_TRUE(is_valid_ascii_header_value(""));
  EXPECT_FALSE(is_valid_ascii_header_value("tab\there"));
  EXPECT_FALSE(is_valid_ascii_header_value("\x7f"));
  EXPECT_FALSE(is_valid_ascii_header_value("caf\xc3\xa9"));
}

// ---- gzip -------------------------------------------------------------------

// Inflates with plain zlib, as an independent check of the gzip format.
std::string zlib_gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 22, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(Gzip, RoundTripMultiSlice) {
  const std::string text = [] {
    std::string s;
    for (int i = 0; i < 2000; ++i) s += "message " + std::to_string(i) + "; ";
    return s + noise(50000, 7);
  }();
  IoBuf in = sliced(text, {1, 2, 10, 1000, 20000, 40000, 70000});
  ASSERT_GE(in.slices().size(), 8u);
  auto compressed = gzip_compress(in);
  ASSERT_THAT(compressed, IsOk());
  const std::string bytes = compressed->to_string();
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 3), "\x1f\x8b\x08");  // gzip magic, deflate
  EXPECT_EQ(zlib_gunzip(bytes), text);

  // Decompress from the compressed bytes cut into many slices.
  std::vector<std::size_t> cuts;
  for (std::size_t c = 1; c < bytes.size(); c += 1 + c / 3) cuts.push_back(c);
  IoBuf cut = sliced(bytes, cuts);
  auto back = gzip_decompress(cut, text.size());
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->to_string(), text);
  // Exactly one byte less room is too little.
  EXPECT_THAT(gzip_decompress(cut, text.size() - 1),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "decompressed message exceeds limit " +
                           std::to_string(text.size() - 1)));
}

TEST(Gzip, EmptyAndTiny) {
  for (std::string_view s : {std::string_view(""), std::string_view("x")}) {
    auto c = gzip_compress(IoBuf::copy_from(s));
    ASSERT_THAT(c, IsOk());
    EXPECT_EQ(zlib_gunzip(c->to_string()), s);
    auto d = gzip_decompress(*c, s.size());
    ASSERT_THAT(d, IsOk());
    EXPECT_EQ(*d, s);
  }
}

TEST(Gzip, ConcatenatedMembers) {
  auto a = gzip_compress(IoBuf::copy_from("first,"));
  auto b = gzip_compress(IoBuf::copy_from("second"));
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  IoBuf both = std::move(*a);
  both.append(std::move(*b));
  auto d = gzip_decompress(both, 100);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(*d, "first,second");
}

TEST(Gzip, CorruptInput) {
  EXPECT_THAT(gzip_decompress(IoBuf::copy_from("not gzip at all"), 1024),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("incorrect header check")));
  auto c = gzip_compress(IoBuf::copy_from(std::string(1000, 'a') + "tail"));
  ASSERT_THAT(c, IsOk());
  std::string bytes = c->to_string();
  // A flipped CRC byte (the trailer's first 4 bytes).
  std::string bad_crc = bytes;
  bad_crc[bad_crc.size() - 8] ^= 0x55;
  EXPECT_THAT(
      gzip_decompress(IoBuf::copy_from(bad_crc), 4096),
      StatusIs(absl::StatusCode::kInternal, HasSubstr("incorrect data check")));
  // Trailing garbage after the member.
  EXPECT_THAT(gzip_decompress(IoBuf::copy_from(bytes + "zz"), 4096),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(Gzip, TruncatedInput) {
  auto c = gzip_compress(IoBuf::copy_from(noise(5000, 3)));
  ASSERT_THAT(c, IsOk());
  const std::string bytes = c->to_string();
  for (std::size_t n : {std::size_t{0}, std::size_t{5}, std::size_t{10},
                        bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_THAT(
        gzip_decompress(IoBuf::copy_from(std::string_view(bytes).substr(0, n)),
                        10000),
        StatusIs(absl::StatusCode::kInternal, HasSubstr("truncated")))
        << n;
  }
}

TEST(Gzip, BombStopsAtLimit) {
  const std::string zeros(10 << 20, '\0');
  auto c = gzip_compress(IoBuf::copy_from(zeros));
  ASSERT_THAT(c, IsOk());
  EXPECT_LT(c->size(), 20000u);
  EXPECT_THAT(gzip_decompress(*c, 1 << 20),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "decompressed message exceeds limit 1048576"));
  EXPECT_THAT(gzip_decompress(*c, 0),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "decompressed message exceeds limit 0"));
  auto full = gzip_decompress(*c, zeros.size());
  ASSERT_THAT(full, IsOk());
  EXPECT_EQ(full->size(), zeros.size());
  EXPECT_EQ(*full, zeros);
}

}  // namespace
}  // namespace ferry::grpc
