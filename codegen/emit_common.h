#pragma once

// Shared pieces of the C++ emitter (codegen/emitter.cc drives them): an
// indenting text writer, C++ spellings of IDL namespaces, types and constant
// values, and `StructModel`, the one description of a struct-like type that
// the declaration, printer and serialization emitters all take, so service
// argument/result structs reuse them unchanged.
//
// Conventions of the emitted code that every part relies on:
// - Named types are always fully qualified (`::thrift::test::Xtruct`), so a
//   field may share its name with a type and included types need no care.
// - Members are accessed as `this->name` (or `v.name`), so generated locals
//   (`s`, `ft`, `fid`, `w`, `r`) never collide with IDL field names.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fmt/format.h"

#include "codegen/ast.h"
#include "codegen/emitter.h"
#include "codegen/sema.h"  // is_view, underlying_type

namespace ferry::idlgen::emit {

// Accumulates lines at a current indentation (2 spaces per level, as
// clang-format's Google style).
class CodeWriter {
 public:
  template <class... Args>
  void line(fmt::format_string<Args...> format, Args&&... args) {
    raw_line(fmt::format(format, std::forward<Args>(args)...));
  }
  // One line, indented; an empty string gives an empty line.
  void raw_line(std::string_view text);
  void blank() { raw_line(""); }
  void indent() { ++depth_; }
  void dedent() { --depth_; }
  // `head` then indent, e.g. open("struct X {") ... close("};").
  void open(std::string_view head) {
    raw_line(head);
    indent();
  }
  void close(std::string_view tail) {
    dedent();
    raw_line(tail);
  }
  // Appends `text` verbatim (no indentation).
  void append(std::string_view text) { out_ += text; }
  // Drops a trailing blank line, if any (keeps closing braces tight).
  void trim_blank();
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  int depth_ = 0;
};

// One struct-like type to emit: an IDL struct/union/exception, or an
// argument/result struct the service emitter synthesizes.
struct StructModel {
  const Struct* node = nullptr;
  std::string cpp_name;   // the C++ class name
  std::string wire_name;  // in write_struct_begin and error paths
  // Service results: write only the first set field (success or one
  // exception), as Apache does.
  bool write_first_set_only = false;
};

StructModel model_of(const Struct& s);

// `a::b` for `namespace cpp a.b` (else `namespace *`), with
// options.namespace_prefix in front; "" for the global namespace.
std::string cpp_namespace(const Program& program, const EmitOptions& options);

// `::a::b::Name` for a definition named `idl_name` in `owner`.
std::string qualified(const Program* owner, std::string_view idl_name,
                      const EmitOptions& options);

// Follows typedefs to the underlying type.
const TypeRef& resolve(const TypeRef& type);

// True when `type` or a typedef on the way carries `cpp.type`: a custom C++
// type that the serializer converts through its wire type.
bool has_custom_type(const TypeRef& type);

// The C++ type for `type` (typedefs by name, containers spelled out,
// `cpp.type` / `cpp.template` honoured). `view` replaces a string/binary
// type at the top level by `std::string_view`.
std::string cpp_type(const TypeRef& type, const EmitOptions& options,
                     bool view = false);

// The declared type of a struct member: `T`, `std::optional<T>` for
// optional fields, `::ferry::codec::Box<T>` for `&` / `cpp.ref` fields.
std::string field_type(const Field& field, const EmitOptions& options);
bool is_boxed(const Field& field);

// `::ferry::codec::TType::kI32` etc. for the wire type of `type`.
std::string ttype(const TypeRef& type);

// A C++ expression for `value` as type `type`.
std::string const_expr(const ConstValue& value, const TypeRef& type,
                       const EmitOptions& options);

// A C++ string literal (octal escapes, so no escape runs into the next
// character) holding `bytes` exactly.
std::string string_literal(std::string_view bytes);

// The two banner lines and the path they name.
std::string banner(const Program& program, const EmitOptions& options);

// `// ` comment lines for an IDL doc comment (nothing when empty).
void emit_doc(CodeWriter& out, std::string_view doc);

// Opens / closes `namespace ns {` (nothing for the global namespace).
void open_namespace(CodeWriter& out, const std::string& ns);
void close_namespace(CodeWriter& out, const std::string& ns);

// The field name as spelled in C++ (the keyword rule, cpp_names.h).
std::string member_name(const Field& field);

}  // namespace ferry::idlgen::emit
