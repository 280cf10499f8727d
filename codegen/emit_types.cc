#include "codegen/emit_types.h"

#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/cpp_names.h"

namespace ferry::idlgen::emit {
namespace {

bool is_union(const StructModel& m) {
  return m.node->kind == Struct::Kind::kUnion;
}

// Structs of `program` that `type` holds by value.
void value_deps(const TypeRef& type, const Program& program,
                std::vector<const Struct*>& deps) {
  const TypeRef& t = resolve(type);
  if (t.kind == TypeRef::Kind::kNamed) {
    if (t.resolved_struct && t.resolved_struct->loc.program == &program)
      deps.push_back(t.resolved_struct);
    return;
  }
  for (const TypeRef& p : t.params) value_deps(p, program, deps);
}

// The initializer a plain member gets when the IDL gives no default, so
// aggregates never hold indeterminate values (Apache zero-initializes too).
std::string zero_init(const Field& f) {
  if (is_boxed(f) || f.requiredness == Requiredness::kOptional) return "";
  if (has_custom_type(f.type) || find_annotation(f.annotations, "cpp.type"))
    return "{}";
  const TypeRef& t = resolve(f.type);
  if (t.kind == TypeRef::Kind::kNamed && t.resolved_enum) return "{}";
  if (t.kind != TypeRef::Kind::kBase) return "";
  switch (t.base) {
    case BaseType::kBool:
      return " = false";
    case BaseType::kByte:
    case BaseType::kI16:
    case BaseType::kI32:
    case BaseType::kI64:
      return " = 0";
    case BaseType::kDouble:
      return " = 0.0";
    default:
      return "";
  }
}

bool orderable(const Struct& s, std::set<const Struct*>& visiting);

// Whether values of `type` have a usable `<=>`. Clang warns about a
// defaulted `<=>` that ends up deleted, so structs only declare one when
// every member orders: no boxes (they exist for recursion), no recursion
// (through containers the type is incomplete where `<=>` is declared), no
// unordered containers, no custom `cpp.type`.
bool orderable(const TypeRef& type, std::set<const Struct*>& visiting) {
  if (has_custom_type(type)) return false;
  const TypeRef& t = resolve(type);
  if (const std::string* tmpl = find_annotation(t.annotations, "cpp.template"))
    if (tmpl->find("unordered") != std::string::npos) return false;
  if (t.kind == TypeRef::Kind::kNamed)
    return !t.resolved_struct || orderable(*t.resolved_struct, visiting);
  for (const TypeRef& p : t.params)
    if (!orderable(p, visiting)) return false;
  return true;
}

bool orderable(const Struct& s, std::set<const Struct*>& visiting) {
  if (!visiting.insert(&s).second) return false;  // recursive
  bool ok = true;
  for (const Field& f : s.fields)
    if (is_boxed(f) || find_annotation(f.annotations, "cpp.type") ||
        !orderable(f.type, visiting))
      ok = false;
  visiting.erase(&s);
  return ok;
}

bool orderable(const Struct& s) {
  std::set<const Struct*> visiting;
  return orderable(s, visiting);
}

std::string pascal_case(std::string_view name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper
               ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
               : c;
    upper = false;
  }
  return out;
}

// `Which` enumerator names of a union's members: `k` + PascalCase, or, if
// two members would collide (`foo_bar` and `fooBar`), `k` + PascalCase +
// the member's position.
std::vector<std::string> union_tags(const Struct& s) {
  std::vector<std::string> tags;
  std::set<std::string> seen = {"kEmpty"};
  bool clash = false;
  for (const Field& f : s.fields) {
    tags.push_back("k" + pascal_case(f.name));
    if (!seen.insert(tags.back()).second) clash = true;
  }
  if (clash)
    for (std::size_t i = 0; i < tags.size(); ++i)
      tags[i] += std::to_string(i + 1);
  return tags;
}

void emit_comparisons(CodeWriter& out, const StructModel& m) {
  out.line("friend bool operator==(const {0}&, const {0}&) = default;",
           m.cpp_name);
  if (orderable(*m.node)) {
    // `auto`: partial ordering when a double is involved; deleted (not an
    // error) when a member has no `<=>`, e.g. an unordered_map.
    out.line("friend auto operator<=>(const {0}&, const {0}&) = default;",
             m.cpp_name);
  }
}

void emit_serialization_decls(CodeWriter& out) {
  out.raw_line("template <::ferry::codec::ProtocolWriter W>");
  out.raw_line("void write(W& w) const;");
  out.raw_line("template <::ferry::codec::ProtocolReader R>");
  out.raw_line("::ferry::Status read(R& r);");
}

void emit_plain_struct(CodeWriter& out, const StructModel& m,
                       const EmitOptions& options) {
  out.open(fmt::format("struct {} {{", m.cpp_name));
  if (m.node->kind == Struct::Kind::kException) {
    out.raw_line(
        "// Exceptions travel as values; generated code never throws.");
    out.raw_line("static constexpr bool kIsException = true;");
    out.blank();
  }
  for (const Field& f : m.node->fields) {
    emit_doc(out, f.doc);
    if (is_view(f.type, &f.annotations)) {
      out.raw_line(
          "// Zero-copy (ferry.view): points into the decoded input; valid");
      out.raw_line("// only while the buffer it was read from lives.");
    }
    std::string init = zero_init(f);
    if (f.default_value && !is_boxed(f))
      init = " = " + const_expr(*f.default_value, f.type, options);
    out.line("{} {}{};", field_type(f, options), member_name(f), init);
  }
  if (!m.node->fields.empty()) out.blank();
  emit_comparisons(out, m);
  out.blank();
  emit_serialization_decls(out);
  out.close("};");
}

void emit_union(CodeWriter& out, const StructModel& m,
                const EmitOptions& options) {
  const Struct& s = *m.node;
  std::vector<std::string> tags = union_tags(s);
  out.raw_line("// A union: at most one member is set. `which()` says which;");
  out.raw_line("// `foo()` requires `is_foo()`; `set_foo(v)` replaces the set");
  out.raw_line("// member.");
  out.open(fmt::format("class {} {{", m.cpp_name));
  out.dedent();
  out.raw_line(" public:");
  out.indent();
  out.open("enum class Which : std::uint8_t {");
  out.raw_line("kEmpty = 0,");
  for (std::size_t i = 0; i < s.fields.size(); ++i)
    out.line("{} = {},", tags[i], i + 1);
  out.close("};");
  out.blank();
  out.line(
      "Which which() const noexcept {{ return "
      "static_cast<Which>(value_.index()); "
      "}}");
  out.raw_line(
      "bool is_empty() const noexcept { return value_.index() == 0; }");
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    const std::string name = member_name(f);
    const std::string t =
        cpp_type(f.type, options, is_view(f.type, &f.annotations));
    const std::size_t idx = i + 1;
    out.blank();
    emit_doc(out, f.doc);
    out.line("bool is_{}() const noexcept {{ return value_.index() == {}; }}",
             name, idx);
    if (is_boxed(f)) {
      // Defined after every struct (emit_union_box_accessors): the boxed
      // type may not be complete yet.
      out.line("const {}& {}() const;", t, name);
      out.line("{}& {}();", t, name);
      out.line("{}& set_{}({} value);", t, name, t);
      continue;
    }
    out.line("const {}& {}() const {{ return *std::get_if<{}>(&value_); }}", t,
             name, idx);
    out.line("{}& {}() {{ return *std::get_if<{}>(&value_); }}", t, name, idx);
    out.open(fmt::format("{}& set_{}({} value) {{", t, name, t));
    out.line("return value_.emplace<{}>(std::move(value));", idx);
    out.close("}");
  }
  out.blank();
  emit_comparisons(out, m);
  out.blank();
  emit_serialization_decls(out);
  out.blank();
  out.dedent();
  out.raw_line(" private:");
  out.indent();
  std::string alternatives = "std::monostate";
  for (const Field& f : s.fields) {
    std::string t = cpp_type(f.type, options, is_view(f.type, &f.annotations));
    if (is_boxed(f)) t = "::ferry::codec::Box<" + t + ">";
    alternatives += ", " + t;
  }
  out.line("std::variant<{}> value_;", alternatives);
  out.close("};");
}

