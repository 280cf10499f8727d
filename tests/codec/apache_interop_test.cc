// Wire compatibility with Apache Thrift C++ (Debian's libthrift), byte for
// byte, both protocols, both directions, for the types of ThriftTest.thrift:
//
//   ferry encodes v          → bytes F
//   Apache decodes F          → a (must consume every byte)
//   Apache re-encodes a       → bytes A;   F == A (the encodings here are
//                                          deterministic: maps and sets are
//                                          ordered the same on both sides)
//   ferry decodes A           → v2;        v2 == v
//
// so a field ferry wrote with a wrong id, type or layout shows up either as a
// decode failure on Apache's side or as a byte difference. Spot checks on
// Apache's decoded values make sure the two agree on meaning, not only on
// bytes. Both sides are generated at build time from a copy of
// ../shared/interop/thrift/ThriftTest.thrift without its `uuid` members
// (Debian's thrift 0.17 predates the type): ferry's into namespace
// ferry_gen::thrift::test, Apache's into apache_tt.

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "gtest/gtest.h"

#include "ThriftTest_services.h"
#include "ThriftTest_types.h"
#include "apache_thrift_test/ThriftTest.h"
#include "apache_thrift_test/ThriftTest_types.h"
#include "codec/application_exception.h"
#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"
#include "tests/codec/codec_test_util.h"
#include "tests/support/status_matchers.h"
#include "thrift/TApplicationException.h"
#include "thrift/protocol/TBinaryProtocol.h"
#include "thrift/protocol/TCompactProtocol.h"
#include "thrift/transport/TBufferTransports.h"

// Apache declares operator< for structs but leaves the definition to the
// user; sets of Insanity need one. The order only matters for sets with
// more than one element, which these tests avoid.
bool apache_tt::Insanity::operator<(const Insanity& other) const {
  return userMap < other.userMap;
}

