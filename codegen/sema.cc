#include "codegen/sema.h"

#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fmt/format.h"

#include "codegen/cpp_names.h"

namespace ferry::idlgen {
namespace {

std::string_view base_type_name(BaseType base) {
  switch (base) {
    case BaseType::kVoid:
      return "void";
    case BaseType::kBool:
      return "bool";
    case BaseType::kByte:
      return "i8";
    case BaseType::kI16:
      return "i16";
    case BaseType::kI32:
      return "i32";
    case BaseType::kI64:
      return "i64";
    case BaseType::kDouble:
      return "double";
    case BaseType::kString:
      return "string";
    case BaseType::kBinary:
      return "binary";
    case BaseType::kUuid:
      return "uuid";
  }
  return "?";
}

std::string loc_text(const SourceLoc& loc) {
  return fmt::format("{}:{}:{}", loc.program ? loc.program->path : "?",
                     loc.line, loc.column);
}

bool is_integer(BaseType base) {
  return base == BaseType::kByte || base == BaseType::kI16 ||
         base == BaseType::kI32 || base == BaseType::kI64;
}

bool fits(std::int64_t value, BaseType base) {
  auto in = [value](auto type_tag) {
    using T = decltype(type_tag);
    return value >= std::numeric_limits<T>::min() &&
           value <= std::numeric_limits<T>::max();
  };
  switch (base) {
    case BaseType::kByte:
      return in(std::int8_t{});
    case BaseType::kI16:
      return in(std::int16_t{});
    case BaseType::kI32:
      return in(std::int32_t{});
    default:
      return true;
  }
}

std::string_view describe_value(const ConstValue& value) {
  switch (value.kind) {
    case ConstValue::Kind::kInt:
      return "an integer";
    case ConstValue::Kind::kDouble:
      return "a double";
    case ConstValue::Kind::kString:
      return "a string";
    case ConstValue::Kind::kIdentifier:
      return "a name";
    case ConstValue::Kind::kList:
      return "a list";
    case ConstValue::Kind::kMap:
      return "a map";
  }
  return "a value";
}

// A definition visible by name in one Program.
struct Symbol {
  DefinitionRef::Kind kind;
  void* node;  // Typedef*, Enum*, Const*, Struct* or Service*
  SourceLoc loc;
};

class Sema {
 public:
  Sema(ProgramSet& set, Diagnostics& diags) : set_(set), diags_(diags) {}

  bool run() {
    int errors_before = diags_.error_count();
    for (Program& program : set_.programs) build_scope(program);
    for (Program& program : set_.programs) resolve_names(program);
    for (Program& program : set_.programs) check_cycles(program);
    // Value checks follow typedef and const chains, so only once those are
    // known to end.
    bool acyclic = diags_.error_count() == errors_before;
    for (Program& program : set_.programs) check_program(program, acyclic);
    return diags_.error_count() == errors_before;
  }

 private:
  using Scope = std::map<std::string, Symbol, std::less<>>;

  // --- scopes and lookup ------------------------------------------------

  void build_scope(Program& program) {
    Scope& scope = scopes_[&program];
    auto add = [&](const std::string& name, DefinitionRef::Kind kind,
                   void* node, const SourceLoc& loc) {
      auto [it, inserted] = scope.emplace(name, Symbol{kind, node, loc});
      if (!inserted) {
        diags_.error(loc, fmt::format("`{}` is already defined at {}", name,
                                      loc_text(it->second.loc)));
      }
    };
    for (const DefinitionRef& ref : program.order) {
      switch (ref.kind) {
        case DefinitionRef::Kind::kTypedef: {
          Typedef& def = program.typedefs[ref.index];
          add(def.name, ref.kind, &def, def.loc);
          break;
        }
        case DefinitionRef::Kind::kEnum: {
          Enum& def = program.enums[ref.index];
          add(def.name, ref.kind, &def, def.loc);
          break;
        }
        case DefinitionRef::Kind::kConst: {
          Const& def = program.consts[ref.index];
          add(def.name, ref.kind, &def, def.loc);
          break;
        }
        case DefinitionRef::Kind::kStruct: {
          Struct& def = program.structs[ref.index];
          add(def.name, ref.kind, &def, def.loc);
          break;
        }
        case DefinitionRef::Kind::kService: {
          Service& def = program.services[ref.index];
          add(def.name, ref.kind, &def, def.loc);
          break;
        }
      }
    }
  }

