#include "codegen/cpp_names.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace ferry::idlgen {
namespace {

// C++20 keywords ([lex.key]) and alternative tokens ([lex.digraph]), plus
// identifiers with special meaning where a clash breaks declarations
// (`final`, `override`, `import`, `module`). Sorted for binary search.
constexpr std::array<std::string_view, 99> kKeywords = {
    // Includes predefined macros that would rewrite a declaration (NULL,
    // errno, assert).
    "NULL",
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "assert",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char16_t",
    "char32_t",
    "char8_t",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "compl",
    "concept",
    "const",
    "const_cast",
    "consteval",
    "constexpr",
    "constinit",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "errno",
    "explicit",
    "export",
    "extern",
    "false",
    "final",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "import",
    "inline",
    "int",
    "long",
    "module",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "override",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "requires",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
};

// Names the generated code declares itself (STYLE.md 2.8 layout):
// struct members `write`/`read`/`kIsException`, the union discriminator
// `which()`/`Which`, the service table members, the enum helpers, and `std`
// (generated code spells `std::` unqualified; `::ferry::` is always
// qualified, so an IDL namespace `ferry.bench` stays as written).
constexpr std::array<std::string_view, 12> kReserved = {
    "Extends",   "Methods",      "Which", "enum_from_name",
    "enum_name", "kIsException", "kName", "method_index",
    "read",      "std",          "which", "write",
};

// Members of the per-function method-table structs, and `stack`, the
// accessor every generated client inherits from ClientBase.
constexpr std::array<std::string_view, 9> kReservedFunctions = {
    "Args",   "Exceptions", "Result", "Return",  "exception",
    "invoke", "kOneway",    "stack",  "success",
};

bool sorted_contains(const auto& table, std::string_view name) {
  return std::binary_search(table.begin(), table.end(), name);
}

}  // namespace

bool is_cpp_keyword(std::string_view name) {
  static_assert(std::is_sorted(kKeywords.begin(), kKeywords.end()));
  return sorted_contains(kKeywords, name);
}

bool is_reserved_generated_name(std::string_view name) {
  static_assert(std::is_sorted(kReserved.begin(), kReserved.end()));
  return sorted_contains(kReserved, name);
}

std::string cpp_name(std::string_view name) {
  std::string out(name);
  if (is_cpp_keyword(name) || is_reserved_generated_name(name)) out += '_';
  return out;
}

bool is_reserved_function_name(std::string_view name) {
  static_assert(
      std::is_sorted(kReservedFunctions.begin(), kReservedFunctions.end()));
  return sorted_contains(kReservedFunctions, name);
}

std::string cpp_function_name(std::string_view name) {
  if (is_reserved_function_name(name)) return std::string(name) + '_';
  return cpp_name(name);
}

}  // namespace ferry::idlgen
