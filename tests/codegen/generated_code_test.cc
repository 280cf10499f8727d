// Runs idlgen's output: ThriftTest.thrift, bench.thrift, Recursive.thrift
// and the golden fixtures' IDL, generated at build time through
// ferry_idl_library. Checks defaults, equality, printing, unions, enum
// names, constants, service tables, and round trips through both shipped
// protocols (contiguous and chained input), unknown-field skipping, and the
// decode errors' field paths.

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "Recursive_types.h"
#include "ThriftTest_services.h"
#include "ThriftTest_types.h"
#include "basic_types.h"
#include "bench_types.h"
#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/compact_protocol.h"
#include "codec/decode_error.h"
#include "main_services.h"
#include "main_types.h"
#include "runtime/io_buf.h"
#include "services_services.h"
#include "unions_types.h"

namespace {

using ::ferry::Status;
using ::ferry::codec::ChainInput;
using ::ferry::codec::DecodeLimits;
using ::ferry::codec::SpanInput;
using ::ferry::codec::WriteBuffer;

template <class T>
std::string text(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// The two shipped protocols, as type pairs for typed tests.
struct Binary {
  using Writer = ::ferry::codec::BinaryWriter<WriteBuffer>;
  template <class In>
  using Reader = ::ferry::codec::BinaryReader<In>;
};
struct Compact {
  using Writer = ::ferry::codec::CompactWriter<WriteBuffer>;
  template <class In>
  using Reader = ::ferry::codec::CompactReader<In>;
};

template <class P, class T>
std::string encode(const T& value) {
  WriteBuffer buf;
  typename P::Writer w(buf);
  value.write(w);
  return std::string(buf.view());
}

template <class P, class T>
Status decode(std::string_view bytes, T& out, const DecodeLimits& limits = {}) {
  typename P::template Reader<SpanInput> r(SpanInput(bytes), limits);
  return out.read(r);
}

// Decodes through a ChainInput whose IoBuf is split into 3-byte slices, so
// values straddle slice boundaries.
template <class P, class T>
Status decode_chained(std::string_view bytes, T& out) {
  ::ferry::IoBuf chain;
  for (std::size_t i = 0; i < bytes.size(); i += 3)
    chain.append(::ferry::IoBuf::copy_from(bytes.substr(i, 3)));
  typename P::template Reader<ChainInput> r{ChainInput(chain)};
  return out.read(r);
}

template <class P, class T>
void expect_round_trip(const T& value) {
  const std::string bytes = encode<P>(value);
  T a;
  Status s = decode<P>(bytes, a);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(a, value) << text(a) << "\nvs\n" << text(value);
  T b;
  s = decode_chained<P>(bytes, b);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(b, value);
}

thrift::test::Xtruct xtruct(std::string s, std::int8_t b, std::int32_t i,
                            std::int64_t l) {
  return {.string_thing = std::move(s),
          .byte_thing = b,
          .i32_thing = i,
          .i64_thing = l};
}

// --- Types, without a protocol -------------------------------------------

TEST(GeneratedTypesTest, DefaultsApplied) {
  fixtures::basic::Item item;
  EXPECT_EQ(item.count, 16);
  EXPECT_EQ(item.color, fixtures::basic::Color::GREEN);
  EXPECT_FALSE(item.weight.has_value());
  fixtures::basic::Outer outer;
  ASSERT_TRUE(outer.names.has_value());
  EXPECT_EQ(*outer.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(outer.which_);  // `which` follows the reserved-name rule
  EXPECT_EQ(outer.class_, 0);
  thrift::test::BoolTest bt;
  EXPECT_EQ(bt.b, true);
  EXPECT_EQ(bt.s, "true");
  thrift::test::Xtruct x;
  EXPECT_EQ(x.i64_thing, 0);
  EXPECT_EQ(x.byte_thing, 0);
  static_assert(std::is_same_v<decltype(outer.label), std::string_view>);
  static_assert(std::is_same_v<decltype(outer.small),
                               std::unordered_map<std::int16_t, std::int8_t>>);
  static_assert(thrift::test::Xception::kIsException);
}

TEST(GeneratedTypesTest, EqualityAndOrdering) {
  EXPECT_EQ(xtruct("a", 1, 2, 3), xtruct("a", 1, 2, 3));
  EXPECT_NE(xtruct("a", 1, 2, 3), xtruct("a", 1, 2, 4));
  EXPECT_LT(xtruct("a", 1, 2, 3), xtruct("b", 0, 0, 0));
  // Structs are usable as set elements and map keys (set<Insanity>).
  std::set<thrift::test::Insanity> set;
  thrift::test::Insanity a;
  a.xtructs.push_back(xtruct("x", 1, 1, 1));
  set.insert(a);
  set.insert(thrift::test::Insanity{});
  set.insert(a);
  EXPECT_EQ(set.size(), 2u);
  RecList l1, l2;
  l1.nextitem.emplace().item = 4;
  l2.nextitem.emplace().item = 4;
  EXPECT_EQ(l1, l2);
  l2.nextitem->item = 5;
  EXPECT_NE(l1, l2);
  RecList copy = l1;  // deep copy
  copy.nextitem->item = 9;
  EXPECT_EQ(l1.nextitem->item, 4);
}

TEST(GeneratedTypesTest, Printing) {
  EXPECT_EQ(text(xtruct("x", 1, 2, 3)),
            "Xtruct{string_thing: \"x\", byte_thing: 1, i32_thing: 2, "
            "i64_thing: 3}");
  thrift::test::Insanity ins;
  ins.userMap[thrift::test::Numberz::FIVE] = 5;
  ins.xtructs.push_back(xtruct("q\"\n", -1, 0, 0));
  EXPECT_EQ(text(ins),
            "Insanity{userMap: {FIVE: 5}, xtructs: [Xtruct{string_thing: "
            "\"q\\\"\\n\", byte_thing: -1, i32_thing: 0, i64_thing: 0}]}");
  fixtures::basic::Item item;
  item.name = "n";
  item.weight = 0.5;
  EXPECT_THAT(text(item),
              ::testing::StartsWith("Item{name: \"n\", count: 16, weight: 0.5, "
                                    "color: GREEN, blob: \"\", tag: "
                                    "00000000-0000-0000-0000-000000000000"));
  RecList list;
  EXPECT_EQ(text(list), "RecList{item: 0}");  // empty box omitted
  thrift::test::SomeUnion u;
  EXPECT_EQ(text(u), "SomeUnion{}");
  u.set_i32_thing(7);
  EXPECT_EQ(text(u), "SomeUnion{i32_thing: 7}");
  EXPECT_EQ(text(static_cast<thrift::test::Numberz>(42)), "42");
}

TEST(GeneratedTypesTest, Unions) {
  fixtures::unions::Value v;
  EXPECT_TRUE(v.is_empty());
  EXPECT_EQ(v.which(), fixtures::unions::Value::Which::kEmpty);
  v.set_other_small(3);  // two members of one type stay distinct
  EXPECT_TRUE(v.is_other_small());
  EXPECT_FALSE(v.is_small());
  EXPECT_EQ(v.which(), fixtures::unions::Value::Which::kOtherSmall);
  EXPECT_EQ(v.other_small(), 3);
  v.set_small(4);
  EXPECT_TRUE(v.is_small());
  EXPECT_EQ(v.small(), 4);
  fixtures::unions::Value list;
  list.set_items({v, v});
  EXPECT_EQ(list.items().size(), 2u);
  fixtures::unions::Tree tree;
  tree.set_leaf(fixtures::unions::Leaf{.label = "x"});
  EXPECT_EQ(tree.leaf().label, "x");
  fixtures::unions::Tree copy = tree;
  EXPECT_EQ(copy, tree);
}

TEST(GeneratedTypesTest, EnumNames) {
  using thrift::test::Numberz;
  EXPECT_EQ(enum_name(Numberz::EIGHT), "EIGHT");
  EXPECT_EQ(enum_name(static_cast<Numberz>(4)), "");
  Numberz n{};
  EXPECT_TRUE(enum_from_name("SIX", n));
  EXPECT_EQ(n, Numberz::SIX);
  EXPECT_FALSE(enum_from_name("SEVEN", n));
  EXPECT_EQ(n, Numberz::SIX);
  // Aliases: the first name wins for printing; both parse.
  using fixtures::basic::Color;
  EXPECT_EQ(enum_name(Color::CRIMSON), "RED");
  Color c{};
  EXPECT_TRUE(enum_from_name("CRIMSON", c));
  EXPECT_EQ(c, Color::RED);
}

TEST(GeneratedTypesTest, Consts) {
  static_assert(thrift::test::myNumberz == thrift::test::Numberz::ONE);
  static_assert(fixtures::basic::kMaxItems == 16);
  static_assert(fixtures::basic::kRatio == 2.0);
  static_assert(fixtures::basic::kGreeting == "hi \"there\"\n");
  EXPECT_EQ(fixtures::basic::kPrimes, (std::vector<std::int32_t>{2, 3, 5, 7}));
  EXPECT_EQ(fixtures::basic::kByName.at("blue"), fixtures::basic::Color::BLUE);
  EXPECT_EQ(fixtures::basic::kDefaultItem.name, "default");
  EXPECT_EQ(fixtures::basic::kDefaultItem.count, 3);
  static_assert(fixtures::main::kLevel == fixtures::shared::Level::HIGH);
  fixtures::main::Wrapper w;
  EXPECT_EQ(w.level, fixtures::shared::Level::LOW);
}

TEST(GeneratedTypesTest, ServiceTables) {
  using T = thrift::test::ThriftTestService;
  static_assert(T::kName == "ThriftTest");
  static_assert(std::is_void_v<T::Extends>);
  static_assert(std::tuple_size_v<T::Methods> == 23);
  static_assert(T::method_index("testVoid") == 0);
  static_assert(T::method_index("testOneway") == 22);
  static_assert(T::method_index("testNope") == -1);
  static_assert(T::testOneway::kOneway);
  static_assert(std::is_void_v<T::testOneway::Result>);
  static_assert(std::is_same_v<T::testString::Return, std::string>);
  static_assert(std::is_same_v<T::testString::Args,
                               thrift::test::ThriftTest_testString_args>);
  using Calc = fixtures::svc::CalcService;
  static_assert(std::is_same_v<Calc::Extends, fixtures::svc::BaseService>);
  static_assert(Calc::method_index("delete") == 4);
  static_assert(Calc::delete_::kName == "delete");
  using Derived = fixtures::main::DerivedService;
  static_assert(
      std::is_same_v<Derived::Extends, fixtures::shared::SharedServiceService>);
}

// --- Round trips through both protocols ------------------------------------

template <class P>
class GeneratedCodecTest : public ::testing::Test {};
using Protocols = ::testing::Types<Binary, Compact>;
TYPED_TEST_SUITE(GeneratedCodecTest, Protocols);

TYPED_TEST(GeneratedCodecTest, ThriftTestStructs) {
  using namespace thrift::test;
  expect_round_trip<TypeParam>(xtruct("hello", -128, -1, 1));
  Xtruct2 x2{.byte_thing = 127,
             .struct_thing = xtruct("in", 1, 2, 3),
             .i32_thing = 99};
  expect_round_trip<TypeParam>(x2);
  expect_round_trip<TypeParam>(Xtruct3{
      .string_thing = "s", .changed = 4, .i32_thing = 5, .i64_thing = 6});
  Insanity ins;
  ins.userMap = {{Numberz::ONE, 1}, {Numberz::EIGHT, -8}};
  ins.xtructs = {xtruct("a", 1, 1, 1), xtruct("b", 2, 2, 2)};
  expect_round_trip<TypeParam>(ins);
  expect_round_trip<TypeParam>(EmptyStruct{});
  expect_round_trip<TypeParam>(OneField{});
}

TYPED_TEST(GeneratedCodecTest, ContainersAndNesting) {
  using namespace thrift::test;
  ThriftTest_testMapMap_result mm;
  mm.success.emplace();
  (*mm.success)[-4] = {{-4, -4}, {-1, -1}};
  (*mm.success)[4] = {{1, 1}, {4, 4}};
  expect_round_trip<TypeParam>(mm);
  ThriftTest_testSet_args set_args;
  set_args.thing = {-3, 0, 7};
  expect_round_trip<TypeParam>(set_args);
  NestedMixedx2 nm;
  nm.int_set_list = {{1, 2}, {}, {3}};
  nm.map_int_strset = {{1, {"a", "b"}}, {2, {}}};
  nm.map_int_strset_list = {{{5, {"x"}}}, {}};
  expect_round_trip<TypeParam>(nm);
  CrazyNesting crazy;
  crazy.string_field = "crazy";
  crazy.binary_field = std::string("\0\1\2", 3);
  crazy.uuid_field.bytes[0] = 0xab;
  crazy.uuid_field.bytes[15] = 0x01;
  Insanity ins;
  ins.xtructs.push_back(xtruct("deep", 1, 2, 3));
  crazy.set_field = std::set<Insanity>{ins};
  crazy.list_field.push_back({{{1, 2}, {{7, {{{{ins, "v"}}}}}}}});
  expect_round_trip<TypeParam>(crazy);
  LargeDeltas ld;
  ld.check_true = true;
  ld.big_numbers = {std::numeric_limits<std::int32_t>::min(), 0,
                    std::numeric_limits<std::int32_t>::max()};
  ld.a_set2500 = {"x", "y"};
  expect_round_trip<TypeParam>(ld);
}

TYPED_TEST(GeneratedCodecTest, BinaryUnicodeAndExtremes) {
  using namespace thrift::test;
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  ThriftTest_testBinary_args bin;
  bin.thing = all_bytes;
  expect_round_trip<TypeParam>(bin);
  expect_round_trip<TypeParam>(
      xtruct("Ünïcödé ✓ 日本語 🎉", std::numeric_limits<std::int8_t>::min(),
             std::numeric_limits<std::int32_t>::min(),
             std::numeric_limits<std::int64_t>::min()));
  expect_round_trip<TypeParam>(
      xtruct("", std::numeric_limits<std::int8_t>::max(),
             std::numeric_limits<std::int32_t>::max(),
             std::numeric_limits<std::int64_t>::max()));
  VersioningTestV2 v2;
  v2.newdouble = -1.5e300;
  v2.newshort = std::numeric_limits<std::int16_t>::min();
  v2.newlong = std::numeric_limits<std::int64_t>::max();
  v2.newbyte = -1;
  v2.newstruct.message = "m";
  v2.newmap = {{1, 2}};
  expect_round_trip<TypeParam>(v2);
  Bools b{.im_true = true, .im_false = false};
  expect_round_trip<TypeParam>(b);
  ThriftTest_testDouble_args d;
  d.thing = std::numeric_limits<double>::denorm_min();
  expect_round_trip<TypeParam>(d);
}

TYPED_TEST(GeneratedCodecTest, UnionsAndRecursion) {
  thrift::test::SomeUnion u;
  expect_round_trip<TypeParam>(u);  // empty
  u.set_xtruct_thing({.string_thing = "s", .changed = 1});
  expect_round_trip<TypeParam>(u);
  fixtures::unions::Value v;
  v.set_other_small(5);
  fixtures::unions::Value list;
  list.set_items({v, fixtures::unions::Value{}});
  expect_round_trip<TypeParam>(list);
  RecList head;
  head.item = 1;
  head.nextitem.emplace().item = 2;
  head.nextitem->nextitem.emplace().item = 3;
  expect_round_trip<TypeParam>(head);
  RecTree tree;
  tree.item = 1;
  tree.children.resize(2);
  tree.children[1].children.resize(1);
  expect_round_trip<TypeParam>(tree);
  CoRec co;
  co.other.emplace().other.other.emplace();
  expect_round_trip<TypeParam>(co);
  CoUnion cu;
  cu.set_other(CoUnion2{});
  expect_round_trip<TypeParam>(cu);
  fixtures::basic::Outer outer;
  outer.items.push_back({.name = "i"});
  outer.small = {{1, 2}, {-3, 4}};
  outer.ids = {5, 6};
  expect_round_trip<TypeParam>(outer);
}

TYPED_TEST(GeneratedCodecTest, ResultWritesOneMember) {
  using thrift::test::ThriftTest_testMultiException_result;
  ThriftTest_testMultiException_result r;
  r.err2.emplace().errorCode = 2;
  expect_round_trip<TypeParam>(r);
  r.success.emplace() = xtruct("ok", 0, 0, 0);  // success wins on the wire
  const std::string bytes = encode<TypeParam>(r);
  ThriftTest_testMultiException_result back;
  ASSERT_TRUE(decode<TypeParam>(bytes, back).ok());
  EXPECT_TRUE(back.success.has_value());
  EXPECT_FALSE(back.err2.has_value());
}

TYPED_TEST(GeneratedCodecTest, UnknownFieldsSkipped) {
  using namespace thrift::test;
  VersioningTestV2 v2;
  v2.begin_in_both = 11;
  v2.newint = 1;
  v2.newstruct.message = "skip me";
  v2.newlist = {1, 2, 3};
  v2.newset = {4};
  v2.newmap = {{5, 6}};
  v2.newstring = "also skipped";
  v2.end_in_both = 22;
  VersioningTestV1 v1;
  Status s = decode<TypeParam>(encode<TypeParam>(v2), v1);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(v1.begin_in_both, 11);
  EXPECT_EQ(v1.end_in_both, 22);
  EXPECT_EQ(v1.old_string, "");
  // A field whose wire type changed is skipped too.
  ListTypeVersioningV2 lt2{.strings = {"a"}, .hello = "h"};
  ListTypeVersioningV1 lt1;
  ASSERT_TRUE(decode<TypeParam>(encode<TypeParam>(lt2), lt1).ok());
  EXPECT_EQ(lt1.hello, "h");
  EXPECT_TRUE(lt1.myints.empty());
}

TYPED_TEST(GeneratedCodecTest, MissingRequiredField) {
  using namespace thrift::test;
  // StructB.ab (required) absent: encode an empty struct as StructB.
  StructB b;
  Status s = decode<TypeParam>(encode<TypeParam>(EmptyStruct{}), b);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(::ferry::message_of(s), "StructB.ab: required field missing");
  // Nested: StructB.ab present but its required `s` missing.
  fixtures::basic::Outer outer;
  outer.items.resize(1);
  std::string bytes = encode<TypeParam>(outer);
  fixtures::basic::Outer back;
  EXPECT_TRUE(decode<TypeParam>(bytes, back).ok());  // "" was written
}

TYPED_TEST(GeneratedCodecTest, ErrorPathOfNestedBadInput) {
  fixtures::basic::Outer outer;
  outer.items.resize(3);
  outer.items[1].name = std::string(100, 'x');
  const std::string bytes = encode<TypeParam>(outer);
  fixtures::basic::Outer back;
  Status s =
      decode<TypeParam>(bytes, back, DecodeLimits{.max_string_length = 10});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(::ferry::message_of(s),
            "Outer.items[1].name: string length 100 exceeds limit 10");
  EXPECT_EQ(::ferry::codec::error_path(s), "Outer.items[1].name");
  // Map values and keys name their entry.
  fixtures::basic::Outer grouped;
  grouped.groups["g"].resize(1);
  grouped.groups["g"][0].name = std::string(50, 'y');
  Status s2 = decode<TypeParam>(encode<TypeParam>(grouped), back,
                                DecodeLimits{.max_string_length = 10});
  ASSERT_FALSE(s2.ok());
  EXPECT_THAT(std::string(::ferry::message_of(s2)),
              ::testing::StartsWith("Outer.groups"));
  EXPECT_THAT(
      std::string(::ferry::message_of(s2)),
      ::testing::HasSubstr("[0].name: string length 50 exceeds limit 10"));
  // Truncated input fails without crashing, at every cut.
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    fixtures::basic::Outer partial;
    EXPECT_FALSE(decode<TypeParam>(bytes.substr(0, cut), partial).ok()) << cut;
  }
}

TYPED_TEST(GeneratedCodecTest, UnionWithTwoMembersFails) {
  // Encode Xtruct2 {1: byte, 3: i32}: read as a union with i8/i32 members
  // would need matching ids; build a union-shaped input by hand instead.
  fixtures::unions::Value a;
  a.set_small(1);
  std::string first = encode<TypeParam>(a);
  // Two single-member encodings share the struct envelope: splice the
  // field of `b` in before `a`'s stop byte.
  fixtures::unions::Value b;
  b.set_text("t");
  std::string second = encode<TypeParam>(b);
  if constexpr (std::is_same_v<TypeParam, Binary>) {
    std::string both = first.substr(0, first.size() - 1) + second;
    fixtures::unions::Value back;
    Status s = decode<TypeParam>(both, back);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(::ferry::message_of(s),
              "Value.text: more than one union member set");
  }
}

// Keys may arrive in any order and may repeat (Apache's writers never
// repeat one, but the wire allows it): the ordered map still ends up
// sorted, and as in Apache's generated code the last value read wins, for
// both the ordered (end-hint) and the unordered insertion path.
TYPED_TEST(GeneratedCodecTest, MapKeysInAnyOrderAndRepeated) {
  using TType = ::ferry::codec::TType;
  WriteBuffer buf;
  typename TypeParam::Writer w(buf);
  w.write_struct_begin("Medium");
  w.write_field_begin("attrs", TType::kMap, 7);
  w.write_map_begin(TType::kString, TType::kString, 5);
  for (const auto& [k, v] :
       {std::pair{"b", "1"}, {"a", "2"}, {"b", "3"}, {"c", "4"}, {"a", "5"}}) {
    w.write_string(k);
    w.write_string(v);
  }
  w.write_field_stop();
  w.write_struct_end();
  ferry::bench::Medium m;
  ASSERT_TRUE(decode<TypeParam>(buf.view(), m).ok());
  EXPECT_EQ(m.attrs, (std::map<std::string, std::string>{
                         {"a", "5"}, {"b", "3"}, {"c", "4"}}));

  WriteBuffer buf2;
  typename TypeParam::Writer w2(buf2);
  w2.write_struct_begin("Outer");
  w2.write_field_begin("small", TType::kMap, 8);
  w2.write_map_begin(TType::kI16, TType::kByte, 3);
  for (const auto& [k, v] : {std::pair{7, 1}, {3, 2}, {7, 3}}) {
    w2.write_i16(static_cast<std::int16_t>(k));
    w2.write_byte(static_cast<std::int8_t>(v));
  }
  w2.write_field_stop();
  w2.write_struct_end();
  fixtures::basic::Outer outer;
  ASSERT_TRUE(decode<TypeParam>(buf2.view(), outer).ok());
  EXPECT_EQ(outer.small,
            (std::unordered_map<std::int16_t, std::int8_t>{{7, 3}, {3, 2}}));
}

TYPED_TEST(GeneratedCodecTest, BenchStructs) {
  ferry::bench::Medium m;
  m.id = 1;
  m.score = 0.25;
  m.flag = true;
  m.name = std::string(64, 'n');
  for (int i = 0; i < 32; ++i) m.values.push_back(i * 1000003LL);
  m.attrs["k"] = "v";
  m.inner.c = "inner";
  m.items.resize(4);
  expect_round_trip<TypeParam>(m);
}

}  // namespace
