#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codegen/loader.h"
#include "tests/codegen/idl_test_util.h"

namespace ferry::idlgen {
namespace {

using ::testing::ElementsAre;
using testing::IdlRun;
using testing::load_and_analyze;

TEST(IdlLoaderTest, ResolvesIncludesBesideTheIncludingFileFirst) {
  IdlRun run = load_and_analyze({{"idl/main.thrift",
                                  "include \"common.thrift\"\n"
                                  "struct S { 1: common.T t }"},
                                 {"idl/common.thrift", "struct T {}"},
                                 {"inc/common.thrift", "this would not parse"}},
                                {"idl/main.thrift"}, {"inc"});
  ASSERT_TRUE(run.ok) << run.text();
  EXPECT_EQ(run.root().includes[0].resolved_path, "idl/common.thrift");
  EXPECT_EQ(run.root().includes[0].program->name, "common");
}

TEST(IdlLoaderTest, SearchesIncludeDirectoriesInOrder) {
  IdlRun run = load_and_analyze({{"main.thrift", "include \"x.thrift\""},
                                 {"first/x.thrift", "struct First {}"},
                                 {"second/x.thrift", "struct Second {}"}},
                                {"main.thrift"}, {"none", "first", "second"});
  ASSERT_TRUE(run.ok) << run.text();
  EXPECT_EQ(run.root().includes[0].resolved_path, "first/x.thrift");
}

TEST(IdlLoaderTest, LoadsAFileIncludedTwiceOnce) {
  IdlRun run = load_and_analyze(
      {{"main.thrift", "include \"a.thrift\"\ninclude \"b.thrift\""},
       {"a.thrift", "include \"c.thrift\""},
       {"b.thrift", "include \"./c.thrift\""},
       {"c.thrift", "struct C {}"}});
  ASSERT_TRUE(run.ok) << run.text();
  EXPECT_EQ(run.set.programs.size(), 4u);
  EXPECT_THAT(loaded_paths(run.set),
              ElementsAre("main.thrift", "a.thrift", "c.thrift", "b.thrift"));
}

TEST(IdlLoaderTest, ReportsAMissingIncludeAtTheIncludeStatement) {
  IdlRun run = load_and_analyze({{"main.thrift", "\ninclude \"gone.thrift\""}});
  EXPECT_FALSE(run.ok);
  EXPECT_EQ(run.errors(),
            "main.thrift:2:1: error: cannot find included file "
            "\"gone.thrift\"\n");
}

TEST(IdlLoaderTest, ReportsAMissingRootFile) {
  IdlRun run = load_and_analyze({}, {"nope.thrift"});
  EXPECT_FALSE(run.ok);
  EXPECT_EQ(run.errors(), "nope.thrift:1:1: error: cannot read file\n");
}

TEST(IdlLoaderTest, ReportsAnIncludeCycleWithTheChain) {
  IdlRun run = load_and_analyze({{"main.thrift", "include \"a.thrift\""},
                                 {"a.thrift", "include \"b.thrift\""},
                                 {"b.thrift", "\n\ninclude \"a.thrift\""}});
  EXPECT_FALSE(run.ok);
  EXPECT_EQ(run.errors(),
            "b.thrift:3:1: error: include cycle: a.thrift -> b.thrift -> "
            "a.thrift\n");
}

TEST(IdlLoaderTest, ReportsErrorsInIncludedFilesUnderTheirOwnPath) {
  IdlRun run = load_and_analyze({{"main.thrift", "include \"sub/a.thrift\""},
                                 {"sub/a.thrift", "struct {"}});
  EXPECT_FALSE(run.ok);
  EXPECT_EQ(run.errors(),
            "sub/a.thrift:1:8: error: expected a name, got `{`\n");
}

}  // namespace
}  // namespace ferry::idlgen
