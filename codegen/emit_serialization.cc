#include "codegen/emit_serialization.h"

#include <functional>
#include <string>
#include <vector>

#include "codegen/emit_types.h"

namespace ferry::idlgen::emit {
namespace {

// Builds the statement that leaves `read` when a sub-read fails: given the
// failing Status expression, wraps it in the path helpers of the enclosing
// containers (element, map key/value) and ends in the field's exit (see
// field_wrap) or a plain `return s;`.
using Wrap = std::function<std::string(const std::string&)>;

std::string local_ttype(const TypeRef& type) {
  // Bodies declare `using TType = ::ferry::codec::TType;`.
  std::string t = ttype(type);
  return t.substr(t.rfind("TType::"));
}

// `if (auto s = <call>; !s.ok()) [[unlikely]] { <wrap(s)> }`
void check(CodeWriter& out, const std::string& call, const Wrap& wrap) {
  out.open(fmt::format("if (auto s = {}; !s.ok()) [[unlikely]] {{", call));
  out.line("{}", wrap("std::move(s)"));
  out.close("}");
}

std::string base_suffix(BaseType base, bool view) {
  switch (base) {
    case BaseType::kBool:
      return "bool";
    case BaseType::kByte:
      return "byte";
    case BaseType::kI16:
      return "i16";
    case BaseType::kI32:
      return "i32";
    case BaseType::kI64:
      return "i64";
    case BaseType::kDouble:
      return "double";
    case BaseType::kString:
      return view ? "string_view" : "string";
    case BaseType::kBinary:
      return view ? "string_view" : "binary";
    case BaseType::kUuid:
      return "uuid";
    case BaseType::kVoid:
      break;
  }
  return "void";
}

std::string plain_base_type(BaseType base, bool view) {
  switch (base) {
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
      return view ? "std::string_view" : "std::string";
    case BaseType::kUuid:
      return "::ferry::codec::Uuid";
    case BaseType::kVoid:
      break;
  }
  return "void";
}

bool is_numeric(BaseType base) {
  return base != BaseType::kString && base != BaseType::kBinary &&
         base != BaseType::kUuid;
}

void write_value(CodeWriter& out, const TypeRef& type, const std::string& expr,
                 bool view, int depth) {
  const TypeRef& t = resolve(type);
  const std::string d = std::to_string(depth);
  switch (t.kind) {
    case TypeRef::Kind::kBase: {
      std::string suffix = base_suffix(t.base, false);
      if (has_custom_type(type) && is_numeric(t.base))
        out.line("w.write_{}(static_cast<{}>({}));", suffix,
                 plain_base_type(t.base, false), expr);
      else
        out.line("w.write_{}({});", suffix, expr);
      return;
    }
    case TypeRef::Kind::kNamed:
      if (t.resolved_enum)
        out.line("w.write_i32(static_cast<std::int32_t>({}));", expr);
      else if (expr.starts_with("*"))
        out.line("({}).write(w);", expr);
      else
        out.line("{}.write(w);", expr);
      return;
    case TypeRef::Kind::kList:
    case TypeRef::Kind::kSet: {
      const char* what = t.kind == TypeRef::Kind::kList ? "list" : "set";
      const TypeRef& elem = t.params.at(0);
      out.line("w.write_{}_begin({}, ::ferry::codec::wire_size({}));", what,
               local_ttype(elem), expr);
      out.open(fmt::format("for (const auto& e{} : {}) {{", d, expr));
      write_value(out, elem, "e" + d, is_view(elem, nullptr), depth + 1);
      out.close("}");
      out.line("w.write_{}_end();", what);
      return;
    }
    case TypeRef::Kind::kMap: {
      const TypeRef& key = t.params.at(0);
      const TypeRef& value = t.params.at(1);
      out.line("w.write_map_begin({}, {}, ::ferry::codec::wire_size({}));",
               local_ttype(key), local_ttype(value), expr);
      out.open(fmt::format("for (const auto& [k{0}, v{0}] : {1}) {{", d, expr));
      write_value(out, key, "k" + d, is_view(key, nullptr), depth + 1);
      write_value(out, value, "v" + d, is_view(value, nullptr), depth + 1);
      out.close("}");
      out.raw_line("w.write_map_end();");
      return;
    }
  }
  static_cast<void>(view);
}

// Reads a value of `type` into the lvalue `target`.
// `scoped`: the caller's block holds only this read, so its locals need no
// block of their own.
void read_value(CodeWriter& out, const TypeRef& type, const std::string& target,
                bool view, int depth, const Wrap& wrap,
                const EmitOptions& options, bool scoped = true) {
  const TypeRef& t = resolve(type);
  const std::string d = std::to_string(depth);
  switch (t.kind) {
    case TypeRef::Kind::kBase: {
      std::string suffix = base_suffix(t.base, view);
      if (has_custom_type(type)) {
        // A `cpp.type` value: read the wire type, then convert.
        if (!scoped) out.open("{");
        out.line("{} tmp{}{{}};", plain_base_type(t.base, view), d);
        check(out, fmt::format("r.read_{}(tmp{})", suffix, d), wrap);
        out.line("{} = std::move(tmp{});", target, d);
        if (!scoped) out.close("}");
      } else {
        check(out, fmt::format("r.read_{}({})", suffix, target), wrap);
      }
      return;
    }
    case TypeRef::Kind::kNamed:
      if (t.resolved_enum) {
        if (!scoped) out.open("{");
        out.line("std::int32_t n{} = 0;", d);
        check(out, fmt::format("r.read_i32(n{})", d), wrap);
        out.line("{} = static_cast<{}>(n{});", target, cpp_type(type, options),
                 d);
        if (!scoped) out.close("}");
      } else {
        check(out, target + ".read(r)", wrap);
      }
      return;
    case TypeRef::Kind::kList:
    case TypeRef::Kind::kSet: {
      const bool list = t.kind == TypeRef::Kind::kList;
      const char* what = list ? "list" : "set";
      const TypeRef& elem = t.params.at(0);
      const bool elem_view = is_view(elem, nullptr);
      const std::string elem_type = cpp_type(elem, options);
      if (!scoped) out.open("{");
      out.line("TType et{} = TType::kStop;", d);
      out.line("std::uint32_t n{} = 0;", d);
      check(out, fmt::format("r.read_{}_begin(et{}, n{})", what, d, d), wrap);
      out.open(fmt::format("if (n{0} != 0 && et{0} != {1}) [[unlikely]] {{", d,
                           local_ttype(elem)));
      // A changed element type (the IDL evolved): skip the elements, as
      // for an unknown field, and leave the container empty.
      out.open(fmt::format(
          "for (std::uint32_t i{0} = 0; i{0} < n{0}; ++i{0}) {{", d));
      check(out, fmt::format("r.skip(et{})", d),
            [&wrap, &options, d](const std::string& x) {
              return options.error_paths
                         ? wrap(fmt::format(
                               "::ferry::codec::at_element({}, i{})", x, d))
                         : wrap(x);
            });
      out.close("}");
      out.line("n{} = 0;", d);
      out.close("}");
      out.line("{}.clear();", target);
      out.line("::ferry::codec::reserve_bounded({}, n{});", target, d);
      out.open(fmt::format(
          "for (std::uint32_t i{0} = 0; i{0} < n{0}; ++i{0}) {{", d));
      Wrap at = [&wrap, &options, d](const std::string& s) {
        return options.error_paths
                   ? wrap(fmt::format("::ferry::codec::at_element({}, i{})", s,
                                      d))
                   : wrap(s);
      };
      const bool is_bool = resolve(elem).kind == TypeRef::Kind::kBase &&
                           resolve(elem).base == BaseType::kBool;
      if (list && !is_bool) {
        out.line("auto& e{} = {}.emplace_back();", d, target);
        read_value(out, elem, "e" + d, elem_view, depth + 1, at, options, true);
      } else {
        // Sets insert a finished element; `std::vector<bool>` has no
        // element references.
        out.line("{} e{}{{}};", elem_type, d);
        read_value(out, elem, "e" + d, elem_view, depth + 1, at, options, true);
        if (list)
          out.line("{}.push_back(e{});", target, d);
        else
          out.line("{0}.emplace_hint({0}.end(), std::move(e{1}));", target, d);
      }
      out.close("}");
      check(out, fmt::format("r.read_{}_end()", what), wrap);
      if (!scoped) out.close("}");
      return;
    }
    case TypeRef::Kind::kMap: {
      const TypeRef& key = t.params.at(0);
      const TypeRef& value = t.params.at(1);
      if (!scoped) out.open("{");
      out.line("TType kt{0} = TType::kStop;", d);
      out.line("TType vt{0} = TType::kStop;", d);
      out.line("std::uint32_t n{} = 0;", d);
      check(out, fmt::format("r.read_map_begin(kt{0}, vt{0}, n{0})", d), wrap);
      out.open(fmt::format(
          "if (n{0} != 0 && (kt{0} != {1} || vt{0} != {2})) [[unlikely]] {{", d,
          local_ttype(key), local_ttype(value)));
      out.open(fmt::format(
          "for (std::uint32_t i{0} = 0; i{0} < n{0}; ++i{0}) {{", d));
      check(out, fmt::format("r.skip(kt{})", d),
            [&wrap, &options, d](const std::string& x) {
              return options.error_paths
                         ? wrap(fmt::format(
                               "::ferry::codec::at_map_key({}, i{})", x, d))
                         : wrap(x);
            });
      check(out, fmt::format("r.skip(vt{})", d),
            [&wrap, &options, d](const std::string& x) {
              return options.error_paths
                         ? wrap(fmt::format(
                               "::ferry::codec::at_map_value({}, i{})", x, d))
                         : wrap(x);
            });
      out.close("}");
      out.line("n{} = 0;", d);
      out.close("}");
      out.line("{}.clear();", target);
      out.line("::ferry::codec::reserve_bounded({}, n{});", target, d);
      out.open(fmt::format(
          "for (std::uint32_t i{0} = 0; i{0} < n{0}; ++i{0}) {{", d));
      Wrap at_key = [&wrap, &options, d](const std::string& s) {
        return options.error_paths
                   ? wrap(fmt::format("::ferry::codec::at_map_key({}, i{})", s,
                                      d))
                   : wrap(s);
      };
      Wrap at_value = [&wrap, &options, d](const std::string& s) {
        return options.error_paths
                   ? wrap(fmt::format("::ferry::codec::at_map_value({}, i{})",
                                      s, d))
                   : wrap(s);
      };
      out.line("{} k{}{{}};", cpp_type(key, options), d);
      read_value(out, key, "k" + d, is_view(key, nullptr), depth + 1, at_key,
                 options, false);
      // A repeated key reads into the existing entry, as Apache does.
      out.line("auto& v{0} = ::ferry::codec::map_slot({1}, std::move(k{0}));",
               d, target);
      read_value(out, value, "v" + d, is_view(value, nullptr), depth + 1,
                 at_value, options, true);
      out.close("}");
      check(out, "r.read_map_end()", wrap);
      if (!scoped) out.close("}");
      return;
    }
  }
}

// The exit of a failed read of field `index` (in IDL order). With error
// paths, every failure site only records the status and the field and jumps
// to the one `failed:` block at the end of `read`, which adds the path: one
// cold call per function instead of one per site keeps the hot loop small
// (GCC leaves cold blocks of template functions inline). The status is the
// function's one named return value, so it lives in the caller's return
// slot (NRVO) and costs the success path nothing beyond the OK store every
// return makes (a separate local took a stack slot, its initialisation and a
// callee-saved register: ~4 instructions per call). Without error paths
// (a benchmark-only variant) failures return the reader's status as it is.
Wrap field_wrap(std::size_t index, const EmitOptions& options) {
  if (!options.error_paths) {
    // `return s;` of the local status, which the compiler may elide
    // (`return std::move(s);` trips -Wpessimizing-move).
    return [](const std::string& s) {
      return s == "std::move(s)" ? std::string("return s;")
                                 : fmt::format("return {};", s);
    };
  }
  return [index](const std::string& s) {
    return fmt::format("status = {}; failed_field = {}; goto failed;", s,
                       index);
  };
}

std::string quoted(std::string_view s) { return fmt::format("\"{}\"", s); }

void write_field(CodeWriter& out, const Field& f, const std::string& expr) {
  out.line("w.write_field_begin({}, {}, {});", quoted(f.name),
           local_ttype(f.type), f.id);
  write_value(out, f.type, expr, is_view(f.type, &f.annotations), 0);
  out.raw_line("w.write_field_end();");
}

// Emits `template <…> <head> { using TType = …; <body> }`, declaring the
// alias only when the body uses it (an unused local alias warns).
void emit_function(CodeWriter& out, std::string_view tmpl,
                   std::string_view head, const CodeWriter& body_in) {
  CodeWriter body = body_in;
  std::string text = body.take();
  out.raw_line(tmpl);
  out.open(fmt::format("{} {{", head));
  if (text.find("TType::") != std::string::npos)
    out.raw_line("using TType = ::ferry::codec::TType;");
  out.append(text);
  out.close("}");
  out.blank();
}

}  // namespace

void emit_struct_write(CodeWriter& out, const StructModel& m,
                       const EmitOptions& options) {
  static_cast<void>(options);
  CodeWriter body;
  body.indent();
  body.line("w.write_struct_begin({});", quoted(m.wire_name));
  const Struct& s = *m.node;
  if (s.kind == Struct::Kind::kUnion) {
    if (!s.fields.empty()) {
      body.open("switch (this->value_.index()) {");
      for (std::size_t i = 0; i < s.fields.size(); ++i) {
        const Field& f = s.fields[i];
        body.open(fmt::format("case {}: {{", i + 1));
        body.line("const auto& v = {}std::get_if<{}>(&this->value_);",
                  is_boxed(f) ? "**" : "*", i + 1);
        write_field(body, f, "v");
        body.raw_line("break;");
        body.close("}");
      }
      body.raw_line("default:");
      body.raw_line("  break;");
      body.close("}");
    }
  } else {
    bool first = true;
    for (const Field& f : s.fields) {
      const std::string name = "this->" + member_name(f);
      const bool conditional =
          is_boxed(f) || f.requiredness == Requiredness::kOptional;
      if (m.write_first_set_only) {
        body.open(fmt::format("{}if ({}) {{", first ? "" : "} else ", name));
        write_field(body, f, "*" + name);
        body.dedent();
      } else if (conditional) {
        body.open(fmt::format("if ({}) {{", name));
        write_field(body, f, "*" + name);
        body.close("}");
      } else {
        write_field(body, f, name);
      }
      first = false;
    }
    if (m.write_first_set_only && !s.fields.empty()) body.raw_line("}");
  }
  body.raw_line("w.write_field_stop();");
  body.raw_line("w.write_struct_end();");
  body.dedent();
  emit_function(out, "template <::ferry::codec::ProtocolWriter W>",
                fmt::format("void {}::write(W& w) const", m.cpp_name), body);
}

void emit_struct_read(CodeWriter& out, const StructModel& m,
                      const EmitOptions& options) {
  const Struct& s = *m.node;
  const bool is_union = s.kind == Struct::Kind::kUnion;
  std::vector<const Field*> required;
  for (const Field& f : s.fields)
    if (f.requiredness == Requiredness::kRequired && !is_union)
      required.push_back(&f);
  auto bit = [&](const Field* f) {
    for (std::size_t i = 0; i < required.size(); ++i)
      if (required[i] == f) return i;
    return required.size();
  };
  const std::size_t words = (required.size() + 63) / 64;

  CodeWriter body;
  body.indent();
  const bool single_exit = options.error_paths && !s.fields.empty();
  // With a single exit every return names `status` (see field_wrap).
  const Wrap plain = [single_exit](const std::string&) {
    return std::string(single_exit ? "status = std::move(s); return status;"
                                   : "return s;");
  };
  auto returned = [single_exit](const std::string& value) {
    return single_exit ? fmt::format("status = {}; return status;", value)
                       : fmt::format("return {};", value);
  };
  if (single_exit) {
    body.raw_line("::ferry::Status status;  // the return value (NRVO)");
    body.raw_line("std::size_t failed_field = 0;");
  }
  check(body, "r.read_struct_begin()", plain);
  if (is_union) body.raw_line("this->value_.emplace<0>();");
  for (std::size_t i = 0; i < words; ++i)
    body.line("std::uint64_t seen{} = 0;", i);
  body.raw_line("TType ft = TType::kStop;");
  body.raw_line("std::int16_t fid = 0;");
  body.open("while (true) {");
  check(body, "r.read_field_begin(ft, fid)", plain);
  body.raw_line("if (ft == TType::kStop) break;");
  if (!s.fields.empty()) {
    body.open("switch (fid) {");
    for (std::size_t i = 0; i < s.fields.size(); ++i) {
      const Field& f = s.fields[i];
      const Wrap wrap = field_wrap(i, options);
      body.line("case {}:", f.id);
      body.indent();
      body.open(
          fmt::format("if (ft == {}) [[likely]] {{", local_ttype(f.type)));
      std::string target = "this->" + member_name(f);
      if (is_union) {
        body.open("if (this->value_.index() != 0) [[unlikely]] {");
        body.line("{}",
                  wrap("::ferry::codec::invalid_error(\"more than one union "
                       "member set\")"));
        body.close("}");
        body.line("auto& v = this->value_.emplace<{}>(){};", i + 1,
                  is_boxed(f) ? ".emplace()" : "");
        target = "v";
      } else if (is_boxed(f) || f.requiredness == Requiredness::kOptional) {
        body.line("auto& v = {}.emplace();", target);
        target = "v";
      }
      read_value(body, f.type, target, is_view(f.type, &f.annotations), 0, wrap,
                 options, true);
      if (std::size_t b = bit(&f); b < required.size())
        body.line("seen{} |= std::uint64_t{{1}} << {};", b / 64, b % 64);
      body.dedent();
      body.open(fmt::format(
          "}} else if (auto s = r.skip(ft); !s.ok()) [[unlikely]] {{"));
      body.line("{}", wrap("std::move(s)"));
      body.close("}");
      body.raw_line("break;");
      body.dedent();
    }
    body.raw_line("default:");
    body.indent();
    check(body, "r.skip(ft)", plain);
    body.raw_line("break;");
    body.dedent();
    body.close("}");
  } else {
    check(body, "r.skip(ft)", plain);
  }
  check(body, "r.read_field_end()", plain);
  body.close("}");
  check(body, "r.read_struct_end()", plain);
  for (std::size_t w = 0; w < words; ++w) {
    const std::size_t n = std::min<std::size_t>(64, required.size() - w * 64);
    const std::string all =
        n == 64 ? "~std::uint64_t{0}"
                : fmt::format("(std::uint64_t{{1}} << {}) - 1", n);
    body.open(fmt::format("if (seen{} != {}) [[unlikely]] {{", w, all));
    for (std::size_t i = 0; i < n; ++i) {
      const Field& f = *required[w * 64 + i];
      body.open(
          fmt::format("if (!(seen{} & (std::uint64_t{{1}} << {}))) {{", w, i));
      body.line("{}", returned(fmt::format(
                          "::ferry::codec::missing_required(\"{}\", \"{}\")",
                          m.wire_name, f.name)));
      body.close("}");
    }
    body.close("}");
  }
  body.raw_line(single_exit ? "return status;" : "return ::ferry::Status();");
  if (single_exit) {
    body.dedent();
    body.raw_line("failed:");
    body.indent();
    body.open("{");
    std::string names;
    for (const Field& f : s.fields)
      names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", f.name);
    body.line("static constexpr std::string_view kFields[] = {{{}}};", names);
    body.line(
        "status = ::ferry::codec::in_field(std::move(status), \"{}\", "
        "kFields[failed_field]);",
        m.wire_name);
    body.raw_line("return status;");
    body.close("}");
  }
  body.dedent();
  emit_function(out, "template <::ferry::codec::ProtocolReader R>",
                fmt::format("::ferry::Status {}::read(R& r)", m.cpp_name),
                body);
}

void emit_instantiations(CodeWriter& out, Protocol protocol,
                         const std::string& ns,
                         const std::vector<std::string>& class_names) {
  if (class_names.empty()) return;
  const char* p = protocol == Protocol::kBinary ? "Binary" : "Compact";
  out.raw_line("namespace {");
  out.blank();
  out.line(
      "using {0}Out = ::ferry::codec::{0}Writer<::ferry::codec::WriteBuffer>;",
      p);
  out.line(
      "using {0}SpanIn = ::ferry::codec::{0}Reader<::ferry::codec::SpanInput>;",
      p);
  out.line(
      "using {0}ChainIn = "
      "::ferry::codec::{0}Reader<::ferry::codec::ChainInput>;",
      p);
  out.blank();
  out.raw_line("}  // namespace");
  out.blank();
  open_namespace(out, ns);
  for (const std::string& name : class_names) {
    out.line("template void {}::write({}Out& w) const;", name, p);
    out.line("template ::ferry::Status {}::read({}SpanIn& r);", name, p);
    out.line("template ::ferry::Status {}::read({}ChainIn& r);", name, p);
  }
  close_namespace(out, ns);
}

std::string emit_types_tcc(const Program& program, const EmitOptions& options) {
  CodeWriter out;
  out.append(banner(program, options));
  out.raw_line("#pragma once");
  out.blank();
  out.line("// Serialization bodies for {}_types.h. Include this file to use",
           program.name);
  out.raw_line("// the types with a protocol other than binary and compact.");
  out.blank();
  out.line("#include \"{}_types.h\"", program.name);
  out.blank();
  out.raw_line("#include <cstdint>");
  out.raw_line("#include <utility>");
  out.raw_line("#include <variant>");
  out.blank();
  out.raw_line("#include \"codec/decode_error.h\"");
  out.raw_line("#include \"codec/protocol.h\"");
  out.raw_line("#include \"codec/type_support.h\"");
  out.raw_line("#include \"runtime/status.h\"");
  for (const Include& inc : program.includes)
    if (inc.program) out.line("#include \"{}_types.tcc\"", inc.program->name);
  out.blank();
  const std::string ns = cpp_namespace(program, options);
  open_namespace(out, ns);
  for (const Struct* s : ordered_structs(program)) {
    StructModel m = model_of(*s);
    emit_struct_write(out, m, options);
    emit_struct_read(out, m, options);
  }
  close_namespace(out, ns);
  return out.take();
}

std::string emit_types_protocol_source(const Program& program,
                                       const EmitOptions& options,
                                       Protocol protocol) {
  CodeWriter out;
  out.append(banner(program, options));
  out.blank();
  out.line("// Explicit instantiations of {}_types.tcc for the {} protocol.",
           program.name, protocol == Protocol::kBinary ? "binary" : "compact");
  out.line("#include \"{}_types.tcc\"", program.name);
  out.blank();
  out.raw_line("#include \"codec/buffer.h\"");
  out.line("#include \"codec/{}_protocol.h\"",
           protocol == Protocol::kBinary ? "binary" : "compact");
  out.raw_line("#include \"runtime/status.h\"");
  out.blank();
  std::vector<std::string> names;
  for (const Struct* s : ordered_structs(program))
    names.push_back(model_of(*s).cpp_name);
  emit_instantiations(out, protocol, cpp_namespace(program, options), names);
  return out.take();
}

}  // namespace ferry::idlgen::emit
