#include "codegen/emit_common.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>

#include "codegen/cpp_names.h"

namespace ferry::idlgen::emit {

void CodeWriter::raw_line(std::string_view text) {
  if (!text.empty()) out_.append(static_cast<std::size_t>(depth_) * 2, ' ');
  out_ += text;
  out_ += '\n';
}

void CodeWriter::trim_blank() {
  if (out_.size() >= 2 && out_.ends_with("\n\n")) out_.pop_back();
}

StructModel model_of(const Struct& s) {
  return StructModel{
      .node = &s, .cpp_name = cpp_name(s.name), .wire_name = s.name};
}

namespace {

// "a.b.c" → "a::b::c", each part through the keyword rule.
std::string dotted_to_cpp(std::string_view dotted) {
  std::string out;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    std::size_t end = dotted.find('.', start);
    if (end == std::string_view::npos) end = dotted.size();
    std::string_view part = dotted.substr(start, end - start);
    if (!part.empty()) {
      if (!out.empty()) out += "::";
      out += cpp_name(part);
    }
    start = end + 1;
  }
  return out;
}

const std::string* type_annotation(const TypeRef& type, std::string_view key) {
  return find_annotation(type.annotations, key);
}

}  // namespace

std::string cpp_namespace(const Program& program, const EmitOptions& options) {
  std::string ns;
  if (auto it = program.namespaces.find("cpp"); it != program.namespaces.end())
    ns = dotted_to_cpp(it->second);
  else if (auto star = program.namespaces.find("*");
           star != program.namespaces.end())
    ns = dotted_to_cpp(star->second);
  std::string prefix = dotted_to_cpp(options.namespace_prefix);
  // The prefix may also be written with `::`; dotted_to_cpp left those.
  if (prefix.empty()) return ns;
  if (ns.empty()) return prefix;
  return prefix + "::" + ns;
}

std::string qualified(const Program* owner, std::string_view idl_name,
                      const EmitOptions& options) {
  std::string ns = owner ? cpp_namespace(*owner, options) : "";
  std::string out = "::";
  if (!ns.empty()) out += ns + "::";
  return out + cpp_name(idl_name);
}

const TypeRef& resolve(const TypeRef& type) {
  const TypeRef* t = &type;
  while (t->kind == TypeRef::Kind::kNamed && t->resolved_typedef)
    t = &t->resolved_typedef->type;
  return *t;
}

bool has_custom_type(const TypeRef& type) {
  for (const TypeRef* t = &type;;) {
    if (type_annotation(*t, "cpp.type")) return true;
    if (t->kind != TypeRef::Kind::kNamed || !t->resolved_typedef) return false;
    if (find_annotation(t->resolved_typedef->annotations, "cpp.type"))
      return true;
    t = &t->resolved_typedef->type;
  }
}

namespace {

std::string base_cpp_type(BaseType base) {
  switch (base) {
    case BaseType::kVoid:
      return "void";
    case BaseType::kBool:
      return "bool";
    case BaseType::kByte:
      return "std::int8_t";
    case BaseType::kI16:
      return "std::int16_t";
    case BaseType::kI32:
      return "std::int32_t";
    case BaseType::kI64:
      return "std::int64_t";
    case BaseType::kDouble:
      return "double";
    case BaseType::kString:
    case BaseType::kBinary:
      return "std::string";
    case BaseType::kUuid:
      return "::ferry::codec::Uuid";
  }
  return "void";
}

}  // namespace

std::string cpp_type(const TypeRef& type, const EmitOptions& options,
                     bool view) {
  if (const std::string* custom = type_annotation(type, "cpp.type"))
    return *custom;
  switch (type.kind) {
    case TypeRef::Kind::kBase:
      if (view || type_annotation(type, "ferry.view")) {
        if (type.base == BaseType::kString || type.base == BaseType::kBinary)
          return "std::string_view";
      }
      return base_cpp_type(type.base);
    case TypeRef::Kind::kNamed: {
      // A field-level `ferry.view` on a typedef'd string overrides the
      // typedef's own spelling.
      if (view && type.resolved_typedef) return "std::string_view";
      const Program* owner = nullptr;
      std::string_view name;
      if (type.resolved_struct) {
        owner = type.resolved_struct->loc.program;
        name = type.resolved_struct->name;
      } else if (type.resolved_enum) {
        owner = type.resolved_enum->loc.program;
        name = type.resolved_enum->name;
      } else if (type.resolved_typedef) {
        owner = type.resolved_typedef->loc.program;
        name = type.resolved_typedef->name;
      }
      return qualified(owner, name, options);
    }
    case TypeRef::Kind::kList:
    case TypeRef::Kind::kSet: {
      const std::string* tmpl = type_annotation(type, "cpp.template");
      std::string container = tmpl ? *tmpl
                              : type.kind == TypeRef::Kind::kList
                                  ? "std::vector"
                                  : "std::set";
      return container + "<" + cpp_type(type.params.at(0), options) + ">";
    }
    case TypeRef::Kind::kMap: {
      const std::string* tmpl = type_annotation(type, "cpp.template");
      return (tmpl ? *tmpl : std::string("std::map")) + "<" +
             cpp_type(type.params.at(0), options) + ", " +
             cpp_type(type.params.at(1), options) + ">";
    }
  }
  return "void";
}

