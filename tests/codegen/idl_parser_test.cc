#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codegen/parser.h"
#include "codegen/sema.h"

namespace ferry::idlgen {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

struct Parsed {
  Program program;
  Diagnostics diags;
  bool ok = false;
  std::string text() const {
    std::string out;
    for (const Diagnostic& d : diags.all()) out += format_diagnostic(d) + "\n";
    return out;
  }
};

// Parsed lives behind a pointer: diagnostics point at its Program.
std::unique_ptr<Parsed> parse(std::string_view source) {
  auto parsed = std::make_unique<Parsed>();
  parsed->program.path = "p.thrift";
  parsed->program.name = "p";
  parsed->ok = parse_program(source, parsed->program, parsed->diags);
  return parsed;
}

std::string parse_error(std::string_view source) {
  auto parsed = parse(source);
  EXPECT_FALSE(parsed->ok);
  return parsed->text();
}

TEST(IdlParserTest, ReadsHeaders) {
  auto p = parse(R"(
/** The file. */
include "shared.thrift"
cpp_include "<map>"
namespace cpp thrift.test
namespace * star.ns
namespace py.twisted twisted.ns
namespace xsd test (uri = 'http://thrift.apache.org/test')
)");
  ASSERT_TRUE(p->ok) << p->text();
  EXPECT_EQ(p->program.doc, "The file.");
  ASSERT_EQ(p->program.includes.size(), 1u);
  EXPECT_EQ(p->program.includes[0].path_as_written, "shared.thrift");
  EXPECT_EQ(p->program.includes[0].loc.line, 3);
  EXPECT_THAT(p->program.cpp_includes, ElementsAre("<map>"));
  EXPECT_THAT(
      p->program.namespaces,
      ElementsAre(Pair("*", "star.ns"), Pair("cpp", "thrift.test"),
                  Pair("py.twisted", "twisted.ns"), Pair("xsd", "test")));
}

TEST(IdlParserTest, AssignsImplicitEnumValuesFromThePreviousOne) {
  auto p = parse(
      "enum E { A, B = 5; C (x = \"y\") D = -2, E2 } (e.note)\n"
      "enum Empty {}");
  ASSERT_TRUE(p->ok) << p->text();
  ASSERT_EQ(p->program.enums.size(), 2u);
  const Enum& e = p->program.enums[0];
  std::vector<std::pair<std::string, std::int64_t>> values;
  for (const EnumValue& v : e.values) values.emplace_back(v.name, v.value);
  EXPECT_THAT(values, ElementsAre(Pair("A", 0), Pair("B", 5), Pair("C", 6),
                                  Pair("D", -2), Pair("E2", -1)));
  EXPECT_FALSE(e.values[0].value_explicit);
  EXPECT_TRUE(e.values[1].value_explicit);
  EXPECT_EQ(*find_annotation(e.values[2].annotations, "x"), "y");
  EXPECT_EQ(*find_annotation(e.annotations, "e.note"), "");
}

TEST(IdlParserTest, ReadsStructFieldsWithEveryPart) {
  auto p = parse(R"(
struct S {
  /** Doc of a. */
  1: required i32 a = 5 (k = "v"),
  2: optional list<map<string, Other>> b;
  3: Other & c
  4: i8 i8
  5: set<binary> (cpp.template = "std::set") d = []
} (s.note = "n")
union U { 1: string x }
exception X { 1: string message }
)");
  ASSERT_TRUE(p->ok) << p->text();
  ASSERT_EQ(p->program.structs.size(), 3u);
  const Struct& s = p->program.structs[0];
  ASSERT_EQ(s.fields.size(), 5u);
  EXPECT_EQ(s.fields[0].id, 1);
  EXPECT_EQ(s.fields[0].doc, "Doc of a.");
  EXPECT_EQ(s.fields[0].requiredness, Requiredness::kRequired);
  EXPECT_EQ(s.fields[0].default_value->int_value, 5);
  EXPECT_EQ(*find_annotation(s.fields[0].annotations, "k"), "v");
  EXPECT_EQ(s.fields[1].requiredness, Requiredness::kOptional);
  EXPECT_EQ(type_name(s.fields[1].type), "list<map<string,Other>>");
  EXPECT_EQ(s.fields[2].requiredness, Requiredness::kDefault);
  EXPECT_TRUE(s.fields[2].reference);
  EXPECT_EQ(s.fields[2].type.kind, TypeRef::Kind::kNamed);
  EXPECT_EQ(s.fields[3].name, "i8");
  EXPECT_EQ(s.fields[3].type.base, BaseType::kByte);
  EXPECT_EQ(*find_annotation(s.fields[4].type.annotations, "cpp.template"),
            "std::set");
  EXPECT_EQ(s.fields[4].default_value->kind, ConstValue::Kind::kList);
  EXPECT_EQ(*find_annotation(s.annotations, "s.note"), "n");
  EXPECT_EQ(p->program.structs[1].kind, Struct::Kind::kUnion);
  EXPECT_EQ(p->program.structs[2].kind, Struct::Kind::kException);
}

TEST(IdlParserTest, AssignsImplicitFieldIdsLikeApacheWithAWarning) {
  auto p = parse(
      "struct S { string a; 7: i32 b, double c }\n"
      "service V { void f(i32 x, i32 y) }");
  ASSERT_TRUE(p->ok) << p->text();
  const Struct& s = p->program.structs[0];
  EXPECT_EQ(s.fields[0].id, -1);
  EXPECT_TRUE(s.fields[0].id_implicit);
  EXPECT_EQ(s.fields[1].id, 7);
  EXPECT_EQ(s.fields[2].id, -2);
  const Function& f = p->program.services[0].functions[0];
  EXPECT_EQ(f.args[0].id, -1);  // each list counts from -1
  EXPECT_EQ(f.args[1].id, -2);
  EXPECT_EQ(p->diags.all().size(), 4u);
  EXPECT_EQ(format_diagnostic(p->diags.all()[0]),
            "p.thrift:1:12: warning: no field id for `a`; assigned -1 "
            "(implicit ids break compatibility when fields are reordered)");
}

TEST(IdlParserTest, ReadsConstantsOfEveryShape) {
  auto p = parse(R"(
const i32 A = -0x10;
const double D = 2.5e-1,
const bool T = true
const string S = 'single'
const list<i32> L = [1, 2; 3,]
const map<string, list<i32>> M = {"a": [1], 'b': []; }
const Point P = {"x": 1, "y": Numberz.ONE}
const i64 R = shared.CONST
)");
  ASSERT_TRUE(p->ok) << p->text();
  const auto& c = p->program.consts;
  ASSERT_EQ(c.size(), 8u);
  EXPECT_EQ(c[0].value.int_value, -16);
  EXPECT_EQ(c[1].value.double_value, 0.25);
  EXPECT_EQ(c[2].value.kind, ConstValue::Kind::kInt);
  EXPECT_EQ(c[2].value.int_value, 1);
  EXPECT_EQ(c[3].value.text, "single");
  EXPECT_EQ(c[4].value.list.size(), 3u);
  ASSERT_EQ(c[5].value.entries.size(), 2u);
  EXPECT_EQ(c[5].value.entries[1].first.text, "b");
  EXPECT_EQ(c[5].value.entries[1].second.kind, ConstValue::Kind::kList);
  EXPECT_EQ(c[6].value.entries[1].second.kind, ConstValue::Kind::kIdentifier);
  EXPECT_EQ(c[6].value.entries[1].second.text, "Numberz.ONE");
  EXPECT_EQ(c[7].value.text, "shared.CONST");
  EXPECT_EQ(c[7].value.loc.line, 9);
  EXPECT_EQ(c[7].value.loc.column, 15);
}

TEST(IdlParserTest, ReadsServices) {
  auto p = parse(R"(
/** Doc of V. */
service V extends shared.Base {
  /** Doc of f. */
  oneway void f(1: i32 a, 2: optional string b),
  list<i32> g() throws (1: E e; 2: F f) (deprecated);
  void h()
} (v.note = "1")
)");
  ASSERT_TRUE(p->ok) << p->text();
  const Service& v = p->program.services[0];
  EXPECT_EQ(v.doc, "Doc of V.");
  EXPECT_EQ(v.extends, "shared.Base");
  ASSERT_EQ(v.functions.size(), 3u);
  EXPECT_TRUE(v.functions[0].oneway);
  EXPECT_EQ(v.functions[0].doc, "Doc of f.");
  EXPECT_EQ(v.functions[0].return_type.base, BaseType::kVoid);
  // Apache ignores `optional` on arguments.
  EXPECT_EQ(v.functions[0].args[1].requiredness, Requiredness::kDefault);
  EXPECT_EQ(v.functions[1].return_type.kind, TypeRef::Kind::kList);
  EXPECT_EQ(v.functions[1].throws.size(), 2u);
  EXPECT_NE(find_annotation(v.functions[1].annotations, "deprecated"), nullptr);
  EXPECT_EQ(*find_annotation(v.annotations, "v.note"), "1");
}

TEST(IdlParserTest, KeepsDefinitionsInIdlOrder) {
  auto p = parse(
      "typedef i32 T struct S {} enum E {} const i32 C = 1 "
      "service V {} struct S2 {}");
  ASSERT_TRUE(p->ok) << p->text();
  std::vector<DefinitionRef::Kind> kinds;
  for (const DefinitionRef& ref : p->program.order) kinds.push_back(ref.kind);
  using K = DefinitionRef::Kind;
  EXPECT_THAT(kinds, ElementsAre(K::kTypedef, K::kStruct, K::kEnum, K::kConst,
                                 K::kService, K::kStruct));
  EXPECT_EQ(p->program.order.back().index, 1u);
}

TEST(IdlParserTest, ReportsSyntaxErrorsWithPosition) {
  EXPECT_EQ(parse_error("struct S {\n  1: i32\n}"),
            "p.thrift:3:1: error: expected a field name, got `}`\n");
  EXPECT_EQ(parse_error("struct S { 1: i32 a "),
            "p.thrift:1:21: error: expected a type, got end of file\n");
  EXPECT_EQ(parse_error("enum E { A = B }"),
            "p.thrift:1:14: error: expected an integer enum value, got `B`\n");
  EXPECT_EQ(parse_error("struct struct {}"),
            "p.thrift:1:8: error: `struct` is a keyword and cannot name a "
            "definition\n");
  EXPECT_EQ(parse_error("foo"),
            "p.thrift:1:1: error: expected a definition, got `foo`\n");
  EXPECT_EQ(parse_error("struct S { 40000: i32 a }"),
            "p.thrift:1:12: error: field id 40000 of `a` is out of range (1 "
            "to 32767)\n");
  EXPECT_EQ(parse_error("const list<i32> L = [1, 2"),
            "p.thrift:1:26: error: expected a constant value, got end of "
            "file\n");
}

TEST(IdlParserTest, RequiresHeadersBeforeDefinitions) {
  EXPECT_EQ(parse_error("struct S {}\ninclude \"a.thrift\""),
            "p.thrift:2:1: error: `include` must come before all "
            "definitions\n");
}

TEST(IdlParserTest, NamesTheReplacementForRemovedSyntax) {
  EXPECT_EQ(parse_error("senum S { \"a\" }"),
            "p.thrift:1:1: error: `senum` is no longer supported; use `enum` "
            "or `string`\n");
  EXPECT_EQ(parse_error("struct S { 1: slist s }"),
            "p.thrift:1:15: error: `slist` is no longer supported; use "
            "`string`\n");
  EXPECT_EQ(parse_error("service V { async void f() }"),
            "p.thrift:1:13: error: `async` is no longer supported; use "
            "`oneway`\n");
  EXPECT_EQ(parse_error("struct S { 1: i32 a xsd_optional }"),
            "p.thrift:1:21: error: `xsd_optional` is no longer supported\n");
}

TEST(IdlParserTest, LimitsNestingInsteadOfOverflowingTheStack) {
  std::string deep_type = "typedef ";
  for (int i = 0; i < 200; ++i) deep_type += "list<";
  deep_type += "i32";
  for (int i = 0; i < 200; ++i) deep_type += ">";
  deep_type += " T";
  EXPECT_EQ(parse_error(deep_type),
            "p.thrift:1:509: error: nesting is deeper than 100 levels\n");

  std::string deep_value = "const list<i32> L = ";
  for (int i = 0; i < 100000; ++i) deep_value += "[";
  EXPECT_EQ(parse_error(deep_value),
            "p.thrift:1:121: error: nesting is deeper than 100 levels\n");
}

TEST(IdlParserTest, AcceptsNestingUpToTheLimit) {
  std::string type = "typedef ";
  for (int i = 0; i < kMaxNestingDepth - 1; ++i) type += "list<";
  type += "i32";
  for (int i = 0; i < kMaxNestingDepth - 1; ++i) type += ">";
  EXPECT_TRUE(parse(type + " T")->ok);
}

}  // namespace
}  // namespace ferry::idlgen
