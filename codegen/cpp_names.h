#pragma once

// The one rule that turns an IDL identifier into a C++ identifier
// (STYLE.md 2.8): names are kept verbatim, except names that are C++
// keywords (including alternative tokens such as `and`, `not`, `xor`) or
// that would clash with what the emitter generates; those get a trailing
// `_`. idlgen's sema warns about keyword names using `is_cpp_keyword`, and
// the emitter spells every type, field, enumerator, const, service and
// function name through `cpp_name`.
//
//   cpp_name("class")   == "class_"
//   cpp_name("and")     == "and_"
//   cpp_name("Xtruct")  == "Xtruct"

#include <string>
#include <string_view>

namespace ferry::idlgen {

// True for every C++20 keyword and alternative token (`and`, `bitand`,
// `not_eq`, …), plus the identifiers with special meaning that would break
// generated code if used as a name (`final`, `override`, `import`,
// `module`).
bool is_cpp_keyword(std::string_view name);

// True for names the generated code itself declares inside structs, unions
// and service tables (`write`, `read`, `type`, `Type`, `kName`, …) and the
// namespace-scope helpers (`enum_name`, `enum_from_name`, `std`, `ferry`):
// an IDL name spelled like one of these would shadow or clash with them.
bool is_reserved_generated_name(std::string_view name);

// `name` with a trailing `_` when it is a keyword or a reserved generated
// name, otherwise `name` unchanged.
std::string cpp_name(std::string_view name);

// True for the names the generated service code declares inside the
// per-function method-table structs (`Args`, `Result`, `Return`,
// `Exceptions`, `kOneway`, `invoke`, `success`, `exception`) and the
// client's base (`stack`). Only service functions are spelled with these
// escaped: a struct member may be called `stack` or `success` (the
// result's own field is).
bool is_reserved_function_name(std::string_view name);

// A service function's C++ name (method-table struct, interface, handler
// and client method): `cpp_name`, with a trailing `_` also for
// `is_reserved_function_name`.
std::string cpp_function_name(std::string_view name);

}  // namespace ferry::idlgen
