#pragma once

// The service half of the C++ emitter: `foo_services.h` / `.tcc` / `.cc`.
//
// Per function `f` of service `S` it emits Apache's wire layout:
// - `S_f_args`: the arguments as fields (default requiredness).
// - `S_f_result` (not for oneway): field 0 `success` (non-void functions)
//   and one optional field per declared exception; `write` emits only the
//   first set member, as Apache does.
// Per service a method table `SService` (see the generated header's
// comment) that the Thrift RPC layer builds client and server stubs on.

#include <string>

#include "codegen/ast.h"
#include "codegen/emitter.h"

namespace ferry::idlgen::emit {

std::string emit_services_header(const Program& program,
                                 const EmitOptions& options);
std::string emit_services_tcc(const Program& program,
                              const EmitOptions& options);
std::string emit_services_source(const Program& program,
                                 const EmitOptions& options);

// The method table's C++ name for service `name`: `<name>Service`.
std::string service_table_name(std::string_view name);

}  // namespace ferry::idlgen::emit