  // `Name` in `from`, or `inc.Name` in a file `from` includes.
  const Symbol* lookup(const Program& from, std::string_view name) {
    const Scope& scope = scopes_[&from];
    if (auto it = scope.find(name); it != scope.end()) return &it->second;
    std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) return nullptr;
    std::string_view prefix = name.substr(0, dot);
    for (const Include& include : from.includes) {
      if (include.program == nullptr || include.program->name != prefix) {
        continue;
      }
      const Scope& other = scopes_[include.program];
      auto it = other.find(name.substr(dot + 1));
      if (it != other.end()) return &it->second;
    }
    return nullptr;
  }

  // --- name resolution ----------------------------------------------------

  void resolve_names(Program& program) {
    for (Typedef& def : program.typedefs) resolve_type(program, def.type);
    for (Const& def : program.consts) resolve_type(program, def.type);
    for (Struct& def : program.structs) resolve_fields(program, def.fields);
    for (Service& service : program.services) {
      resolve_extends(program, service);
      for (Function& function : service.functions) {
        resolve_type(program, function.return_type);
        resolve_fields(program, function.args);
        resolve_fields(program, function.throws);
      }
    }
  }

  void resolve_fields(const Program& program, std::vector<Field>& fields) {
    for (Field& field : fields) resolve_type(program, field.type);
  }

  void resolve_type(const Program& program, TypeRef& type) {
    for (TypeRef& param : type.params) resolve_type(program, param);
    if (type.kind != TypeRef::Kind::kNamed) return;
    const Symbol* symbol = lookup(program, type.name);
    if (symbol == nullptr) {
      diags_.error(type.loc, fmt::format("unresolved type `{}`", type.name));
      return;
    }
    switch (symbol->kind) {
      case DefinitionRef::Kind::kStruct:
        type.resolved_struct = static_cast<const Struct*>(symbol->node);
        return;
      case DefinitionRef::Kind::kEnum:
        type.resolved_enum = static_cast<const Enum*>(symbol->node);
        return;
      case DefinitionRef::Kind::kTypedef:
        type.resolved_typedef = static_cast<const Typedef*>(symbol->node);
        return;
      case DefinitionRef::Kind::kConst:
      case DefinitionRef::Kind::kService:
        diags_.error(type.loc,
                     fmt::format("`{}` is a {}, not a type", type.name,
                                 symbol->kind == DefinitionRef::Kind::kConst
                                     ? "constant"
                                     : "service"));
        return;
    }
  }

  void resolve_extends(const Program& program, Service& service) {
    if (service.extends.empty()) return;
    const Symbol* symbol = lookup(program, service.extends);
    if (symbol == nullptr) {
      diags_.error(service.loc, fmt::format("unresolved service `{}` in "
                                            "`extends`",
                                            service.extends));
    } else if (symbol->kind != DefinitionRef::Kind::kService) {
      diags_.error(service.loc,
                   fmt::format("service `{}` extends `{}`, which is not a "
                               "service",
                               service.name, service.extends));
    } else {
      service.resolved_extends = static_cast<const Service*>(symbol->node);
    }
  }

  // --- cycles -------------------------------------------------------------

  void check_cycles(const Program& program) {
    for (const Typedef& def : program.typedefs) check_typedef_cycle(def);
    for (const Service& service : program.services) {
      check_extends_cycle(service);
    }
    for (const Const& def : program.consts) check_const_cycle(def);
  }

  // A typedef may not reach itself, directly (`typedef A B; typedef B A`)
  // or through a container (`typedef list<A> A`): the type would be
  // infinite.
  void check_typedef_cycle(const Typedef& root) {
    std::set<const Typedef*> visited;
    std::function<bool(const TypeRef&)> reaches_root =
        [&](const TypeRef& type) {
          for (const TypeRef& param : type.params) {
            if (reaches_root(param)) return true;
          }
          const Typedef* next = type.resolved_typedef;
          if (next == nullptr) return false;
          if (next == &root) return true;
          return visited.insert(next).second && reaches_root(next->type);
        };
    if (reaches_root(root.type)) {
      diags_.error(root.loc,
                   fmt::format("typedef `{}` refers to itself", root.name));
    }
  }

