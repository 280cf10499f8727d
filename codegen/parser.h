#pragma once

// The Thrift IDL parser: recursive descent over the lexer's tokens, building
// one Program. It accepts the current Apache Thrift grammar (thrifty.yy):
// headers (`include`, `cpp_include`, `namespace`) before definitions
// (`typedef`, `enum`, `const`, `struct`, `union`, `exception`, `service`),
// annotations, doc comments, and `,` or `;` after list items. Apache's
// removed syntax (`senum`, `slist`, `async`, `cpp_type`, `xsd_*`, the old
// per-language namespace keywords) is rejected with a message naming the
// replacement.
//
// The parser checks syntax only: names are resolved and values checked by
// sema. It stops at the first syntax error in a file (one line, with
// `file:line:col`), and bounds its recursion, so no input crashes it.
//
//   Program program;
//   program.path = "echo.thrift";
//   program.name = "echo";
//   Diagnostics diags;
//   if (!parse_program(source, program, diags)) diags.print(stderr);

#include <string_view>

#include "codegen/ast.h"
#include "codegen/diagnostics.h"

namespace ferry::idlgen {

// Types and constant values nested deeper than this are an error rather
// than a deep recursion; real IDL nests a handful of levels.
inline constexpr int kMaxNestingDepth = 100;

// Parses `source` into `program`, whose `path` and `name` the caller has
// set (diagnostics name `path`). Fills everything but the `resolved_*`
// pointers and `Include::resolved_path`/`program`. Returns false if any
// error was reported (warnings, e.g. implicit field ids, do not count).
bool parse_program(std::string_view source, Program& program,
                   Diagnostics& diags);

}  // namespace ferry::idlgen