void emit_enum(CodeWriter& out, const Enum& e) {
  emit_doc(out, e.doc);
  const std::string name = cpp_name(e.name);
  out.open(fmt::format("enum class {} : std::int32_t {{", name));
  for (const EnumValue& v : e.values) {
    emit_doc(out, v.doc);
    out.line("{} = {},", cpp_name(v.name), v.value);
  }
  out.close("};");
  out.raw_line("// The value's IDL name; \"\" for values the IDL doesn't");
  out.raw_line("// declare (Thrift enums are open).");
  out.line("std::string_view enum_name({} value);", name);
  out.raw_line("// Sets `out` to the value named `name`; false if none is.");
  out.line("bool enum_from_name(std::string_view name, {}& out);", name);
  out.raw_line("// The name, or the number for undeclared values.");
  out.line("std::ostream& operator<<(std::ostream& os, {} value);", name);
  out.blank();
}

// Typedefs, ordered so each follows the typedefs of this program it names.
std::vector<const Typedef*> ordered_typedefs(const Program& program) {
  std::vector<const Typedef*> order;
  std::set<const Typedef*> done;
  std::function<void(const TypeRef&)> visit_type;
  std::function<void(const Typedef*)> visit = [&](const Typedef* td) {
    if (!done.insert(td).second) return;
    visit_type(td->type);
    order.push_back(td);
  };
  visit_type = [&](const TypeRef& t) {
    if (t.resolved_typedef && t.resolved_typedef->loc.program == &program)
      visit(t.resolved_typedef);
    for (const TypeRef& p : t.params) visit_type(p);
  };
  for (const Typedef& td : program.typedefs) visit(&td);
  return order;
}