  void check_extends_cycle(const Service& root) {
    std::set<const Service*> visited;
    for (const Service* s = root.resolved_extends; s != nullptr;
         s = s->resolved_extends) {
      if (s == &root) {
        diags_.error(root.loc,
                     fmt::format("service `{}` extends itself", root.name));
        return;
      }
      if (!visited.insert(s).second) return;  // a cycle not through root
    }
  }

  // Consts may name other consts anywhere in their value; the emitter
  // would recurse forever on `const S A = {"s": A}`.
  void check_const_cycle(const Const& root) {
    std::set<const Const*> visited;
    std::function<bool(const ConstValue&)> reaches_root =
        [&](const ConstValue& value) -> bool {
      for (const ConstValue& item : value.list) {
        if (reaches_root(item)) return true;
      }
      for (const auto& [key, mapped] : value.entries) {
        if (reaches_root(key) || reaches_root(mapped)) return true;
      }
      if (value.kind != ConstValue::Kind::kIdentifier) return false;
      const Const* next = resolve_const_name(value);
      if (next == nullptr) return false;
      if (next == &root) return true;
      return visited.insert(next).second && reaches_root(next->value);
    };
    if (reaches_root(root.value)) {
      diags_.error(root.loc,
                   fmt::format("const `{}` refers to itself", root.name));
    }
  }

  // Which const an identifier value names, without checking types; used
  // before values are checked, so it looks the name up itself.
  const Const* resolve_const_name(const ConstValue& value) {
    const Symbol* symbol = lookup(*value.loc.program, value.text);
    if (symbol == nullptr || symbol->kind != DefinitionRef::Kind::kConst) {
      return nullptr;
    }
    return static_cast<const Const*>(symbol->node);
  }

  // --- per-definition checks ----------------------------------------------

  void check_program(Program& program, bool check_values) {
    for (Typedef& def : program.typedefs) warn_keyword(def.name, def.loc);
    for (Enum& def : program.enums) check_enum(def);
    for (Const& def : program.consts) {
      warn_keyword(def.name, def.loc);
      if (check_values) {
        check_value(program, def.value, def.type,
                    fmt::format("const `{}`", def.name));
      }
    }
    for (Struct& def : program.structs) {
      warn_keyword(def.name, def.loc);
      check_fields(program, def.fields, fmt::format("`{}`", def.name),
                   check_values);
    }
    for (Service& service : program.services) {
      check_service(program, service, check_values);
    }
  }

  void warn_keyword(const std::string& name, const SourceLoc& loc) {
    if (is_cpp_keyword(name)) {
      diags_.warning(loc, fmt::format("`{}` is a C++ keyword; it is "
                                      "generated as `{}_`",
                                      name, name));
    }
  }

  void check_enum(const Enum& def) {
    warn_keyword(def.name, def.loc);
    std::map<std::string_view, const EnumValue*> names;
    for (const EnumValue& value : def.values) {
      warn_keyword(value.name, value.loc);
      if (!fits(value.value, BaseType::kI32)) {
        diags_.error(value.loc, fmt::format("enum value `{}` = {} is outside "
                                            "i32",
                                            value.name, value.value));
      }
      auto [it, inserted] = names.emplace(value.name, &value);
      if (!inserted) {
        diags_.error(value.loc, fmt::format("duplicate enum value `{}` in `{}`",
                                            value.name, def.name));
      }
    }
  }

  // Fields of a struct, an argument list or a throws list (`owner` says
  // which, for messages): unique ids and names, defaults that fit.
  void check_fields(const Program& program, std::vector<Field>& fields,
                    const std::string& owner, bool check_values) {
    std::map<std::int16_t, const Field*> ids;
    std::map<std::string_view, const Field*> names;
    for (Field& field : fields) {
      warn_keyword(field.name, field.loc);
      if (auto [it, inserted] = ids.emplace(field.id, &field); !inserted) {
        diags_.error(
            field.loc,
            fmt::format("duplicate field id {} in {}: `{}` and `{}`", field.id,
                        owner, it->second->name, field.name));
      }
      if (auto [it, inserted] = names.emplace(field.name, &field); !inserted) {
        diags_.error(field.loc, fmt::format("duplicate field name `{}` in {}",
                                            field.name, owner));
      }
      if (check_values && field.default_value) {
        check_value(program, *field.default_value, field.type,
                    fmt::format("default of `{}`", field.name));
      }
    }
  }

