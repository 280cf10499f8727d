#pragma once

// Helpers for idlgen's front-end tests: load IDL from in-memory files
// through the real loader and sema, and get the diagnostics as text.
//
//   IdlRun run = load_and_analyze({{"main.thrift", "struct S { 1: i32 x }"}});
//   EXPECT_TRUE(run.ok) << run.text();

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "codegen/ast.h"
#include "codegen/diagnostics.h"
#include "codegen/loader.h"
#include "codegen/sema.h"

namespace ferry::idlgen::testing {

struct IdlRun {
  ProgramSet set;
  Diagnostics diags;
  bool ok = false;

  // Every diagnostic, one per line, as idlgen prints them.
  std::string text() const {
    std::string out;
    for (const Diagnostic& d : diags.all()) out += format_diagnostic(d) + "\n";
    return out;
  }
  // Only the errors (warnings dropped), one per line.
  std::string errors() const {
    std::string out;
    for (const Diagnostic& d : diags.all()) {
      if (d.severity == Severity::kError) out += format_diagnostic(d) + "\n";
    }
    return out;
  }
  const Program& root() const { return *set.roots.at(0); }
};

// A FileReader over `files` (path → contents).
inline FileReader memory_reader(std::map<std::string, std::string> files) {
  return [files = std::move(files)](
             const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

// Loads `roots` (default: "main.thrift") from `files`, then runs sema if
// loading succeeded.
inline IdlRun load_and_analyze(std::map<std::string, std::string> files,
                               std::vector<std::string> roots = {"main.thrift"},
                               std::vector<std::string> include_dirs = {}) {
  IdlRun run;
  LoadOptions options{.include_dirs = std::move(include_dirs),
                      .read_file = memory_reader(std::move(files))};
  run.ok = load_programs(roots, options, run.set, run.diags) &&
           analyze(run.set, run.diags);
  return run;
}

// One file, "main.thrift".
inline IdlRun analyze_source(std::string source) {
  return load_and_analyze({{"main.thrift", std::move(source)}});
}

}  // namespace ferry::idlgen::testing
