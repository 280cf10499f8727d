#pragma once

// The declaration half of the C++ emitter: `foo_types.h` (enums, typedefs,
// structs, unions, exceptions, constants) and `foo_types.cc` (enum name
// tables, printers). Serialization bodies are in emit_serialization.h.

#include <string>
#include <vector>

#include "codegen/ast.h"
#include "codegen/emit_common.h"
#include "codegen/emitter.h"

namespace ferry::idlgen::emit {

// The program's structs, unions and exceptions ordered so each comes after
// every struct of the same program it holds by value (through containers
// too); `&` / `cpp.ref` fields and cycles don't order. Ties keep IDL order.
std::vector<const Struct*> ordered_structs(const Program& program);

// The struct (or union / exception) class definition and its printer
// declaration.
void emit_struct_decl(CodeWriter& out, const StructModel& model,
                      const EmitOptions& options);
// The `operator<<` definition.
void emit_struct_printer(CodeWriter& out, const StructModel& model,
                         const EmitOptions& options);

std::string emit_types_header(const Program& program,
                              const EmitOptions& options);
std::string emit_types_source(const Program& program,
                              const EmitOptions& options);

}  // namespace ferry::idlgen::emit