  void check_service(const Program& program, Service& service,
                     bool check_values) {
    warn_keyword(service.name, service.loc);
    std::map<std::string_view, const Function*> names;
    for (Function& function : service.functions) {
      warn_keyword(function.name, function.loc);
      if (!names.emplace(function.name, &function).second) {
        diags_.error(function.loc,
                     fmt::format("duplicate function `{}` in service `{}`",
                                 function.name, service.name));
      }
      check_fields(program, function.args,
                   fmt::format("the arguments of `{}`", function.name),
                   check_values);
      check_fields(program, function.throws,
                   fmt::format("the throws of `{}`", function.name),
                   check_values);
      check_throws(function);
      check_oneway(function);
      check_reply_views(function);
    }
  }

  // A client decodes a reply into the value it returns and then releases
  // the reply's bytes, so a `ferry.view` reachable from a return type or a
  // declared exception would dangle. Views are for arguments (the server
  // keeps the request until the reply is written) and plain structs.
  void check_reply_views(const Function& function) {
    std::set<const Struct*> seen;
    auto report = [&](const TypeRef& type, const std::string& what,
                      const std::string& where) {
      const TypeRef* base = underlying_type(type);
      const bool container = base && base->kind != TypeRef::Kind::kBase &&
                             base->kind != TypeRef::Kind::kNamed;
      const std::string place =
          !where.empty()
              ? fmt::format("holds a `ferry.view` string ({})", where)
          : container ? "holds `ferry.view` strings (its elements)"
                      : "is a `ferry.view` string";
      diags_.error(type.loc,
                   fmt::format("{} of `{}` {}; a client's reply is released "
                               "once decoded, so the view would dangle (views "
                               "are for arguments)",
                               what, function.name, place));
    };
    if (auto where = find_view(function.return_type, nullptr, seen))
      report(function.return_type, "the return type", *where);
    for (const Field& ex : function.throws) {
      if (auto where = find_view(ex.type, &ex.annotations, seen))
        report(ex.type, fmt::format("exception `{}`", ex.name), *where);
    }
  }

  // Where a `ferry.view` string sits inside `type`: "`Struct.field`" for
  // the nearest field holding it, "" when `type` itself or its container
  // elements are views; nullopt if nowhere.
  static std::optional<std::string> find_view(
      const TypeRef& type, const Annotations* field_annotations,
      std::set<const Struct*>& seen) {
    if (is_view(type, field_annotations)) return "";
    const TypeRef* base = underlying_type(type);
    if (base == nullptr) return std::nullopt;
    for (const TypeRef& param : base->params) {
      if (auto where = find_view(param, nullptr, seen)) return where;
    }
    const Struct* s = base->resolved_struct;
    if (s == nullptr || !seen.insert(s).second) return std::nullopt;
    for (const Field& field : s->fields) {
      if (auto where = find_view(field.type, &field.annotations, seen))
        return where->empty() ? fmt::format("`{}.{}`", s->name, field.name)
                              : *where;
    }
    return std::nullopt;
  }

  void check_throws(const Function& function) {
    for (const Field& field : function.throws) {
      const TypeRef* type = underlying_type(field.type);
      if (type == nullptr) continue;  // unresolved: already reported
      const Struct* target = type->resolved_struct;
      if (target == nullptr || target->kind != Struct::Kind::kException) {
        diags_.error(field.type.loc,
                     fmt::format("`throws` of `{}` names `{}`, which is not "
                                 "an exception",
                                 function.name, type_name(field.type)));
      }
    }
  }

  void check_oneway(const Function& function) {
    if (!function.oneway) return;
    const TypeRef& ret = function.return_type;
    if (ret.kind != TypeRef::Kind::kBase || ret.base != BaseType::kVoid) {
      diags_.error(
          function.loc,
          fmt::format("oneway function `{}` must return void", function.name));
    }
    if (!function.throws.empty()) {
      diags_.error(function.loc,
                   fmt::format("oneway function `{}` cannot declare `throws`",
                               function.name));
    }
  }