// Whether a constant can be `inline constexpr`: scalars, enums and strings
// (as `std::string_view`) without custom C++ types.
bool literal_const(const Const& c) {
  if (has_custom_type(c.type)) return false;
  const TypeRef& t = resolve(c.type);
  if (t.kind == TypeRef::Kind::kNamed) return t.resolved_enum != nullptr;
  return t.kind == TypeRef::Kind::kBase && t.base != BaseType::kUuid;
}

void emit_const(CodeWriter& out, const Const& c, const EmitOptions& options) {
  emit_doc(out, c.doc);
  const TypeRef& t = resolve(c.type);
  std::string value = const_expr(c.value, c.type, options);
  if (literal_const(c)) {
    bool text = t.kind == TypeRef::Kind::kBase &&
                (t.base == BaseType::kString || t.base == BaseType::kBinary);
    std::string type = text ? "std::string_view" : cpp_type(c.type, options);
    out.line("inline constexpr {} {} = {};", type, cpp_name(c.name), value);
  } else {
    out.line("inline const {} {} = {};", cpp_type(c.type, options),
             cpp_name(c.name), value);
  }
}

// Standard headers for `cpp.template` containers spelled `std::…`.
void collect_template_headers(const TypeRef& t, std::set<std::string>& out) {
  if (const std::string* tmpl =
          find_annotation(t.annotations, "cpp.template")) {
    std::string_view name = *tmpl;
    if (name.starts_with("::")) name.remove_prefix(2);
    if (name.starts_with("std::")) out.insert(std::string(name.substr(5)));
  }
  for (const TypeRef& p : t.params) collect_template_headers(p, out);
}

std::set<std::string> template_headers(const Program& program) {
  static const std::set<std::string> kKnown = {
      "deque",         "list", "forward_list", "unordered_map",
      "unordered_set", "map",  "set",          "vector"};
  std::set<std::string> found;
  for (const Typedef& td : program.typedefs)
    collect_template_headers(td.type, found);
  for (const Struct& s : program.structs)
    for (const Field& f : s.fields) collect_template_headers(f.type, found);
  for (const Const& c : program.consts) collect_template_headers(c.type, found);
  for (const Service& svc : program.services)
    for (const Function& fn : svc.functions) {
      collect_template_headers(fn.return_type, found);
      for (const Field& f : fn.args) collect_template_headers(f.type, found);
    }
  std::set<std::string> out;
  for (const std::string& h : found)
    if (kKnown.contains(h)) out.insert(h);
  return out;
}

// Out-of-line accessors of boxed union members, emitted after all structs.
// Boxed members hide the box: the accessors hand out the value, which the
// union keeps allocated while the member is set.
void emit_union_box_accessors(CodeWriter& out, const StructModel& m,
                              const EmitOptions& options) {
  if (!is_union(m)) return;
  const Struct& s = *m.node;
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    if (!is_boxed(f)) continue;
    const std::string name = member_name(f);
    const std::string t =
        cpp_type(f.type, options, is_view(f.type, &f.annotations));
    out.open(
        fmt::format("inline const {}& {}::{}() const {{", t, m.cpp_name, name));
    out.line("return **std::get_if<{}>(&value_);", i + 1);
    out.close("}");
    out.open(fmt::format("inline {}& {}::{}() {{", t, m.cpp_name, name));
    out.line("return **std::get_if<{}>(&value_);", i + 1);
    out.close("}");
    out.open(fmt::format("inline {}& {}::set_{}({} value) {{", t, m.cpp_name,
                         name, t));
    out.line("return *value_.emplace<{}>(std::move(value));", i + 1);
    out.close("}");
    out.blank();
  }
}

}  // namespace

