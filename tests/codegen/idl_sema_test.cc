#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codegen/sema.h"
#include "tests/codegen/idl_test_util.h"

namespace ferry::idlgen {
namespace {

using testing::analyze_source;
using testing::IdlRun;
using testing::load_and_analyze;

// The single error `source` (as main.thrift) produces.
std::string sema_error(std::string source) {
  IdlRun run = analyze_source(std::move(source));
  EXPECT_FALSE(run.ok);
  return run.errors();
}

TEST(IdlSemaTest, ResolvesNamedTypesToTheirDefinitions) {
  IdlRun run = analyze_source(R"(
typedef i32 Id
typedef Id Key
enum Color { RED }
struct Inner {}
struct S { 1: Key k; 2: Color c; 3: list<Inner> i }
)");
  ASSERT_TRUE(run.ok) << run.text();
  const Program& p = run.root();
  const Struct& s = p.structs[1];
  EXPECT_EQ(s.fields[0].type.resolved_typedef, &p.typedefs[1]);
  EXPECT_EQ(p.typedefs[1].type.resolved_typedef, &p.typedefs[0]);
  EXPECT_EQ(s.fields[1].type.resolved_enum, &p.enums[0]);
  EXPECT_EQ(s.fields[2].type.params[0].resolved_struct, &p.structs[0]);
  const TypeRef* wire = underlying_type(s.fields[0].type);
  ASSERT_NE(wire, nullptr);
  EXPECT_EQ(wire->base, BaseType::kI32);
}

TEST(IdlSemaTest, ResolvesAcrossIncludesWithTheFilePrefix) {
  IdlRun run = load_and_analyze({
      {"main.thrift", R"(
include "shared.thrift"
const shared.Numberz N = shared.Numberz.TWO
const i32 C = shared.LIMIT
service V extends shared.Base {
  void f(1: shared.Thing t) throws (1: shared.Oops o)
}
)"},
      {"shared.thrift", R"(
enum Numberz { ONE = 1, TWO }
const i32 LIMIT = 7
struct Thing {}
exception Oops {}
service Base {}
)"},
  });
  ASSERT_TRUE(run.ok) << run.text();
  const Program& main = run.root();
  const Program& shared = *main.includes[0].program;
  EXPECT_EQ(main.consts[0].value.resolved_enum, &shared.enums[0]);
  EXPECT_EQ(main.consts[0].value.resolved_enum_value, 2);
  EXPECT_EQ(main.consts[1].value.resolved_const, &shared.consts[0]);
  EXPECT_EQ(main.services[0].resolved_extends, &shared.services[0]);
  const Function& f = main.services[0].functions[0];
  EXPECT_EQ(f.args[0].type.resolved_struct, &shared.structs[0]);
  EXPECT_EQ(f.throws[0].type.resolved_struct, &shared.structs[1]);
}

TEST(IdlSemaTest, ResolvesEnumMembersInConstantsAndDefaults) {
  IdlRun run = analyze_source(R"(
enum E { A = 3, B }
const E X = E.B
const i32 Y = E.A
const E Z = B
const map<E, list<E>> M = {E.A: [E.B, 3]}
struct S { 1: E e = E.A }
)");
  ASSERT_TRUE(run.ok) << run.text();
  const Program& p = run.root();
  EXPECT_EQ(p.consts[0].value.resolved_enum_value, 4);
  EXPECT_EQ(p.consts[1].value.resolved_enum_value, 3);
  EXPECT_EQ(p.consts[2].value.resolved_enum_value, 4);
  EXPECT_EQ(p.consts[3].value.entries[0].first.resolved_enum, &p.enums[0]);
  EXPECT_EQ(p.structs[0].fields[0].default_value->resolved_enum_value, 3);
}

TEST(IdlSemaTest, AcceptsEmptyBracesForEmptyContainersLikeApache) {
  IdlRun run = analyze_source(
      "struct S { 1: set<binary> s = {}; 2: map<binary,i32> m = [] }");
  ASSERT_TRUE(run.ok) << run.text();
  const Struct& s = run.root().structs[0];
  EXPECT_EQ(s.fields[0].default_value->kind, ConstValue::Kind::kList);
  EXPECT_EQ(s.fields[1].default_value->kind, ConstValue::Kind::kMap);
}

TEST(IdlSemaTest, ReportsUnresolvedTypes) {
  EXPECT_EQ(sema_error("struct S {\n  1: list<Missing> m\n}"),
            "main.thrift:2:11: error: unresolved type `Missing`\n");
  EXPECT_EQ(sema_error("service V {}\nstruct S { 1: V v }"),
            "main.thrift:2:15: error: `V` is a service, not a type\n");
  EXPECT_EQ(sema_error("struct S { 1: nope.T t }"),
            "main.thrift:1:15: error: unresolved type `nope.T`\n");
}

TEST(IdlSemaTest, ReportsDuplicateDefinitions) {
  EXPECT_EQ(sema_error("struct A {}\nenum A {}"),
            "main.thrift:2:1: error: `A` is already defined at "
            "main.thrift:1:1\n");
}

TEST(IdlSemaTest, ReportsDuplicateFieldIdsAndNames) {
  EXPECT_EQ(sema_error("struct S {\n 1: i32 a\n 1: i32 b\n}"),
            "main.thrift:3:2: error: duplicate field id 1 in `S`: `a` and "
            "`b`\n");
  EXPECT_EQ(sema_error("struct S { 1: i32 a, 2: i32 a }"),
            "main.thrift:1:22: error: duplicate field name `a` in `S`\n");
  EXPECT_EQ(sema_error("service V { void f(1: i32 a, 1: i32 b) }"),
            "main.thrift:1:30: error: duplicate field id 1 in the arguments "
            "of `f`: `a` and `b`\n");
  EXPECT_EQ(sema_error("exception E {}\n"
                       "service V { void f() throws (1: E a, 2: E a) }"),
            "main.thrift:2:38: error: duplicate field name `a` in the throws "
            "of `f`\n");
  EXPECT_EQ(sema_error("service V { void f()\n void f() }"),
            "main.thrift:2:2: error: duplicate function `f` in service `V`\n");
}

TEST(IdlSemaTest, ReportsOnewayMisuse) {
  EXPECT_EQ(sema_error("service V { oneway i32 f() }"),
            "main.thrift:1:13: error: oneway function `f` must return void\n");
  EXPECT_EQ(sema_error("exception E {}\n"
                       "service V { oneway void f() throws (1: E e) }"),
            "main.thrift:2:13: error: oneway function `f` cannot declare "
            "`throws`\n");
}

TEST(IdlSemaTest, ReportsViewsAClientReplyWouldHold) {
  EXPECT_EQ(sema_error("service V { string (ferry.view) f() }"),
            "main.thrift:1:13: error: the return type of `f` is a "
            "`ferry.view` string; a client's reply is released once "
            "decoded, so the view would dangle (views are for arguments)\n");
  // Through a typedef, a container and a nested struct.
  EXPECT_EQ(sema_error("typedef string (ferry.view) Name\n"
                       "struct In { 1: list<Name> names }\n"
                       "struct Out { 1: In in }\n"
                       "service V { Out f() }"),
            "main.thrift:4:13: error: the return type of `f` holds a "
            "`ferry.view` string (`In.names`); a client's reply is released "
            "once decoded, so the view would dangle (views are for "
            "arguments)\n");
  EXPECT_EQ(sema_error("exception E { 1: string why (ferry.view) }\n"
                       "service V { void f() throws (1: E e) }"),
            "main.thrift:2:33: error: exception `e` of `f` holds a "
            "`ferry.view` string (`E.why`); a client's reply is released "
            "once decoded, so the view would dangle (views are for "
            "arguments)\n");
}

TEST(IdlSemaTest, ReportsViewElementsOfAReturnedContainer) {
  EXPECT_EQ(sema_error("service V { map<i32, string (ferry.view)> f() }"),
            "main.thrift:1:13: error: the return type of `f` holds "
            "`ferry.view` strings (its elements); a client's reply is "
            "released once decoded, so the view would dangle (views are for "
            "arguments)\n");
}

TEST(IdlSemaTest, AcceptsViewsInArgumentsAndRecursiveReplies) {
  IdlRun run = analyze_source(
      "struct Node { 1: string name, 2: list<Node> kids }\n"
      "service V { Node f(1: string q (ferry.view), 2: Node n) }");
  EXPECT_TRUE(run.ok) << run.errors();
}

TEST(IdlSemaTest, ReportsThrowsOfNonExceptions) {
  EXPECT_EQ(sema_error("struct S {}\nservice V { void f() throws (1: S s) }"),
            "main.thrift:2:33: error: `throws` of `f` names `S`, which is not "
            "an exception\n");
}

TEST(IdlSemaTest, ReportsExtendsOfNonServices) {
  EXPECT_EQ(sema_error("struct S {}\nservice V extends S {}"),
            "main.thrift:2:1: error: service `V` extends `S`, which is not a "
            "service\n");
  EXPECT_EQ(sema_error("service V extends W {}"),
            "main.thrift:1:1: error: unresolved service `W` in `extends`\n");
  EXPECT_EQ(sema_error("service V extends W {}\nservice W extends V {}"),
            "main.thrift:1:1: error: service `V` extends itself\n"
            "main.thrift:2:1: error: service `W` extends itself\n");
}

TEST(IdlSemaTest, ReportsTypedefAndConstCycles) {
  EXPECT_EQ(sema_error("typedef list<T> T"),
            "main.thrift:1:1: error: typedef `T` refers to itself\n");
  EXPECT_EQ(sema_error("const i32 A = B\nconst i32 B = A"),
            "main.thrift:1:1: error: const `A` refers to itself\n"
            "main.thrift:2:1: error: const `B` refers to itself\n");
}

TEST(IdlSemaTest, ReportsIntegersOutOfRangeForTheirType) {
  EXPECT_EQ(sema_error("const byte B = 128"),
            "main.thrift:1:16: error: const `B`: 128 is out of range for i8\n");
  EXPECT_EQ(sema_error("const i16 S = -32769"),
            "main.thrift:1:15: error: const `S`: -32769 is out of range for "
            "i16\n");
  EXPECT_EQ(sema_error("const i32 I = 2147483648"),
            "main.thrift:1:15: error: const `I`: 2147483648 is out of range "
            "for i32\n");
  EXPECT_EQ(sema_error("struct S { 1: byte b = 300 }"),
            "main.thrift:1:24: error: default of `b`: 300 is out of range for "
            "i8\n");
  EXPECT_EQ(sema_error("const i64 BIG = 9223372036854775808"),
            "main.thrift:1:17: error: integer `9223372036854775808` does not "
            "fit in i64\n");
}

TEST(IdlSemaTest, ReportsValuesOfTheWrongKind) {
  EXPECT_EQ(sema_error("const string S = 1"),
            "main.thrift:1:18: error: const `S` has type `string` but its "
            "value is an integer\n");
  EXPECT_EQ(sema_error("const i32 I = \"one\""),
            "main.thrift:1:15: error: const `I` has type `i32` but its value "
            "is a string\n");
  EXPECT_EQ(sema_error("const list<i32> L = [1, \"two\"]"),
            "main.thrift:1:25: error: const `L` has type `i32` but its value "
            "is a string\n");
  EXPECT_EQ(sema_error("const map<string, i32> M = {1: 2}"),
            "main.thrift:1:29: error: const `M` has type `string` but its "
            "value is an integer\n");
  EXPECT_EQ(sema_error("const map<string, i32> M = {\"a\": 2.5}"),
            "main.thrift:1:34: error: const `M` has type `i32` but its value "
            "is a double\n");
  EXPECT_EQ(sema_error("const list<i32> L = {\"a\": 1}"),
            "main.thrift:1:21: error: const `L` has type `list<i32>` but its "
            "value is a map\n");
}

TEST(IdlSemaTest, ReportsStructConstantsNamingMissingFields) {
  EXPECT_EQ(
      sema_error("struct P { 1: i32 x }\nconst P C = {\"x\": 1, \"z\": 2}"),
      "main.thrift:2:22: error: const `C`: `P` has no field `z`\n");
  EXPECT_EQ(sema_error("struct P { 1: i32 x }\nconst P C = {\"x\": \"s\"}"),
            "main.thrift:2:19: error: const `C` has type `i32` but its value "
            "is a string\n");
}

TEST(IdlSemaTest, ReportsEnumConstantsNamingNonMembers) {
  EXPECT_EQ(sema_error("enum E { A }\nconst E X = E.B"),
            "main.thrift:2:13: error: const `X`: `E.B` is not a member of enum "
            "`E`\n");
  EXPECT_EQ(sema_error("enum E { A }\nconst E X = 7"),
            "main.thrift:2:13: error: const `X`: 7 is not a value of enum "
            "`E`\n");
  EXPECT_EQ(sema_error("const i32 X = NOPE"),
            "main.thrift:1:15: error: const `X`: unresolved constant `NOPE`\n");
  EXPECT_EQ(sema_error("const string S = \"a\"\nconst i32 X = S"),
            "main.thrift:2:15: error: const `X` has type `i32` but `S` has "
            "type `string`\n");
}

TEST(IdlSemaTest, ReportsEnumValuesOutsideI32) {
  EXPECT_EQ(sema_error("enum E {\n  A = 2147483648\n}"),
            "main.thrift:2:3: error: enum value `A` = 2147483648 is outside "
            "i32\n");
  EXPECT_EQ(sema_error("enum E { A = 2147483647, B }"),
            "main.thrift:1:26: error: enum value `B` = 2147483648 is outside "
            "i32\n");
}

TEST(IdlSemaTest, WarnsAboutCppKeywordNames) {
  IdlRun run = analyze_source("struct class {\n  1: i32 delete\n}");
  ASSERT_TRUE(run.ok) << run.text();
  EXPECT_EQ(run.text(),
            "main.thrift:1:1: warning: `class` is a C++ keyword; it is "
            "generated as `class_`\n"
            "main.thrift:2:3: warning: `delete` is a C++ keyword; it is "
            "generated as `delete_`\n");
}

TEST(IdlSemaTest, PrintsTypesCanonically) {
  IdlRun run = analyze_source(
      "struct X {}\ntypedef map<string, list<set<X>>> T\n"
      "struct S { 1: T t; 2: byte b }");
  ASSERT_TRUE(run.ok) << run.text();
  const Struct& s = run.root().structs[1];
  EXPECT_EQ(type_name(s.fields[0].type), "T");
  EXPECT_EQ(type_name(*underlying_type(s.fields[0].type)),
            "map<string,list<set<X>>>");
  EXPECT_EQ(type_name(s.fields[1].type), "i8");
}

}  // namespace
}  // namespace ferry::idlgen
