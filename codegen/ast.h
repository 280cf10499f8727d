#pragma once

// The Thrift IDL syntax tree idlgen's phases hand each other:
//   lexer → parser (builds Program) → sema (resolves names, checks) → emitter.
// Nodes are plain values. The parser fills everything but the `resolved_*`
// pointers, which sema sets; the emitter reads a fully resolved tree and
// never reports user errors (sema has already).

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::idlgen {

struct Program;
struct Struct;
struct Enum;
struct Typedef;
struct Const;
struct Service;

// A position in an IDL file: 1-based line and column (in bytes).
struct SourceLoc {
  const Program* program = nullptr;  // null only for built-in nodes
  int line = 0;
  int column = 0;
};

struct Annotation {
  std::string key;
  std::string value;  // "" when written without `= "value"`
  SourceLoc loc;
};
using Annotations = std::vector<Annotation>;

// Returns the value of annotation `key`, or nullptr.
const std::string* find_annotation(const Annotations& annotations,
                                   std::string_view key);

enum class BaseType {
  kVoid,
  kBool,
  kByte,  // `byte` and `i8` both spell it
  kI16,
  kI32,
  kI64,
  kDouble,
  kString,
  kBinary,
  kUuid,
};

// A type as written: a base type, a container, or a name.
struct TypeRef {
  enum class Kind { kBase, kNamed, kList, kSet, kMap };
  Kind kind = Kind::kBase;
  BaseType base = BaseType::kVoid;  // kBase
  // kNamed: the name as written, possibly qualified by an included file's
  // name ("shared.SharedStruct").
  std::string name;
  // kList/kSet: one element type; kMap: key then value.
  std::vector<TypeRef> params;
  Annotations annotations;  // `list<i32> (cpp.template = "...")`
  SourceLoc loc;

  // Set by sema for kNamed: exactly one is non-null.
  const Struct* resolved_struct = nullptr;
  const Enum* resolved_enum = nullptr;
  const Typedef* resolved_typedef = nullptr;
};

// A constant value as written. Sema checks it against the declared type.
struct ConstValue {
  enum class Kind { kInt, kDouble, kString, kIdentifier, kList, kMap };
  Kind kind = Kind::kInt;
  std::int64_t int_value = 0;  // kInt (`true`/`false` lex as 1/0)
  double double_value = 0;     // kDouble
  // kString: the unescaped literal; kIdentifier: the name as written
  // ("Numberz.ONE", "shared.SOME_CONST", "MY_CONST").
  std::string text;
  std::vector<ConstValue> list;                            // kList
  std::vector<std::pair<ConstValue, ConstValue>> entries;  // kMap
  SourceLoc loc;

  // Set by sema for kIdentifier: the constant or enum value it names.
  const Const* resolved_const = nullptr;
  const Enum* resolved_enum = nullptr;
  std::int64_t resolved_enum_value = 0;

  // Defined in ast.cc, where ConstValue is complete: clang 14 with
  // libstdc++ 12 rejects the implicit inline ones, which instantiate
  // `std::pair<ConstValue, ConstValue>` while ConstValue is incomplete.
  ConstValue();
  ConstValue(const ConstValue&);
  ConstValue(ConstValue&&) noexcept;
  ConstValue& operator=(const ConstValue&);
  ConstValue& operator=(ConstValue&&) noexcept;
  ~ConstValue();
};

enum class Requiredness { kDefault, kRequired, kOptional };

struct Field {
  std::int16_t id = 0;
  bool id_implicit = false;  // no `N:` written; id assigned -1, -2, … as Apache
  std::string name;
  TypeRef type;
  Requiredness requiredness = Requiredness::kDefault;
  // Written `Type & name` (Apache's shorthand for `cpp.ref`): stored behind
  // a pointer so recursive structs compile.
  bool reference = false;
  std::optional<ConstValue> default_value;
  Annotations annotations;
  std::string doc;
  SourceLoc loc;
};

struct Struct {
  enum class Kind { kStruct, kUnion, kException };
  Kind kind = Kind::kStruct;
  std::string name;
  std::vector<Field> fields;
  Annotations annotations;
  std::string doc;
  SourceLoc loc;
};

struct EnumValue {
  std::string name;
  std::int64_t value = 0;  // sema checks it fits in i32
  bool value_explicit = false;
  Annotations annotations;
  std::string doc;
  SourceLoc loc;
};

struct Enum {
  std::string name;
  std::vector<EnumValue> values;
  Annotations annotations;
  std::string doc;
  SourceLoc loc;
};

struct Typedef {
  std::string name;
  TypeRef type;
  Annotations annotations;
  std::string doc;
  SourceLoc loc;
};

struct Const {
  std::string name;
  TypeRef type;
  ConstValue value;
  std::string doc;
  SourceLoc loc;
};

struct Function {
  std::string name;
  TypeRef return_type;  // BaseType::kVoid for void
  bool oneway = false;
  std::vector<Field> args;
  std::vector<Field> throws;
  Annotations annotations;
  std::string doc;
  SourceLoc loc;
};

struct Service {
  std::string name;
  std::string extends;  // as written, "" if none; may be "shared.Base"
  const Service* resolved_extends = nullptr;  // set by sema
  std::vector<Function> functions;
  Annotations annotations;
  std::string doc;
  SourceLoc loc;
};

struct Include {
  std::string path_as_written;
  std::string resolved_path;         // set by the loader
  const Program* program = nullptr;  // set by the loader
  SourceLoc loc;
};

// One kind tag per top-level definition, to keep IDL order for the emitter.
struct DefinitionRef {
  enum class Kind { kTypedef, kEnum, kConst, kStruct, kService };
  Kind kind;
  std::size_t index;  // into the matching vector of Program
};

// One parsed .thrift file.
struct Program {
  std::string path;  // as shown in diagnostics and the generated banner
  std::string name;  // file name without directory and `.thrift`: the
                     // prefix other files use (`shared.Foo`)
  std::string doc;   // the header doc comment, if any
  std::vector<Include> includes;
  std::vector<std::string> cpp_includes;
  // scope → namespace as written ("cpp" → "thrift.test", "*" → …). Scopes
  // idlgen does not use are kept.
  std::map<std::string, std::string> namespaces;

  // Containers that sema points into must not reallocate after parsing:
  // deques keep element addresses stable.
  std::deque<Typedef> typedefs;
  std::deque<Enum> enums;
  std::deque<Const> consts;
  std::deque<Struct> structs;  // structs, unions and exceptions
  std::deque<Service> services;
  std::vector<DefinitionRef> order;  // every definition, in IDL order
};

// Everything one idlgen run loaded: the files named on the command line and,
// transitively, their includes. Owns the Programs (stable addresses).
struct ProgramSet {
  std::deque<Program> programs;
  std::vector<Program*> roots;  // the command-line files, in order
};

}  // namespace ferry::idlgen