  // --- constant values ----------------------------------------------------

  // Checks `value` against `declared` and resolves the names in it.
  // `what` names the constant for messages ("const `X`").
  void check_value(const Program& program, ConstValue& value,
                   const TypeRef& declared, const std::string& what) {
    const TypeRef* type = underlying_type(declared);
    if (type == nullptr) return;  // unresolved type: already reported
    if (value.kind == ConstValue::Kind::kIdentifier) {
      check_identifier_value(program, value, declared, *type, what);
      return;
    }
    switch (type->kind) {
      case TypeRef::Kind::kBase:
        check_base_value(value, declared, type->base, what);
        return;
      case TypeRef::Kind::kNamed:
        if (type->resolved_enum != nullptr) {
          check_enum_int(value, *type->resolved_enum, what);
        } else if (type->resolved_struct != nullptr) {
          check_struct_value(program, value, declared, *type->resolved_struct,
                             what);
        }
        return;
      case TypeRef::Kind::kList:
      case TypeRef::Kind::kSet:
        normalize_empty(value, ConstValue::Kind::kList);
        if (value.kind != ConstValue::Kind::kList) {
          return mismatch(value, declared, what);
        }
        for (ConstValue& item : value.list) {
          check_value(program, item, type->params[0], what);
        }
        return;
      case TypeRef::Kind::kMap:
        normalize_empty(value, ConstValue::Kind::kMap);
        if (value.kind != ConstValue::Kind::kMap) {
          return mismatch(value, declared, what);
        }
        for (auto& [key, mapped] : value.entries) {
          check_value(program, key, type->params[0], what);
          check_value(program, mapped, type->params[1], what);
        }
        return;
    }
  }

  // Apache accepts `{}` for an empty list or set (ThriftTest's
  // `set<binary> bin_set = {}`) and `[]` for an empty map; rewriting the
  // kind spares the emitter the special case.
  static void normalize_empty(ConstValue& value, ConstValue::Kind wanted) {
    bool empty_list_or_map =
        (value.kind == ConstValue::Kind::kList && value.list.empty()) ||
        (value.kind == ConstValue::Kind::kMap && value.entries.empty());
    if (empty_list_or_map) value.kind = wanted;
  }

  void mismatch(const ConstValue& value, const TypeRef& declared,
                const std::string& what) {
    diags_.error(value.loc,
                 fmt::format("{} has type `{}` but its value is {}", what,
                             type_name(declared), describe_value(value)));
  }

  void check_base_value(const ConstValue& value, const TypeRef& declared,
                        BaseType base, const std::string& what) {
    using Kind = ConstValue::Kind;
    bool ok = false;
    switch (base) {
      case BaseType::kVoid:
        break;
      case BaseType::kBool:
        ok = value.kind == Kind::kInt;
        break;
      case BaseType::kByte:
      case BaseType::kI16:
      case BaseType::kI32:
      case BaseType::kI64:
        if (value.kind == Kind::kInt && !fits(value.int_value, base)) {
          diags_.error(value.loc,
                       fmt::format("{}: {} is out of range for {}", what,
                                   value.int_value, base_type_name(base)));
          return;
        }
        ok = value.kind == Kind::kInt;
        break;
      case BaseType::kDouble:
        ok = value.kind == Kind::kInt || value.kind == Kind::kDouble;
        break;
      case BaseType::kString:
      case BaseType::kBinary:
      case BaseType::kUuid:
        ok = value.kind == Kind::kString;
        break;
    }
    if (!ok) mismatch(value, declared, what);
  }

  // An enum constant written as a number must be one of the enum's values.
  void check_enum_int(const ConstValue& value, const Enum& target,
                      const std::string& what) {
    if (value.kind != ConstValue::Kind::kInt) {
      diags_.error(value.loc,
                   fmt::format("{} has enum type `{}` but its "
                               "value is {}",
                               what, target.name, describe_value(value)));
      return;
    }
    for (const EnumValue& member : target.values) {
      if (member.value == value.int_value) return;
    }
    diags_.error(value.loc, fmt::format("{}: {} is not a value of enum `{}`",
                                        what, value.int_value, target.name));
  }

