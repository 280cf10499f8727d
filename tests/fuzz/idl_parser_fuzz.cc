// Fuzzes idlgen's front end: lexes, parses and analyzes one in-memory IDL
// file. Any input must be handled without crashing or hanging, and every
// diagnostic must carry a real `file:line:col` (STYLE.md 2.9); a diagnostic
// without one traps.
//
// The file may include "fuzz.thrift" (itself, a cycle) or "other.thrift"
// (a fixed small file), so include handling is exercised too.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codegen/diagnostics.h"
#include "codegen/loader.h"
#include "codegen/sema.h"

namespace {

constexpr std::string_view kOtherFile =
    "enum Numberz { ONE = 1, TWO }\n"
    "const i32 LIMIT = 3\n"
    "struct Thing { 1: i32 x }\n"
    "exception Oops {}\n"
    "service Base { void ping() }\n";

void check_has_position(const ferry::idlgen::Diagnostic& diagnostic) {
  bool known_file =
      diagnostic.file == "fuzz.thrift" || diagnostic.file == "other.thrift";
  if (!known_file || diagnostic.line < 1 || diagnostic.column < 1) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace ferry::idlgen;
  std::string source(reinterpret_cast<const char*>(data), size);
  LoadOptions options;
  options.read_file =
      [&source](const std::string& path) -> std::optional<std::string> {
    if (path == "fuzz.thrift") return source;
    if (path == "other.thrift") return std::string(kOtherFile);
    return std::nullopt;
  };
  ProgramSet set;
  Diagnostics diags;
  if (load_programs({"fuzz.thrift"}, options, set, diags)) {
    (void)analyze(set, diags);  // only the diagnostics matter here
  }
  for (const Diagnostic& diagnostic : diags.all()) {
    check_has_position(diagnostic);
  }
  return 0;
}
