#pragma once

// The serialization half of the C++ emitter: the bodies of the generated
// `write`/`read` member templates (`foo_types.tcc`) and the explicit
// instantiations for the shipped protocols (`foo_types_binary.cc`,
// `foo_types_compact.cc`).
//
// Shape of the generated code (the hot path, benchmarked against Apache
// Thrift and protobuf): `read` is one loop over `read_field_begin` with a
// `switch` on the field id, no string compares and no allocations beyond
// the values themselves. Every failed sub-read returns through the
// codec/decode_error.h path helpers inside an `[[unlikely]]` branch, so the
// error names its path (`Outer.items[1].name: ...`) at no cost when
// decoding succeeds.

#include <string>
#include <vector>

#include "codegen/ast.h"
#include "codegen/emit_common.h"
#include "codegen/emitter.h"

namespace ferry::idlgen::emit {

enum class Protocol { kBinary, kCompact };

// `template <ProtocolWriter W> void X::write(W&) const { ... }` and the
// matching `read`.
void emit_struct_write(CodeWriter& out, const StructModel& model,
                       const EmitOptions& options);
void emit_struct_read(CodeWriter& out, const StructModel& model,
                      const EmitOptions& options);

// Explicit instantiations of write/read for each class in `class_names`
// (already qualified relative to the current namespace) for `protocol`'s
// writer and its two readers (SpanInput, ChainInput). Emits the alias
// block at global scope and the instantiations inside `ns`.
void emit_instantiations(CodeWriter& out, Protocol protocol,
                         const std::string& ns,
                         const std::vector<std::string>& class_names);

std::string emit_types_tcc(const Program& program, const EmitOptions& options);
std::string emit_types_protocol_source(const Program& program,
                                       const EmitOptions& options,
                                       Protocol protocol);

}  // namespace ferry::idlgen::emit