std::vector<const Struct*> ordered_structs(const Program& program) {
  std::vector<const Struct*> order;
  std::map<const Struct*, int> state;  // 1 visiting, 2 done
  std::function<void(const Struct*)> visit = [&](const Struct* s) {
    if (state[s] != 0) return;  // done, or a cycle: leave it to Box/vector
    state[s] = 1;
    for (const Field& f : s->fields) {
      if (is_boxed(f)) continue;
      std::vector<const Struct*> deps;
      value_deps(f.type, program, deps);
      for (const Struct* d : deps)
        if (d != s) visit(d);
    }
    state[s] = 2;
    order.push_back(s);
  };
  for (const Struct& s : program.structs) visit(&s);
  return order;
}

void emit_struct_decl(CodeWriter& out, const StructModel& model,
                      const EmitOptions& options) {
  emit_doc(out, model.node->doc);
  if (is_union(model))
    emit_union(out, model, options);
  else
    emit_plain_struct(out, model, options);
  out.line("std::ostream& operator<<(std::ostream& os, const {}& value);",
           model.cpp_name);
  out.blank();
}

void emit_struct_printer(CodeWriter& out, const StructModel& m,
                         const EmitOptions& options) {
  out.open(fmt::format(
      "std::ostream& operator<<(std::ostream& os, const {}& value) {{",
      m.cpp_name));
  out.line("::ferry::codec::StructPrinter p(os, \"{}\");", m.wire_name);
  const Struct& s = *m.node;
  if (is_union(m)) {
    std::vector<std::string> tags = union_tags(s);
    out.open("switch (value.which()) {");
    for (std::size_t i = 0; i < s.fields.size(); ++i) {
      out.line("case {}::Which::{}:", m.cpp_name, tags[i]);
      out.indent();
      out.line("p.field(\"{}\", value.{}());", s.fields[i].name,
               member_name(s.fields[i]));
      out.raw_line("break;");
      out.dedent();
    }
    out.line("case {}::Which::kEmpty:", m.cpp_name);
    out.indent();
    out.raw_line("break;");
    out.dedent();
    out.close("}");
  } else {
    if (s.fields.empty()) out.raw_line("static_cast<void>(value);");
    for (const Field& f : s.fields) {
      if (is_boxed(f) || f.requiredness == Requiredness::kOptional) {
        out.open(fmt::format("if (value.{}) {{", member_name(f)));
        out.line("p.field(\"{}\", *value.{});", f.name, member_name(f));
        out.close("}");
      } else {
        out.line("p.field(\"{}\", value.{});", f.name, member_name(f));
      }
    }
  }
  out.raw_line("return p.finish();");
  out.close("}");
  out.blank();
}

