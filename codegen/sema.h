#pragma once

// Semantic analysis: resolves every name in a loaded ProgramSet and checks
// what the grammar cannot. On success every `resolved_*` pointer in the
// tree is set (TypeRef kNamed → struct, enum or typedef; ConstValue
// kIdentifier → const or enum value; Service::resolved_extends), so the
// emitter never meets an unresolved name.
//
// Names resolve in the file that uses them; `inc.Name` names a definition
// of a file included as `inc.thrift` (not transitively, as in Apache).
// Errors, each one line with `file:line:col`:
//   - unresolved type, constant, or service to extend; a name of the wrong
//     kind (`extends` naming a struct, `throws` naming a non-exception);
//   - duplicate definitions; duplicate field ids or names in a struct, an
//     argument list or a throws list; duplicate function names;
//   - typedef, const or `extends` cycles;
//   - `oneway` functions that return a value or declare `throws`;
//   - constant values that do not fit their type (integer ranges, strings
//     vs numbers, list/set/map element types, struct field names, enum
//     values that are not members); enum values outside i32.
// Warnings: names that are C++ keywords (generated with a trailing `_`).
//
//   if (!load_programs(paths, options, set, diags) || !analyze(set, diags))
//     return failure;

#include <string>

#include "codegen/ast.h"
#include "codegen/diagnostics.h"

namespace ferry::idlgen {

// Resolves and checks every program in `set`. Returns false if any error
// was reported; the tree is then partly resolved and must not be emitted.
bool analyze(ProgramSet& set, Diagnostics& diags);

// A type as written, canonically spaced: `i32`, `list<map<string,Xtruct>>`,
// `shared.Foo`. `byte` prints as `i8`, its canonical spelling.
std::string type_name(const TypeRef& type);

// Follows typedefs (resolved by sema) to the type they stand for; returns
// `type` itself when it is not a typedef, nullptr for an unresolved name or
// a typedef cycle.
const TypeRef* underlying_type(const TypeRef& type);

// Whether a string/binary value of `type` is a zero-copy `std::string_view`
// (`ferry.view` on the field, the type or any typedef on the way). Sema
// uses it to keep views out of replies; the emitters to spell the type.
bool is_view(const TypeRef& type, const Annotations* field_annotations);

}  // namespace ferry::idlgen