bool is_boxed(const Field& field) {
  return field.reference || find_annotation(field.annotations, "cpp.ref") ||
         find_annotation(field.annotations, "cpp2.ref");
}

std::string field_type(const Field& field, const EmitOptions& options) {
  std::string t =
      cpp_type(field.type, options, is_view(field.type, &field.annotations));
  if (const std::string* custom =
          find_annotation(field.annotations, "cpp.type"))
    t = *custom;
  if (is_boxed(field)) return "::ferry::codec::Box<" + t + ">";
  if (field.requiredness == Requiredness::kOptional)
    return "std::optional<" + t + ">";
  return t;
}

std::string ttype(const TypeRef& type) {
  const TypeRef& t = resolve(type);
  std::string_view name = "kStop";
  switch (t.kind) {
    case TypeRef::Kind::kBase:
      switch (t.base) {
        case BaseType::kVoid:
          name = "kVoid";
          break;
        case BaseType::kBool:
          name = "kBool";
          break;
        case BaseType::kByte:
          name = "kByte";
          break;
        case BaseType::kI16:
          name = "kI16";
          break;
        case BaseType::kI32:
          name = "kI32";
          break;
        case BaseType::kI64:
          name = "kI64";
          break;
        case BaseType::kDouble:
          name = "kDouble";
          break;
        case BaseType::kString:
        case BaseType::kBinary:
          name = "kString";
          break;
        case BaseType::kUuid:
          name = "kUuid";
          break;
      }
      break;
    case TypeRef::Kind::kNamed:
      name = t.resolved_enum ? "kI32" : "kStruct";
      break;
    case TypeRef::Kind::kList:
      name = "kList";
      break;
    case TypeRef::Kind::kSet:
      name = "kSet";
      break;
    case TypeRef::Kind::kMap:
      name = "kMap";
      break;
  }
  return fmt::format("::ferry::codec::TType::{}", name);
}