std::string emit_types_header(const Program& program,
                              const EmitOptions& options) {
  CodeWriter out;
  out.append(banner(program, options));
  out.raw_line("#pragma once");
  out.blank();
  out.line("// Types of {}.thrift: enums, typedefs, structs, unions,",
           program.name);
  out.raw_line("// exceptions and constants.");
  out.raw_line("//");
  out.raw_line(
      "// Structs are aggregates (fields in IDL order, optional fields as");
  out.raw_line("// std::optional, `&` fields as ::ferry::codec::Box) with");
  out.raw_line("//   template <ProtocolWriter W> void write(W& w) const;");
  out.raw_line("//   template <ProtocolReader R> ::ferry::Status read(R& r);");
  out.line("// whose bodies are in {}_types.tcc (include it for a custom",
           program.name);
  out.raw_line(
      "// protocol; binary and compact are instantiated in the library).");
  out.raw_line(
      "// `read` assigns the fields present in the input and leaves the");
  out.raw_line("// others as they were: read into a fresh object.");
  if (!program.doc.empty()) {
    out.raw_line("//");
    emit_doc(out, program.doc);
  }
  out.blank();
  std::set<std::string> std_headers = {
      "compare", "cstdint",     "iosfwd",  "map",     "optional", "set",
      "string",  "string_view", "utility", "variant", "vector"};
  std_headers.merge(template_headers(program));
  for (const std::string& h : std_headers) out.line("#include <{}>", h);
  out.blank();
  out.raw_line("#include \"codec/protocol.h\"");
  out.raw_line("#include \"codec/type_support.h\"");
  out.raw_line("#include \"runtime/status.h\"");
  for (const Include& inc : program.includes)
    if (inc.program) out.line("#include \"{}_types.h\"", inc.program->name);
  for (const std::string& inc : program.cpp_includes) {
    if (inc.starts_with("<"))
      out.line("#include {}", inc);
    else
      out.line("#include \"{}\"", inc);
  }
  out.blank();
  const std::string ns = cpp_namespace(program, options);
  open_namespace(out, ns);

  if (!program.structs.empty()) {
    for (const Struct& s : program.structs)
      out.line("{} {};", s.kind == Struct::Kind::kUnion ? "class" : "struct",
               cpp_name(s.name));
    out.blank();
  }
  for (const Enum& e : program.enums) emit_enum(out, e);
  for (const Typedef* td : ordered_typedefs(program)) {
    emit_doc(out, td->doc);
    std::string target =
        cpp_type(td->type, options, is_view(td->type, nullptr));
    if (const std::string* custom =
            find_annotation(td->annotations, "cpp.type"))
      target = *custom;
    if (is_view(td->type, nullptr) ||
        find_annotation(td->annotations, "ferry.view"))
      target = "std::string_view";
    out.line("using {} = {};", cpp_name(td->name), target);
  }
  if (!program.typedefs.empty()) out.blank();
  for (const Struct* s : ordered_structs(program))
    emit_struct_decl(out, model_of(*s), options);
  for (const Struct* s : ordered_structs(program))
    emit_union_box_accessors(out, model_of(*s), options);
  for (const Const& c : program.consts) emit_const(out, c, options);
  close_namespace(out, ns);
  return out.take();
}

std::string emit_types_source(const Program& program,
                              const EmitOptions& options) {
  CodeWriter out;
  out.append(banner(program, options));
  out.blank();
  out.line("#include \"{}_types.h\"", program.name);
  out.blank();
  out.raw_line("#include <cstdint>");
  out.raw_line("#include <ostream>");
  out.raw_line("#include <string_view>");
  out.blank();
  out.raw_line("#include \"codec/type_support.h\"");
  out.blank();
  const std::string ns = cpp_namespace(program, options);
  open_namespace(out, ns);
  for (const Enum& e : program.enums) {
    const std::string name = cpp_name(e.name);
    out.open(fmt::format("std::string_view enum_name({} value) {{", name));
    if (e.values.empty()) {
      out.raw_line("static_cast<void>(value);");
    } else {
      out.open("switch (value) {");
      std::set<std::int64_t> seen;  // aliases: the first name wins
      for (const EnumValue& v : e.values) {
        if (!seen.insert(v.value).second) continue;
        out.line("case {}::{}:", name, cpp_name(v.name));
        out.indent();
        out.line("return \"{}\";", v.name);
        out.dedent();
      }
      out.close("}");
    }
    out.raw_line("return \"\";");
    out.close("}");
    out.blank();
    out.open(fmt::format(
        "bool enum_from_name(std::string_view name, {}& out) {{", name));
    for (const EnumValue& v : e.values) {
      out.open(fmt::format("if (name == \"{}\") {{", v.name));
      out.line("out = {}::{};", name, cpp_name(v.name));
      out.raw_line("return true;");
      out.close("}");
    }
    if (e.values.empty()) {
      out.raw_line("static_cast<void>(name);");
      out.raw_line("static_cast<void>(out);");
    }
    out.raw_line("return false;");
    out.close("}");
    out.blank();
    out.open(fmt::format(
        "std::ostream& operator<<(std::ostream& os, {} value) {{", name));
    out.raw_line("std::string_view name = enum_name(value);");
    out.raw_line(
        "if (name.empty()) return os << static_cast<std::int32_t>(value);");
    out.raw_line("return os << name;");
    out.close("}");
    out.blank();
  }
  for (const Struct* s : ordered_structs(program))
    emit_struct_printer(out, model_of(*s), options);
  close_namespace(out, ns);
  return out.take();
}

}  // namespace ferry::idlgen::emit
