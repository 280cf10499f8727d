// Runs the loader and sema over every Apache Thrift test IDL in the shared
// corpus, from the corpus root with `-I test` (as its README prescribes).
// Every file must be accepted except BrokenConstants, which must be
// rejected for its out-of-range i64.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "codegen/loader.h"
#include "codegen/sema.h"

#ifndef FERRY_IDL_CORPUS_DIR
#error "the build passes FERRY_IDL_CORPUS_DIR"
#endif

namespace ferry::idlgen {
namespace {

namespace fs = std::filesystem;

// Corpus files, relative to the corpus root, sorted.
std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(FERRY_IDL_CORPUS_DIR, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".thrift") {
      files.push_back(
          fs::relative(it->path(), FERRY_IDL_CORPUS_DIR).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct Outcome {
  bool ok = false;
  std::string diagnostics;
};

Outcome check(const std::string& relative) {
  fs::path root = FERRY_IDL_CORPUS_DIR;
  ProgramSet set;
  Diagnostics diags;
  LoadOptions options{.include_dirs = {(root / "test").string()}};
  Outcome outcome;
  outcome.ok =
      load_programs({(root / relative).string()}, options, set, diags) &&
      analyze(set, diags);
  for (const Diagnostic& d : diags.all()) {
    if (d.severity == Severity::kError) {
      outcome.diagnostics += format_diagnostic(d) + "\n";
    }
  }
  return outcome;
}

TEST(IdlCorpusTest, AcceptsEveryApacheTestFileButBrokenConstants) {
  std::vector<std::string> files = corpus_files();
  ASSERT_GE(files.size(), 90u) << "corpus missing at " FERRY_IDL_CORPUS_DIR;
  int accepted = 0;
  for (const std::string& file : files) {
    Outcome outcome = check(file);
    if (file == "test/BrokenConstants.thrift") {
      EXPECT_FALSE(outcome.ok) << file << " must be rejected";
      EXPECT_NE(outcome.diagnostics.find("does not fit in i64"),
                std::string::npos)
          << outcome.diagnostics;
      continue;
    }
    EXPECT_TRUE(outcome.ok) << file << ":\n" << outcome.diagnostics;
    accepted += outcome.ok ? 1 : 0;
  }
  EXPECT_EQ(accepted, static_cast<int>(files.size()) - 1);
}

TEST(IdlCorpusTest, AcceptsTheUuidAndNameConflictFiles) {
  for (const char* file :
       {"test/ThriftTest.thrift", "test/DebugProtoTest.thrift",
        "test/ConstantsDemo.thrift", "test/FuzzTest.thrift",
        "lib/go/test/EqualsTest.thrift",
        "lib/java/src/test/resources/JavaTypes.thrift",
        "test/NameConflictTest.thrift", "test/v0.16/NameConflictTest.thrift"}) {
    Outcome outcome = check(file);
    EXPECT_TRUE(outcome.ok) << file << ":\n" << outcome.diagnostics;
  }
}

}  // namespace
}  // namespace ferry::idlgen