std::string string_literal(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u >= 0x7f || c == '?') {
      // Octal escapes are at most three digits, so a following digit can't
      // extend them; `?` is escaped against trigraph-like sequences.
      out += fmt::format("\\{:03o}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

namespace {

std::string int_literal(std::int64_t v) {
  if (v == std::numeric_limits<std::int64_t>::min())
    return "(-9223372036854775807 - 1)";
  if (v == std::numeric_limits<std::int32_t>::min()) return "(-2147483647 - 1)";
  return std::to_string(v);
}

std::string double_literal(double d) {
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string uuid_literal(std::string_view text) {
  std::vector<int> digits;
  for (char c : text)
    if (int d = hex_digit(c); d >= 0) digits.push_back(d);
  digits.resize(32, 0);  // sema checked the form
  std::string out = "::ferry::codec::Uuid{{";
  for (std::size_t i = 0; i < 16; ++i) {
    if (i) out += ", ";
    out += fmt::format("0x{:02x}", digits[2 * i] * 16 + digits[2 * i + 1]);
  }
  return out + "}}";
}

// The enumerator of `e` with value `v`, as qualified C++.
std::string enumerator(const Enum& e, std::int64_t v,
                       const EmitOptions& options) {
  std::string type = qualified(e.loc.program, e.name, options);
  for (const EnumValue& ev : e.values)
    if (ev.value == v) return type + "::" + cpp_name(ev.name);
  return fmt::format("static_cast<{}>({})", type, int_literal(v));
}

std::int64_t int_of(const ConstValue& value) {
  if (value.kind == ConstValue::Kind::kIdentifier) {
    if (value.resolved_const) return int_of(value.resolved_const->value);
    return value.resolved_enum_value;
  }
  if (value.kind == ConstValue::Kind::kDouble)
    return static_cast<std::int64_t>(value.double_value);
  return value.int_value;
}

}  // namespace

std::string const_expr(const ConstValue& value, const TypeRef& type,
                       const EmitOptions& options) {
  // References to other constants are inlined: the value, converted to the
  // type needed here, avoids conversions between (say) a `string_view`
  // constant and a `std::string` member.
  if (value.kind == ConstValue::Kind::kIdentifier && value.resolved_const)
    return const_expr(value.resolved_const->value, type, options);
  const TypeRef& t = resolve(type);
  switch (t.kind) {
    case TypeRef::Kind::kBase:
      switch (t.base) {
        case BaseType::kBool:
          return int_of(value) ? "true" : "false";
        case BaseType::kDouble:
          if (value.kind == ConstValue::Kind::kDouble)
            return double_literal(value.double_value);
          return double_literal(static_cast<double>(int_of(value)));
        case BaseType::kString:
        case BaseType::kBinary:
          if (value.text.find('\0') != std::string::npos)
            return fmt::format("std::string_view({}, {})",
                               string_literal(value.text), value.text.size());
          return string_literal(value.text);
        case BaseType::kUuid:
          return uuid_literal(value.text);
        default:
          return int_literal(int_of(value));
      }
    case TypeRef::Kind::kNamed:
      if (t.resolved_enum) {
        if (value.kind == ConstValue::Kind::kIdentifier && value.resolved_enum)
          return enumerator(*value.resolved_enum, value.resolved_enum_value,
                            options);
        return enumerator(*t.resolved_enum, int_of(value), options);
      }
      if (t.resolved_struct) {
        // A struct constant is a map from field names to values; built in an
        // immediately-invoked lambda so unions (set_*), optional and boxed
        // fields all take plain assignments.
        const Struct& s = *t.resolved_struct;
        std::string out = fmt::format("[] {{ {} v; ", cpp_type(type, options));
        for (const auto& [key, val] : value.entries) {
          for (const Field& f : s.fields) {
            if (f.name != key.text) continue;
            std::string expr = const_expr(val, f.type, options);
            if (s.kind == Struct::Kind::kUnion) {
              out += fmt::format("v.set_{}({}); ", member_name(f), expr);
            } else {
              std::string vt =
                  cpp_type(f.type, options, is_view(f.type, &f.annotations));
              out += fmt::format("v.{} = {}({}); ", member_name(f), vt, expr);
            }
          }
        }
        return out + "return v; }()";
      }
      break;
    case TypeRef::Kind::kList:
    case TypeRef::Kind::kSet: {
      std::string out = cpp_type(type, options) + "{";
      const char* sep = "";
      for (const ConstValue& e : value.list) {
        out += sep + const_expr(e, t.params.at(0), options);
        sep = ", ";
      }
      return out + "}";
    }
    case TypeRef::Kind::kMap: {
      std::string out = cpp_type(type, options) + "{";
      const char* sep = "";
      for (const auto& [k, v] : value.entries) {
        out += fmt::format("{}{{{}, {}}}", sep,
                           const_expr(k, t.params.at(0), options),
                           const_expr(v, t.params.at(1), options));
        sep = ", ";
      }
      return out + "}";
    }
  }
  return "{}";
}

std::string banner(const Program& program, const EmitOptions& options) {
  namespace fs = std::filesystem;
  std::string shown = program.path;
  if (!options.source_root.empty()) {
    std::error_code ec;
    fs::path file = fs::absolute(program.path, ec).lexically_normal();
    fs::path root = fs::absolute(options.source_root, ec).lexically_normal();
    fs::path rel = file.lexically_relative(root);
    shown =
        rel.empty() ? file.filename().generic_string() : rel.generic_string();
  }
  return fmt::format(
      "// Generated by idlgen from {}. DO NOT EDIT.\n// @generated\n", shown);
}

void emit_doc(CodeWriter& out, std::string_view doc) {
  std::size_t start = 0;
  while (start < doc.size()) {
    std::size_t end = doc.find('\n', start);
    if (end == std::string_view::npos) end = doc.size();
    std::string_view line = doc.substr(start, end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty())
      out.raw_line("//");
    else
      out.line("// {}", line);
    start = end + 1;
  }
}

void open_namespace(CodeWriter& out, const std::string& ns) {
  if (ns.empty()) return;
  out.line("namespace {} {{", ns);
  out.blank();
}

void close_namespace(CodeWriter& out, const std::string& ns) {
  if (ns.empty()) return;
  out.trim_blank();
  out.blank();
  out.line("}}  // namespace {}", ns);
}

std::string member_name(const Field& field) { return cpp_name(field.name); }

}  // namespace ferry::idlgen::emit
