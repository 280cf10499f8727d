#pragma once

// The service half of the C++ emitter: `foo_services.h` / `.tcc` / `.cc`.
//
// Per function `f` of service `S` it emits Apache's wire layout:
// - `S_f_args`: the arguments as fields (default requiredness).
// - `S_f_result` (not for oneway): field 0 `success` (non-void functions)
//   and one optional field per declared exception; `write` emits only the
//   first set member, as Apache does.
// Per service (see the generated header's comment):
// - the method table `SService` that the Thrift RPC layer
//   (transport/thrift/service.h) builds on: per function its types, the
//   declared exceptions, `invoke` (calls a handler's method with the
//   decoded arguments, passing the Context when the handler takes it) and
//   the result's fields; `method_index` as a perfect dispatch (switches on
//   the length and on distinguishing bytes, then one comparison);
// - `SIf`, a virtual interface for handlers (`Task<R> f(Context&, args…)`,
//   R an `Outcome` for functions with `throws`);
// - `SClient<Stack>`, one method per function (with and without a
//   Context) calling `thrift::call<SService::f>` on the stack.
// `extends` carries over: `SIf` and `SClient` derive from the base's.

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
