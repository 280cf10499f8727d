#pragma once

// The loader: reads the IDL files named on the command line, parses them,
// and follows their `include`s, so sema sees every file a root depends on.
// An include resolves relative to the including file's directory first,
// then against each `-I` directory in order (Apache's rule). Each file is
// parsed once however often it is included; an include cycle is an error
// reported at the `include` that closes it.
//
//   LoadOptions options{.include_dirs = {"idl/common"}};
//   ProgramSet set;
//   Diagnostics diags;
//   bool ok = load_programs({"idl/echo.thrift"}, options, set, diags);
//
// Files come through a FileReader, so tests and the fuzz target load from
// memory.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codegen/ast.h"
#include "codegen/diagnostics.h"

namespace ferry::idlgen {

// Returns a file's contents, or nullopt when it cannot be read (an include
// search then tries the next directory).
using FileReader =
    std::function<std::optional<std::string>(const std::string& path)>;

// Reads from the file system.
FileReader disk_file_reader();

struct LoadOptions {
  std::vector<std::string> include_dirs;  // `-I`, searched in order
  FileReader read_file;                   // empty: disk_file_reader()
};

// Loads `root_paths` (in order) and, transitively, everything they include
// into `set`: `set.roots` gets the roots, every Include gets its
// `resolved_path` and `program`. Each Program's `path` is the root path as
// given, or for an included file the lexically normalised path it was found
// at; `name` is the file name without `.thrift`. Returns false if any error
// was reported; `set` then holds whatever did load.
bool load_programs(const std::vector<std::string>& root_paths,
                   const LoadOptions& options, ProgramSet& set,
                   Diagnostics& diags);

// Every file `set` was loaded from, roots first, each once: the inputs of
// a depfile.
std::vector<std::string> loaded_paths(const ProgramSet& set);

}  // namespace ferry::idlgen
