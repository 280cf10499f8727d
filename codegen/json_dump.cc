#include "codegen/json_dump.h"

#include <string_view>
#include <utility>
#include <vector>

#include "fmt/format.h"

#include "codegen/sema.h"

namespace ferry::idlgen {
namespace {

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

// Joins already-rendered JSON values into an array or object body.
std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ", ";
    out += items[i];
  }
  return out;
}

std::string_view requiredness_name(Requiredness requiredness) {
  switch (requiredness) {
    case Requiredness::kRequired:
      return "required";
    case Requiredness::kOptional:
      return "optional";
    case Requiredness::kDefault:
      return "default";
  }
  return "default";
}

std::string_view struct_kind_name(Struct::Kind kind) {
  switch (kind) {
    case Struct::Kind::kStruct:
      return "struct";
    case Struct::Kind::kUnion:
      return "union";
    case Struct::Kind::kException:
      return "exception";
  }
  return "struct";
}

std::string field_json(const Field& field, const Program& context) {
  return fmt::format(
      R"({{"id": {}, "name": {}, "requiredness": "{}", "type": {}, )"
      R"("wire_type": {}}})",
      field.id, quote(field.name), requiredness_name(field.requiredness),
      quote(type_name(field.type)), quote(wire_type_name(field.type, context)));
}

std::string fields_json(const std::vector<Field>& fields,
                        const Program& context) {
  std::vector<std::string> items;
  for (const Field& field : fields) items.push_back(field_json(field, context));
  return "[" + join(items) + "]";
}

std::string typedef_json(const Typedef& def, const Program& context) {
  return fmt::format(R"({{"name": {}, "type": {}, "wire_type": {}}})",
                     quote(def.name), quote(type_name(def.type)),
                     quote(wire_type_name(def.type, context)));
}

std::string enum_json(const Enum& def) {
  std::vector<std::string> values;
  for (const EnumValue& value : def.values) {
    values.push_back(fmt::format(R"({{"name": {}, "value": {}}})",
                                 quote(value.name), value.value));
  }
  return fmt::format(R"({{"name": {}, "values": [{}]}})", quote(def.name),
                     join(values));
}

std::string struct_json(const Struct& def, const Program& context) {
  return fmt::format(R"({{"name": {}, "kind": "{}", "fields": {}}})",
                     quote(def.name), struct_kind_name(def.kind),
                     fields_json(def.fields, context));
}

std::string function_json(const Function& function, const Program& context) {
  return fmt::format(R"({{"name": {}, "oneway": {}, "return_type": {}, )"
                     R"("return_wire_type": {}, "args": {}, "throws": {}}})",
                     quote(function.name), function.oneway ? "true" : "false",
                     quote(type_name(function.return_type)),
                     quote(wire_type_name(function.return_type, context)),
                     fields_json(function.args, context),
                     fields_json(function.throws, context));
}

std::string service_json(const Service& service, const Program& context) {
  std::vector<std::string> functions;
  for (const Function& function : service.functions) {
    functions.push_back(function_json(function, context));
  }
  return fmt::format(R"({{"name": {}, "extends": {}, "functions": [{}]}})",
                     quote(service.name), quote(service.extends),
                     join(functions));
}

template <class Container, class Render>
std::string array_of(const Container& items, Render render) {
  std::vector<std::string> rendered;
  for (const auto& item : items) rendered.push_back(render(item));
  return "[" + join(rendered) + "]";
}

}  // namespace

std::string wire_type_name(const TypeRef& type, const Program& context) {
  const TypeRef* wire = underlying_type(type);
  if (wire == nullptr) return type_name(type);
  switch (wire->kind) {
    case TypeRef::Kind::kBase:
      return type_name(*wire);
    case TypeRef::Kind::kNamed: {
      if (wire->resolved_enum != nullptr) return "i32";
      const Struct& def = *wire->resolved_struct;
      const Program* owner = def.loc.program;
      if (owner == nullptr || owner == &context) return def.name;
      return owner->name + "." + def.name;
    }
    case TypeRef::Kind::kList:
      return fmt::format("list<{}>", wire_type_name(wire->params[0], context));
    case TypeRef::Kind::kSet:
      return fmt::format("set<{}>", wire_type_name(wire->params[0], context));
    case TypeRef::Kind::kMap:
      return fmt::format("map<{},{}>", wire_type_name(wire->params[0], context),
                         wire_type_name(wire->params[1], context));
  }
  return "?";
}

std::string dump_json(const Program& program) {
  std::vector<std::string> includes;
  for (const Include& include : program.includes) {
    includes.push_back(quote(include.program ? include.program->name
                                             : include.path_as_written));
  }
  std::vector<std::string> namespaces;
  for (const auto& [scope, name] : program.namespaces) {
    namespaces.push_back(quote(scope) + ": " + quote(name));
  }
  auto in_context = [&program](auto render) {
    return [&program, render](const auto& def) { return render(def, program); };
  };
  return fmt::format(
      "{{\"name\": {}, \"path\": {}, \"includes\": [{}], \"namespaces\": "
      "{{{}}},\n \"typedefs\": {},\n \"enums\": {},\n \"structs\": {},\n "
      "\"services\": {}}}\n",
      quote(program.name), quote(program.path), join(includes),
      join(namespaces), array_of(program.typedefs, in_context(typedef_json)),
      array_of(program.enums, enum_json),
      array_of(program.structs, in_context(struct_json)),
      array_of(program.services, in_context(service_json)));
}

}  // namespace ferry::idlgen