  // A struct constant is written as a map from field names to values.
  void check_struct_value(const Program& program, ConstValue& value,
                          const TypeRef& declared, const Struct& target,
                          const std::string& what) {
    normalize_empty(value, ConstValue::Kind::kMap);
    if (value.kind != ConstValue::Kind::kMap) {
      return mismatch(value, declared, what);
    }
    for (auto& [key, mapped] : value.entries) {
      if (key.kind != ConstValue::Kind::kString) {
        diags_.error(key.loc,
                     fmt::format("{}: a field of `{}` must be named "
                                 "by a string, not {}",
                                 what, target.name, describe_value(key)));
        continue;
      }
      const Field* field = nullptr;
      for (const Field& f : target.fields) {
        if (f.name == key.text) field = &f;
      }
      if (field == nullptr) {
        diags_.error(key.loc, fmt::format("{}: `{}` has no field `{}`", what,
                                          target.name, key.text));
        continue;
      }
      check_value(program, mapped, field->type, what);
    }
  }

  // A name in a constant: another const (`MY_CONST`, `shared.MY_CONST`) or
  // an enum member (`Numberz.ONE`, `shared.Numberz.ONE`, or `ONE` where an
  // enum of that type is expected).
  void check_identifier_value(const Program& program, ConstValue& value,
                              const TypeRef& declared, const TypeRef& type,
                              const std::string& what) {
    const Symbol* symbol = lookup(program, value.text);
    if (symbol != nullptr && symbol->kind == DefinitionRef::Kind::kConst) {
      value.resolved_const = static_cast<const Const*>(symbol->node);
      check_const_reference(value, declared, type, what);
      return;
    }
    const Enum* expected_enum = type.resolved_enum;
    if (resolve_enum_member(program, value, expected_enum)) {
      check_enum_member_use(value, declared, type, what);
      return;
    }
    if (expected_enum != nullptr) {
      diags_.error(value.loc,
                   fmt::format("{}: `{}` is not a member of enum "
                               "`{}`",
                               what, value.text, expected_enum->name));
      return;
    }
    diags_.error(value.loc,
                 fmt::format("{}: unresolved constant `{}`", what, value.text));
  }

  // Where an enum is expected, Apache resolves a name by its last
  // component in that enum, whatever qualifier was written (EnumTest's
  // `MyEnum2 me2_2 = MyEnum1.ME2_2` means `MyEnum2.ME2_2`); elsewhere the
  // qualifier names the enum.
  bool resolve_enum_member(const Program& program, ConstValue& value,
                           const Enum* expected_enum) {
    std::string_view name = value.text;
    std::size_t dot = name.rfind('.');
    std::string_view member =
        dot == std::string_view::npos ? name : name.substr(dot + 1);
    const Enum* owner = expected_enum;
    if (owner == nullptr && dot != std::string_view::npos) {
      const Symbol* symbol = lookup(program, name.substr(0, dot));
      if (symbol != nullptr && symbol->kind == DefinitionRef::Kind::kEnum) {
        owner = static_cast<const Enum*>(symbol->node);
      }
    }
    if (owner == nullptr) return false;
    for (const EnumValue& candidate : owner->values) {
      if (candidate.name == member) {
        value.resolved_enum = owner;
        value.resolved_enum_value = candidate.value;
        return true;
      }
    }
    return false;
  }

  void check_enum_member_use(const ConstValue& value, const TypeRef& declared,
                             const TypeRef& type, const std::string& what) {
    if (type.resolved_enum != nullptr) {
      if (type.resolved_enum != value.resolved_enum) {
        diags_.error(value.loc,
                     fmt::format("{}: `{}` is not a member of "
                                 "enum `{}`",
                                 what, value.text, type.resolved_enum->name));
      }
      return;
    }
    if (type.kind == TypeRef::Kind::kBase && is_integer(type.base)) {
      if (!fits(value.resolved_enum_value, type.base)) {
        diags_.error(value.loc,
                     fmt::format("{}: {} (`{}`) is out of range "
                                 "for {}",
                                 what, value.resolved_enum_value, value.text,
                                 base_type_name(type.base)));
      }
      return;
    }
    diags_.error(value.loc, fmt::format("{} has type `{}` but its value is "
                                        "the enum value `{}`",
                                        what, type_name(declared), value.text));
  }