namespace ferry::codec {
namespace {

namespace fy = ferry_gen::thrift::test;
namespace ap = apache_tt;
using apache::thrift::protocol::TBinaryProtocolT;
using apache::thrift::protocol::TCompactProtocolT;
using apache::thrift::transport::TMemoryBuffer;
using ::ferry::testing::IsOk;
using ::ferry::testing::StatusIs;
using ::testing::HasSubstr;
using testing::hex;  // ferry::codec::testing, tests/codec/codec_test_util.h

// One protocol on both sides.
struct Binary {
  template <class Out>
  using Writer = BinaryWriter<Out>;
  template <class In>
  using Reader = BinaryReader<In>;
  using Apache = TBinaryProtocolT<TMemoryBuffer>;
  static constexpr const char* kName = "binary";
};
struct Compact {
  template <class Out>
  using Writer = CompactWriter<Out>;
  template <class In>
  using Reader = CompactReader<In>;
  using Apache = TCompactProtocolT<TMemoryBuffer>;
  static constexpr const char* kName = "compact";
};

template <class P, class T>
std::string ferry_encode(const T& value) {
  WriteBuffer buf;
  typename P::template Writer<WriteBuffer> writer(buf);
  value.write(writer);
  return std::string(buf.view());
}

template <class P, class T>
Status ferry_decode(std::string_view bytes, T& value) {
  typename P::template Reader<SpanInput> reader{SpanInput(bytes)};
  return value.read(reader);
}

template <class P, class T>
std::string apache_encode(const T& value) {
  auto buf = std::make_shared<TMemoryBuffer>();
  typename P::Apache proto(buf);
  value.write(&proto);
  return buf->getBufferAsString();
}

// Decodes with Apache; fails the test (not throws) on a TException or on
// bytes left over.
template <class P, class T>
::testing::AssertionResult apache_decode(const std::string& bytes, T& value) {
  auto buf = std::make_shared<TMemoryBuffer>(
      reinterpret_cast<std::uint8_t*>(const_cast<char*>(bytes.data())),
      static_cast<std::uint32_t>(bytes.size()));
  typename P::Apache proto(buf);
  try {
    value.read(&proto);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure()
           << "Apache " << P::kName << " decode threw: " << e.what();
  }
  if (buf->available_read() != 0) {
    return ::testing::AssertionFailure()
           << buf->available_read() << " bytes left after Apache's decode";
  }
  return ::testing::AssertionSuccess();
}

// The round trip described at the top, for one protocol. Returns Apache's
// decoded value for spot checks.
template <class P, class ApacheT, class FerryT>
ApacheT round_trip(const FerryT& value, bool compare_values = true) {
  SCOPED_TRACE(P::kName);
  const std::string ferry_bytes = ferry_encode<P>(value);
  ApacheT apache_value;
  EXPECT_TRUE(apache_decode<P>(ferry_bytes, apache_value));
  const std::string apache_bytes = apache_encode<P>(apache_value);
  EXPECT_EQ(hex(ferry_bytes), hex(apache_bytes));
  FerryT back;
  EXPECT_THAT(ferry_decode<P>(apache_bytes, back), IsOk());
  if (compare_values) {
    EXPECT_EQ(back, value);
  }
  return apache_value;
}

// Both protocols; `check` runs on Apache's decoded value for each.
template <class ApacheT, class FerryT, class Check>
void both_ways(const FerryT& value, Check check, bool compare_values = true) {
  check(round_trip<Binary, ApacheT>(value, compare_values));
  check(round_trip<Compact, ApacheT>(value, compare_values));
}
template <class ApacheT, class FerryT>
void both_ways(const FerryT& value) {
  both_ways<ApacheT>(value, [](const ApacheT&) {});
}

const std::string kUnicode = "ünïcödé ✓ 日本語 𝄞 \xc3\xa9";

fy::Xtruct xtruct(std::string s, std::int8_t b, std::int32_t i,
                  std::int64_t l) {
  fy::Xtruct x;
  x.string_thing = std::move(s);
  x.byte_thing = b;
  x.i32_thing = i;
  x.i64_thing = l;
  return x;
}

fy::Insanity insanity() {
  fy::Insanity in;
  in.userMap[fy::Numberz::FIVE] = 5;
  in.userMap[fy::Numberz::EIGHT] = -8;
  in.xtructs.push_back(xtruct("Goodbye4", 4, 4, 4));
  in.xtructs.push_back(xtruct("Hello2", 2, 2, 2));
  return in;
}

TEST(ApacheInteropTest, XtructWithExtremes) {
  both_ways<ap::Xtruct>(
      xtruct(kUnicode, std::numeric_limits<std::int8_t>::min(),
             std::numeric_limits<std::int32_t>::min(),
             std::numeric_limits<std::int64_t>::max()),
      [](const ap::Xtruct& a) {
        EXPECT_EQ(a.string_thing, kUnicode);
        EXPECT_EQ(a.byte_thing, -128);
        EXPECT_EQ(a.i32_thing, std::numeric_limits<std::int32_t>::min());
        EXPECT_EQ(a.i64_thing, std::numeric_limits<std::int64_t>::max());
      });
  both_ways<ap::Xtruct>(xtruct("", 127,
                               std::numeric_limits<std::int32_t>::max(),
                               std::numeric_limits<std::int64_t>::min()));
  both_ways<ap::Xtruct>(xtruct("x", 0, 0, 0));
}

TEST(ApacheInteropTest, NestedXtruct2AndXtruct3) {
  fy::Xtruct2 nest;
  nest.byte_thing = 1;
  nest.struct_thing = xtruct("Zero", 1, -3, -5);
  nest.i32_thing = 5;
  both_ways<ap::Xtruct2>(nest, [](const ap::Xtruct2& a) {
    EXPECT_EQ(a.struct_thing.string_thing, "Zero");
    EXPECT_EQ(a.struct_thing.i64_thing, -5);
    EXPECT_EQ(a.i32_thing, 5);
  });
  fy::Xtruct3 x3;
  x3.string_thing = "three";
  x3.changed = 1 << 30;
  x3.i32_thing = -1;
  x3.i64_thing = -(std::int64_t{1} << 40);
  both_ways<ap::Xtruct3>(x3);
}

TEST(ApacheInteropTest, BonkAndBools) {
  fy::Bonk bonk;
  bonk.message = kUnicode;
  bonk.type = -42;
  both_ways<ap::Bonk>(bonk);
  fy::Bools bools;
  bools.im_true = true;
  bools.im_false = false;
  both_ways<ap::Bools>(bools, [](const ap::Bools& a) {
    EXPECT_TRUE(a.im_true);
    EXPECT_FALSE(a.im_false);
  });
}

TEST(ApacheInteropTest, Insanity) {
  both_ways<ap::Insanity>(insanity(), [](const ap::Insanity& a) {
    ASSERT_EQ(a.userMap.size(), 2u);
    EXPECT_EQ(a.userMap.at(ap::Numberz::EIGHT), -8);
    ASSERT_EQ(a.xtructs.size(), 2u);
    EXPECT_EQ(a.xtructs[1].string_thing, "Hello2");
  });
}

TEST(ApacheInteropTest, CrazyNestingWithBinary) {
  fy::CrazyNesting crazy;
  crazy.string_field = "crazy";
  crazy.set_field = std::set<fy::Insanity>{insanity()};
  std::map<std::set<std::int32_t>,
           std::map<std::int32_t,
                    std::set<std::vector<std::map<fy::Insanity, std::string>>>>>
      entry;
  std::map<fy::Insanity, std::string> deepest{{insanity(), "deep"}};
  entry[{1, 2, 3}][7] = {std::vector{deepest, deepest}};
  entry[{}][-1] = {};
  crazy.list_field = {entry, {}};
  crazy.binary_field = std::string("\0\x01\xff\x80 binary", 11);
  both_ways<ap::CrazyNesting>(crazy, [](const ap::CrazyNesting& a) {
    EXPECT_EQ(a.binary_field, std::string("\0\x01\xff\x80 binary", 11));
    ASSERT_EQ(a.list_field.size(), 2u);
    EXPECT_EQ(a.set_field.size(), 1u);
  });
}

TEST(ApacheInteropTest, UnionEachMember) {
  fy::SomeUnion u;
  u.set_i32_thing(-7);
  both_ways<ap::SomeUnion>(u, [](const ap::SomeUnion& a) {
    EXPECT_TRUE(a.__isset.i32_thing);
    EXPECT_EQ(a.i32_thing, -7);
  });
  u.set_string_thing(kUnicode);
  both_ways<ap::SomeUnion>(u);
  u.set_map_thing({{fy::Numberz::ONE, 1}, {fy::Numberz::TWO, 2}});
  both_ways<ap::SomeUnion>(u);
  fy::Xtruct3 x3;
  x3.string_thing = "in a union";
  u.set_xtruct_thing(x3);
  both_ways<ap::SomeUnion>(u);
  u.set_insanity_thing(insanity());
  both_ways<ap::SomeUnion>(u, [](const ap::SomeUnion& a) {
    EXPECT_TRUE(a.__isset.insanity_thing);
    EXPECT_EQ(a.insanity_thing.xtructs.size(), 2u);
  });
  // An empty union is an empty struct on the wire.
  both_ways<ap::SomeUnion>(fy::SomeUnion{});
}

TEST(ApacheInteropTest, ExceptionsTravelAsStructs) {
  fy::Xception x;
  x.errorCode = 1001;
  x.message = "Xception";
  both_ways<ap::Xception>(x, [](const ap::Xception& a) {
    EXPECT_EQ(a.errorCode, 1001);
    EXPECT_EQ(a.message, "Xception");
  });
  fy::Xception2 x2;
  x2.errorCode = 2002;
  x2.struct_thing = xtruct("This is an Xception2", 0, 0, 0);
  both_ways<ap::Xception2>(x2);
}

TEST(ApacheInteropTest, EmptyStructsAndContainers) {
  both_ways<ap::EmptyStruct>(fy::EmptyStruct{});
  both_ways<ap::OneField>(fy::OneField{});
  both_ways<ap::NestedListsI32x2>(fy::NestedListsI32x2{});
  fy::NestedMixedx2 mixed;
  mixed.int_set_list = {{}, {1}, {}};
  mixed.map_int_strset[0] = {};
  mixed.map_int_strset[1] = {"a", "b"};
  mixed.map_int_strset_list = {{}, mixed.map_int_strset};
  both_ways<ap::NestedMixedx2>(mixed);
}

TEST(ApacheInteropTest, DeeplyNestedLists) {
  fy::NestedListsI32x3 x3;
  x3.integerlist = {{{1, 2, 3}, {}}, {}, {{-1}}};
  both_ways<ap::NestedListsI32x3>(x3);
  fy::NestedListsBonk bonks;
  fy::Bonk b;
  b.message = "bonk";
  b.type = 1;
  bonks.bonk = {{{b, b}, {}}, {{b}}};
  both_ways<ap::NestedListsBonk>(bonks);
  // 20 elements: compact switches to the long list header past 14.
  fy::ListBonks many;
  many.bonk.assign(20, b);
  both_ways<ap::ListBonks>(many);
}

TEST(ApacheInteropTest, DoubleEdgeCases) {
  const double cases[] = {0.0,
                          -0.0,
                          1.5,
                          -1e300,
                          std::numeric_limits<double>::infinity(),
                          -std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::denorm_min(),
                          -std::numeric_limits<double>::denorm_min(),
                          std::numeric_limits<double>::min() / 3,
                          std::numeric_limits<double>::max(),
                          std::numeric_limits<double>::lowest()};
  for (double d : cases) {
    SCOPED_TRACE(d);
    fy::VersioningTestV2 v;
    v.newdouble = d;
    v.newlong = std::numeric_limits<std::int64_t>::min();
    v.newshort = std::numeric_limits<std::int16_t>::min();
    v.newbyte = -1;
    both_ways<ap::VersioningTestV2>(v, [d](const ap::VersioningTestV2& a) {
      EXPECT_EQ(std::signbit(a.newdouble), std::signbit(d));
      EXPECT_EQ(a.newdouble, d);
    });
  }
  // NaN: the bytes must match; values can't be compared with ==.
  fy::VersioningTestV2 nan;
  nan.newdouble = std::numeric_limits<double>::quiet_NaN();
  both_ways<ap::VersioningTestV2>(
      nan,
      [](const ap::VersioningTestV2& a) {
        EXPECT_TRUE(std::isnan(a.newdouble));
      },
      /*compare_values=*/false);
}

TEST(ApacheInteropTest, LargeFieldIdDeltasAndBoolFields) {
  fy::LargeDeltas deltas;
  deltas.b1.im_true = true;
  deltas.b1000.im_false = true;
  deltas.check_true = true;
  deltas.check_false = false;
  deltas.vertwo2000.newstring = "2000";
  deltas.a_set2500 = {"a", "b", "c"};
  deltas.big_numbers = {std::numeric_limits<std::int32_t>::max(),
                        std::numeric_limits<std::int32_t>::min(), 0};
  both_ways<ap::LargeDeltas>(deltas, [](const ap::LargeDeltas& a) {
    EXPECT_TRUE(a.check_true);
    EXPECT_TRUE(a.b1000.im_false);
    EXPECT_EQ(a.vertwo2000.newstring, "2000");
  });
}

TEST(ApacheInteropTest, OptionalAndRequiredFields) {
  fy::StructB b;
  b.ab.s = "required";
  both_ways<ap::StructB>(b, [](const ap::StructB& a) {
    EXPECT_FALSE(a.__isset.aa);
    EXPECT_EQ(a.ab.s, "required");
  });
  b.aa = fy::StructA{};
  b.aa->s = "optional, set";
  both_ways<ap::StructB>(b, [](const ap::StructB& a) {
    EXPECT_TRUE(a.__isset.aa);
    EXPECT_EQ(a.aa.s, "optional, set");
  });
}

TEST(ApacheInteropTest, FunctionArgsAndResults) {
  fy::ThriftTest_testMapMap_result mapmap;
  mapmap.success = std::map<std::int32_t, std::map<std::int32_t, std::int32_t>>{
      {-4, {{-4, -4}, {-3, -3}, {-2, -2}, {-1, -1}}},
      {4, {{1, 1}, {2, 2}, {3, 3}, {4, 4}}}};
  both_ways<ap::ThriftTest_testMapMap_result>(
      mapmap, [](const ap::ThriftTest_testMapMap_result& a) {
        EXPECT_EQ(a.success.at(-4).at(-3), -3);
      });

  fy::ThriftTest_testInsanity_result insane;
  insane.success = std::map<std::int64_t, std::map<fy::Numberz, fy::Insanity>>{
      {1, {{fy::Numberz::TWO, insanity()}, {fy::Numberz::THREE, insanity()}}},
      {2, {{fy::Numberz::SIX, fy::Insanity{}}}}};
  both_ways<ap::ThriftTest_testInsanity_result>(insane);

  fy::ThriftTest_testMulti_args multi;
  multi.arg0 = 1;
  multi.arg1 = 2;
  multi.arg2 = 3;
  multi.arg3 = {{1, "one"}, {-2, kUnicode}};
  multi.arg4 = fy::Numberz::FIVE;
  multi.arg5 = 6;
  both_ways<ap::ThriftTest_testMulti_args>(
      multi, [](const ap::ThriftTest_testMulti_args& a) {
        EXPECT_EQ(a.arg3.at(-2), kUnicode);
        EXPECT_EQ(a.arg4, ap::Numberz::FIVE);
      });

  fy::ThriftTest_testSet_args set_args;
  set_args.thing = {-1, 0, 1, 1 << 20};
  both_ways<ap::ThriftTest_testSet_args>(set_args);
  both_ways<ap::ThriftTest_testList_args>(fy::ThriftTest_testList_args{});
  fy::ThriftTest_testStringMap_args string_map;
  string_map.thing = {{"", ""}, {kUnicode, "v"}};
  both_ways<ap::ThriftTest_testStringMap_args>(string_map);
  fy::ThriftTest_testBinary_args binary;
  binary.thing = std::string(300, '\xfe');
  both_ways<ap::ThriftTest_testBinary_args>(binary);
  fy::ThriftTest_testOneway_args oneway;
  oneway.secondsToSleep = 1;
  both_ways<ap::ThriftTest_testOneway_args>(oneway);
}

TEST(ApacheInteropTest, DeclaredExceptionsInResults) {
  fy::ThriftTest_testException_result thrown;
  thrown.err1 = fy::Xception{};
  thrown.err1->errorCode = 1001;
  thrown.err1->message = "Xception";
  both_ways<ap::ThriftTest_testException_result>(
      thrown, [](const ap::ThriftTest_testException_result& a) {
        EXPECT_TRUE(a.__isset.err1);
        EXPECT_EQ(a.err1.errorCode, 1001);
      });
  fy::ThriftTest_testMultiException_result multi;
  multi.err2 = fy::Xception2{};
  multi.err2->errorCode = 2002;
  both_ways<ap::ThriftTest_testMultiException_result>(
      multi, [](const ap::ThriftTest_testMultiException_result& a) {
        EXPECT_FALSE(a.__isset.success);
        EXPECT_FALSE(a.__isset.err1);
        EXPECT_TRUE(a.__isset.err2);
      });
  both_ways<ap::ThriftTest_testVoid_result>(fy::ThriftTest_testVoid_result{});
}

// Older readers skip fields they don't know, in both directions of skew.
TEST(ApacheInteropTest, UnknownFieldsAreSkipped) {
  ap::VersioningTestV2 newer;
  newer.begin_in_both = 1;
  newer.newint = 2;
  newer.newstruct.message = "skipped";
  newer.newlist = {1, 2};
  newer.newset = {3};
  newer.newmap = {{4, 5}};
  newer.newstring = "skipped too";
  newer.end_in_both = 12;
  const auto check = [&](auto protocol) {
    using P = decltype(protocol);
    fy::VersioningTestV1 older;
    ASSERT_THAT(ferry_decode<P>(apache_encode<P>(newer), older), IsOk());
    EXPECT_EQ(older.begin_in_both, 1);
    EXPECT_EQ(older.end_in_both, 12);
  };
  check(Binary{});
  check(Compact{});
}

TEST(ApacheInteropTest, MessageEnvelopeMatchesBytes) {
  const auto check = [](auto protocol, MessageType type,
                        apache::thrift::protocol::TMessageType apache_type) {
    using P = decltype(protocol);
    SCOPED_TRACE(P::kName);
    fy::ThriftTest_testString_args args;
    args.thing = "hello";
    WriteBuffer buf;
    typename P::template Writer<WriteBuffer> writer(buf);
    writer.write_message_begin("testString", type, 0x7fff'fff0);
    args.write(writer);
    writer.write_message_end();

    auto apache_buf = std::make_shared<TMemoryBuffer>();
    typename P::Apache proto(apache_buf);
    proto.writeMessageBegin("testString", apache_type, 0x7fff'fff0);
    ap::ThriftTest_testString_args apache_args;
    apache_args.thing = "hello";
    apache_args.write(&proto);
    proto.writeMessageEnd();
    EXPECT_EQ(hex(buf.view()), hex(apache_buf->getBufferAsString()));

    typename P::template Reader<SpanInput> reader{SpanInput(buf.view())};
    std::string name;
    MessageType read_type;
    std::int32_t seqid = 0;
    ASSERT_THAT(reader.read_message_begin(name, read_type, seqid), IsOk());
    EXPECT_EQ(name, "testString");
    EXPECT_EQ(read_type, type);
    EXPECT_EQ(seqid, 0x7fff'fff0);
  };
  using apache::thrift::protocol::T_CALL;
  using apache::thrift::protocol::T_EXCEPTION;
  using apache::thrift::protocol::T_ONEWAY;
  using apache::thrift::protocol::T_REPLY;
  for (auto [ours, theirs] : {std::pair{MessageType::kCall, T_CALL},
                              std::pair{MessageType::kReply, T_REPLY},
                              std::pair{MessageType::kException, T_EXCEPTION},
                              std::pair{MessageType::kOneway, T_ONEWAY}}) {
    check(Binary{}, ours, theirs);
    check(Compact{}, ours, theirs);
  }
}

TEST(ApacheInteropTest, ApplicationExceptionMatchesApache) {
  const auto check = [](auto protocol) {
    using P = decltype(protocol);
    SCOPED_TRACE(P::kName);
    ApplicationException ours;
    ours.type = ApplicationException::Type::kUnknownMethod;
    ours.message = "Invalid method name: 'nope'";
    const std::string bytes = ferry_encode<P>(ours);

    apache::thrift::TApplicationException theirs(
        apache::thrift::TApplicationException::UNKNOWN_METHOD,
        "Invalid method name: 'nope'");
    EXPECT_EQ(hex(bytes), hex(apache_encode<P>(theirs)));

    apache::thrift::TApplicationException decoded;
    ASSERT_TRUE(apache_decode<P>(bytes, decoded));
    EXPECT_EQ(decoded.getType(),
              apache::thrift::TApplicationException::UNKNOWN_METHOD);
    EXPECT_STREQ(decoded.what(), "Invalid method name: 'nope'");
  };
  check(Binary{});
  check(Compact{});
}

// Apache's compact protocol and ferry's must agree on where decoding fails
// too: a truncated buffer is an error on both sides, never a partial value.
TEST(ApacheInteropTest, TruncatedApacheBytesFailCleanly) {
  const std::string bytes = apache_encode<Binary>([] {
    ap::Insanity in;
    in.userMap[ap::Numberz::ONE] = 1;
    in.xtructs.resize(3);
    return in;
  }());
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    fy::Insanity value;
    EXPECT_THAT(
        ferry_decode<Binary>(std::string_view(bytes).substr(0, cut), value),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")))
        << "cut at " << cut;
  }
}

}  // namespace
}  // namespace ferry::codec
