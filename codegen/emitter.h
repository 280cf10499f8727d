#pragma once

// The C++ emitter: turns one resolved Program into the fixed set of files
// STYLE.md 2.8 names (foo_types.h/.tcc/.cc, foo_types_binary.cc,
// foo_types_compact.cc, foo_services.h/.cc). Pure: it returns the files and
// writes nothing, so idlgen can write all of them or none.

#include <string>
#include <vector>

#include "codegen/ast.h"

namespace ferry::idlgen {

struct EmitOptions {
  // Prepended to every C++ namespace ("bench_ferry" turns `namespace cpp
  // ferry.bench` into `bench_ferry::ferry::bench`). Lets two generations of
  // one IDL live in one binary (ferry's next to Apache's, in benchmarks).
  std::string namespace_prefix;
  // Banner paths are relative to this directory (no absolute paths in
  // output). Empty: the program's path as given.
  std::string source_root;
  // Field paths in decode errors (`Outer.items[3].name: …`). Off only for
  // the benchmark that measures what they cost (`--no-error-paths`).
  bool error_paths = true;
};

struct OutputFile {
  std::string name;  // file name only, e.g. "ThriftTest_types.h"
  std::string contents;
};

// The file names emit_cpp produces for `program`, in a fixed order; CMake
// relies on this set not depending on the IDL's contents.
std::vector<std::string> output_file_names(const Program& program);

std::vector<OutputFile> emit_cpp(const Program& program,
                                 const EmitOptions& options);

}  // namespace ferry::idlgen