  // A reference to another const is fine when the two types are the same
  // after typedefs, or both integers and the referenced value fits.
  void check_const_reference(const ConstValue& value, const TypeRef& declared,
                             const TypeRef& type, const std::string& what) {
    const Const& target = *value.resolved_const;
    const TypeRef* target_type = underlying_type(target.type);
    if (target_type == nullptr || same_type(*target_type, type)) return;
    bool both_integers = type.kind == TypeRef::Kind::kBase &&
                         target_type->kind == TypeRef::Kind::kBase &&
                         is_integer(type.base) && is_integer(target_type->base);
    if (both_integers) {
      if (target.value.kind == ConstValue::Kind::kInt &&
          !fits(target.value.int_value, type.base)) {
        diags_.error(value.loc,
                     fmt::format("{}: `{}` = {} is out of range "
                                 "for {}",
                                 what, value.text, target.value.int_value,
                                 base_type_name(type.base)));
      }
      return;
    }
    diags_.error(value.loc, fmt::format("{} has type `{}` but `{}` has type "
                                        "`{}`",
                                        what, type_name(declared), value.text,
                                        type_name(target.type)));
  }

  static bool same_type(const TypeRef& a_written, const TypeRef& b_written) {
    const TypeRef* a = underlying_type(a_written);
    const TypeRef* b = underlying_type(b_written);
    if (a == nullptr || b == nullptr || a->kind != b->kind) return false;
    switch (a->kind) {
      case TypeRef::Kind::kBase:
        return a->base == b->base;
      case TypeRef::Kind::kNamed:
        return a->resolved_struct == b->resolved_struct &&
               a->resolved_enum == b->resolved_enum;
      default:
        for (std::size_t i = 0; i < a->params.size(); ++i) {
          if (!same_type(a->params[i], b->params[i])) return false;
        }
        return true;
    }
  }

  ProgramSet& set_;
  Diagnostics& diags_;
  std::map<const Program*, Scope> scopes_;
};

}  // namespace

bool analyze(ProgramSet& set, Diagnostics& diags) {
  return Sema(set, diags).run();
}

std::string type_name(const TypeRef& type) {
  switch (type.kind) {
    case TypeRef::Kind::kBase:
      return std::string(base_type_name(type.base));
    case TypeRef::Kind::kNamed:
      return type.name;
    case TypeRef::Kind::kList:
      return fmt::format("list<{}>", type_name(type.params[0]));
    case TypeRef::Kind::kSet:
      return fmt::format("set<{}>", type_name(type.params[0]));
    case TypeRef::Kind::kMap:
      return fmt::format("map<{},{}>", type_name(type.params[0]),
                         type_name(type.params[1]));
  }
  return "?";
}

const TypeRef* underlying_type(const TypeRef& type) {
  const TypeRef* current = &type;
  // A typedef cycle is reported by sema; the bound keeps this total anyway.
  for (int steps = 0; steps < 10000; ++steps) {
    if (current->kind != TypeRef::Kind::kNamed) return current;
    if (current->resolved_typedef == nullptr) {
      bool resolved = current->resolved_struct || current->resolved_enum;
      return resolved ? current : nullptr;
    }
    current = &current->resolved_typedef->type;
  }
  return nullptr;
}

bool is_view(const TypeRef& type, const Annotations* field_annotations) {
  const TypeRef* base = underlying_type(type);
  if (base == nullptr || base->kind != TypeRef::Kind::kBase ||
      (base->base != BaseType::kString && base->base != BaseType::kBinary))
    return false;
  constexpr std::string_view kView = "ferry.view";
  if (field_annotations && find_annotation(*field_annotations, kView))
    return true;
  for (const TypeRef* t = &type;;) {
    if (find_annotation(t->annotations, kView)) return true;
    if (t->kind != TypeRef::Kind::kNamed || !t->resolved_typedef) return false;
    if (find_annotation(t->resolved_typedef->annotations, kView)) return true;
    t = &t->resolved_typedef->type;
  }
}

}  // namespace ferry::idlgen
