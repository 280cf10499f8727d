#include "codegen/emit_services.h"

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "codegen/cpp_names.h"
#include "codegen/emit_common.h"
#include "codegen/emit_serialization.h"
#include "codegen/emit_types.h"

namespace ferry::idlgen::emit {
namespace {

// The args/result structs of every function, synthesized as AST structs so
// the ordinary struct emitters produce them. Owns the synthesized nodes.
class ServiceStructs {
 public:
  explicit ServiceStructs(const Program& program) {
    for (const Service& svc : program.services) {
      for (const Function& fn : svc.functions) {
        const std::string base = svc.name + "_" + fn.name;
        Struct& args = nodes_.emplace_back();
        args.name = base + "_args";
        args.fields = fn.args;
        models_.push_back(model_of(args));
        if (fn.oneway) continue;
        Struct& result = nodes_.emplace_back();
        result.name = base + "_result";
        if (!is_void(fn.return_type)) {
          Field success;
          success.id = 0;
          success.name = "success";
          success.type = fn.return_type;
          success.requiredness = Requiredness::kOptional;
          result.fields.push_back(std::move(success));
        }
        for (const Field& ex : fn.throws) {
          Field f = ex;
          f.requiredness = Requiredness::kOptional;
          f.default_value.reset();
          result.fields.push_back(std::move(f));
        }
        StructModel m = model_of(result);
        m.write_first_set_only = true;
        models_.push_back(std::move(m));
      }
    }
  }
  const std::vector<StructModel>& models() const { return models_; }

  static bool is_void(const TypeRef& t) {
    return t.kind == TypeRef::Kind::kBase && t.base == BaseType::kVoid;
  }

 private:
  std::deque<Struct> nodes_;  // stable addresses for the models
  std::vector<StructModel> models_;
};

// `base`, with `_` appended until no name in `taken` spells it.
std::string fresh_name(std::string base, const std::set<std::string>& taken) {
  while (taken.contains(base)) base += '_';
  return base;
}

std::set<std::string> arg_names(const Function& fn) {
  std::set<std::string> out;
  for (const Field& f : fn.args) out.insert(member_name(f));
  return out;
}

// A C++ character literal for byte `c` (identifier characters as
// themselves, anything else in octal).
std::string char_literal(unsigned char c) {
  const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '_' || c == '.';
  if (plain) return fmt::format("'{}'", static_cast<char>(c));
  return fmt::format("'\\{:03o}'", c);
}

struct NamedIndex {
  std::string_view name;
  std::size_t index = 0;
};

// Emits statements returning the index of the entry of `entries` (all of
// one length, distinct) spelled `name`, else -1: a switch on the byte
// position with the most distinct values among them, nested until one
// candidate is left, which one comparison verifies.
void emit_byte_dispatch(CodeWriter& out,
                        const std::vector<NamedIndex>& entries) {
  if (entries.size() == 1) {
    out.line("return name == {} ? {} : -1;", string_literal(entries[0].name),
             entries[0].index);
    return;
  }
  std::size_t best = 0;
  std::size_t best_count = 0;
  for (std::size_t pos = 0; pos < entries[0].name.size(); ++pos) {
    std::set<unsigned char> values;
    for (const NamedIndex& e : entries)
      values.insert(static_cast<unsigned char>(e.name[pos]));
    if (values.size() > best_count) {
      best = pos;
      best_count = values.size();
    }
  }
  std::map<unsigned char, std::vector<NamedIndex>> groups;
  for (const NamedIndex& e : entries)
    groups[static_cast<unsigned char>(e.name[best])].push_back(e);
  out.open(fmt::format("switch (name[{}]) {{", best));
  for (const auto& [byte, group] : groups) {
    out.line("case {}:", char_literal(byte));
    out.indent();
    emit_byte_dispatch(out, group);
    out.dedent();
  }
  out.raw_line("default:");
  out.raw_line("  return -1;");
  out.close("}");
}

void emit_method_index(CodeWriter& out, const Service& svc) {
  std::map<std::size_t, std::vector<NamedIndex>> by_length;
  for (std::size_t i = 0; i < svc.functions.size(); ++i)
    by_length[svc.functions[i].name.size()].push_back(
        {svc.functions[i].name, i});
  out.raw_line(
      "// The index in `Methods` of the function called `name`, or -1.");
  out.raw_line("// Switches on the length, then on bytes that tell the names");
  out.raw_line("// apart: one full comparison at most, no allocation.");
  out.open(
      "static constexpr int method_index(std::string_view name) noexcept {");
  if (by_length.empty()) {
    out.raw_line("static_cast<void>(name);");
    out.raw_line("return -1;");
  } else {
    out.open("switch (name.size()) {");
    for (const auto& [length, entries] : by_length) {
      out.line("case {}:", length);
      out.indent();
      emit_byte_dispatch(out, entries);
      out.dedent();
    }
    out.raw_line("default:");
    out.raw_line("  return -1;");
    out.close("}");
  }
  out.close("}");
}

// `f(cx, std::move(a.x), …)` for the handler call in `invoke`.
std::string handler_call(const Function& fn, bool with_context) {
  std::string out = cpp_function_name(fn.name) + "(";
  if (with_context) out += "cx";
  for (const Field& f : fn.args) {
    if (out.back() != '(') out += ", ";
    out += fmt::format("std::move(a.{})", member_name(f));
  }
  return out + ")";
}

void emit_invoke(CodeWriter& out, const Function& fn) {
  out.raw_line("template <class H>");
  out.line(
      "static decltype(auto) invoke(H& h, ::ferry::Context& cx, Args&{}) {{",
      fn.args.empty() ? "" : " a");
  out.indent();
  out.line("if constexpr (requires {{ h.{}; }}) {{", handler_call(fn, true));
  out.line("  return h.{};", handler_call(fn, true));
  out.raw_line("} else {");
  out.line("  return h.{};", handler_call(fn, false));
  out.raw_line("}");
  out.close("}");
}

void emit_result_accessors(CodeWriter& out, const Function& fn) {
  if (!ServiceStructs::is_void(fn.return_type))
    out.raw_line(
        "static auto& success(Result& r) noexcept { return r.success; }");
  if (fn.throws.empty()) return;
  const std::size_t n = fn.throws.size();
  out.raw_line("template <std::size_t I>");
  out.open("static auto& exception(Result& r) noexcept {");
  if (n == 1) {
    out.raw_line("static_assert(I == 0);");
    out.line("return r.{};", member_name(fn.throws[0]));
  } else {
    out.line("static_assert(I < {});", n);
    for (std::size_t i = 0; i < n; ++i) {
      if (i == 0)
        out.line("if constexpr (I == {}) {{", i);
      else if (i + 1 < n)
        out.line("}} else if constexpr (I == {}) {{", i);
      else
        out.raw_line("} else {");
      out.line("  return r.{};", member_name(fn.throws[i]));
    }
    out.raw_line("}");
  }
  out.close("}");
}

void emit_service_table(CodeWriter& out, const Service& svc,
                        const EmitOptions& options) {
  emit_doc(out, svc.doc);
  const std::string table = service_table_name(svc.name);
  out.open(fmt::format("struct {} {{", table));
  out.line("static constexpr std::string_view kName = \"{}\";", svc.name);
  if (svc.resolved_extends) {
    const Service& base = *svc.resolved_extends;
    out.raw_line("// The base service's table; its methods are served too.");
    out.line(
        "using Extends = {};",
        qualified(base.loc.program, service_table_name(base.name), options));
  } else {
    out.raw_line("using Extends = void;");
  }
  out.blank();
  std::string methods;
  for (const Function& fn : svc.functions) {
    const std::string base = svc.name + "_" + fn.name;
    emit_doc(out, fn.doc);
    out.open(fmt::format("struct {} {{", cpp_function_name(fn.name)));
    out.line("static constexpr std::string_view kName = \"{}\";", fn.name);
    out.line("static constexpr bool kOneway = {};", fn.oneway);
    out.line("using Args = {}_args;", base);
    if (fn.oneway)
      out.raw_line("using Result = void;");
    else
      out.line("using Result = {}_result;", base);
    out.line("using Return = {};", cpp_type(fn.return_type, options));
    std::string exceptions;
    for (const Field& ex : fn.throws) {
      if (!exceptions.empty()) exceptions += ", ";
      exceptions += cpp_type(ex.type, options);
    }
    out.line("using Exceptions = std::tuple<{}>;", exceptions);
    emit_invoke(out, fn);
    if (!fn.oneway) emit_result_accessors(out, fn);
    out.close("};");
    if (!methods.empty()) methods += ", ";
    methods += cpp_function_name(fn.name);
  }
  if (!svc.functions.empty()) out.blank();
  out.raw_line("// This service's own functions, in IDL order.");
  out.line("using Methods = std::tuple<{}>;", methods);
  out.blank();
  emit_method_index(out, svc);
  out.close("};");
  out.blank();
}

// `T a, U b` for the arguments of `fn` (their Args member types).
std::string params(const Function& fn, const EmitOptions& options) {
  std::string out;
  for (const Field& f : fn.args) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", field_type(f, options), member_name(f));
  }
  return out;
}

// The handler's return type in `SIf`.
std::string interface_return(const Function& fn, const EmitOptions& options) {
  if (fn.oneway || fn.throws.empty())
    return fmt::format("::ferry::Task<{}>", cpp_type(fn.return_type, options));
  std::string out = "::ferry::Task<::ferry::thrift::Outcome<" +
                    cpp_type(fn.return_type, options);
  for (const Field& ex : fn.throws) out += ", " + cpp_type(ex.type, options);
  return out + ">>";
}

void emit_interface(CodeWriter& out, const Service& svc,
                    const EmitOptions& options) {
  const std::string name = cpp_name(svc.name + "If");
  out.line("// Implement this to serve {} through a vtable. (The template",
           svc.name);
  out.raw_line("// dispatcher takes any class with these methods, with or");
  out.raw_line("// without the Context parameter.)");
  if (svc.resolved_extends) {
    const Service& base = *svc.resolved_extends;
    out.line("class {} : public {} {{", name,
             qualified(base.loc.program, base.name + "If", options));
  } else {
    out.line("class {} {{", name);
  }
  out.raw_line(" public:");
  out.indent();
  out.line("virtual ~{}() = default;", name);
  for (const Function& fn : svc.functions) {
    const std::string ps = params(fn, options);
    out.line("virtual {} {}(::ferry::Context& {}{}{}) = 0;",
             interface_return(fn, options), cpp_function_name(fn.name),
             fresh_name("cx", arg_names(fn)), ps.empty() ? "" : ", ", ps);
  }
  out.close("};");
  out.blank();
}

void emit_client(CodeWriter& out, const Service& svc,
                 const EmitOptions& options) {
  const std::string name = cpp_name(svc.name + "Client");
  const std::string table = service_table_name(svc.name);
  std::set<std::string> taken;
  for (const Function& fn : svc.functions) {
    taken.insert(cpp_function_name(fn.name));
    taken.merge(arg_names(fn));
  }
  const std::string stack = fresh_name("Stack", taken);
  const std::string base =
      svc.resolved_extends
          ? qualified(svc.resolved_extends->loc.program,
                      svc.resolved_extends->name + "Client", options) +
                "<" + stack + ">"
          : "::ferry::thrift::ClientBase<" + stack + ">";
  out.line("// Calls {} through `{}`, a middleware stack over a Thrift",
           svc.name, stack);
  out.raw_line("// transport (transport/thrift/service.h). Each function also");
  out.raw_line("// has an overload taking the caller's Context; without it,");
  out.raw_line("// the call gets a fresh one.");
  out.line("template <class {}>", stack);
  out.line("class {} : public {} {{", name, base);
  out.raw_line(" public:");
  out.indent();
  out.line("explicit {}({} stack) : {}(std::move(stack)) {{}}", name, stack,
           base);
  for (const Function& fn : svc.functions) {
    const std::string fn_name = cpp_function_name(fn.name);
    const std::string ret = fmt::format(
        "::ferry::Task<::ferry::thrift::ClientReturn<{}::{}>>", table, fn_name);
    std::string ps = params(fn, options);
    std::string args;
    for (const Field& f : fn.args) {
      if (!args.empty()) args += ", ";
      args += fmt::format("std::move({})", member_name(f));
    }
    args = fmt::format("{}_{}_args{{{}}}", svc.name, fn.name, args);
    const std::string cx = fresh_name("cx", arg_names(fn));
    out.line("{} {}({}) {{", ret, fn_name, ps);
    out.line("  return ::ferry::thrift::call<{}::{}>(this->stack(), {});",
             table, fn_name, args);
    out.raw_line("}");
    out.line("{} {}(::ferry::Context& {}{}{}) {{", ret, fn_name, cx,
             ps.empty() ? "" : ", ", ps);
    out.line("  return ::ferry::thrift::call<{}::{}>(this->stack(), {}, {});",
             table, fn_name, cx, args);
    out.raw_line("}");
  }
  out.close("};");
  out.blank();
}

// Programs whose services this program's services extend.
std::vector<const Program*> extended_programs(const Program& program) {
  std::vector<const Program*> out;
  std::set<const Program*> seen;
  for (const Service& svc : program.services) {
    if (!svc.resolved_extends) continue;
    const Program* p = svc.resolved_extends->loc.program;
    if (p && p != &program && seen.insert(p).second) out.push_back(p);
  }
  return out;
}

}  // namespace

std::string service_table_name(std::string_view name) {
  return cpp_name(std::string(name) + "Service");
}

std::string emit_services_header(const Program& program,
                                 const EmitOptions& options) {
  CodeWriter out;
  out.append(banner(program, options));
  out.raw_line("#pragma once");
  out.blank();
  out.line("// Services of {}.thrift. Per function `f` of service `S`:",
           program.name);
  out.raw_line(
      "// `S_f_args` and `S_f_result` (not for oneway) are structs in");
  out.raw_line("// Apache's wire layout; the result holds `success` (field 0,");
  out.raw_line("// non-void functions) and one optional field per declared");
  out.raw_line("// exception, and writes only the first set one. Per service:");
  out.raw_line("// - `SService`, the method table the RPC layer builds on:");
  out.raw_line("//   kName, Extends (base table or void), Methods (std::tuple");
  out.raw_line(
      "//   of one struct per function: kName, kOneway, Args, Result,");
  out.raw_line("//   Return, Exceptions (std::tuple of the declared ones),");
  out.raw_line("//   invoke(handler, cx, args) (calls the handler's `f`, with");
  out.raw_line("//   the Context if it takes one), and except for oneway");
  out.raw_line("//   success(result) (non-void) and exception<I>(result), the");
  out.raw_line("//   result's fields), and method_index(name) (the index in");
  out.raw_line("//   Methods, or -1);");
  out.raw_line("// - `SIf`, a virtual interface for handlers;");
  out.raw_line(
      "// - `SClient<Stack>`, which calls S through a middleware stack.");
  out.blank();
  const bool any = !program.services.empty();
  if (any) out.raw_line("#include <cstddef>");
  out.raw_line("#include <cstdint>");
  out.raw_line("#include <iosfwd>");
  out.raw_line("#include <optional>");
  out.raw_line("#include <string_view>");
  out.raw_line("#include <tuple>");
  if (any) out.raw_line("#include <utility>");
  out.blank();
  out.raw_line("#include \"codec/protocol.h\"");
  if (any) out.raw_line("#include \"middleware/context.h\"");
  out.raw_line("#include \"runtime/status.h\"");
  if (any) {
    out.raw_line("#include \"runtime/task.h\"");
    out.raw_line("#include \"transport/thrift/service.h\"");
  }
  out.line("#include \"{}_types.h\"", program.name);
  for (const Program* p : extended_programs(program))
    out.line("#include \"{}_services.h\"", p->name);
  out.blank();
  const std::string ns = cpp_namespace(program, options);
  open_namespace(out, ns);
  ServiceStructs structs(program);
  for (const StructModel& m : structs.models())
    emit_struct_decl(out, m, options);
  for (const Service& svc : program.services) {
    emit_service_table(out, svc, options);
    emit_interface(out, svc, options);
    emit_client(out, svc, options);
  }
  close_namespace(out, ns);
  return out.take();
}

std::string emit_services_tcc(const Program& program,
                              const EmitOptions& options) {
  CodeWriter out;
  out.append(banner(program, options));
  out.raw_line("#pragma once");
  out.blank();
  out.line("// Serialization bodies for {}_services.h.", program.name);
  out.blank();
  out.line("#include \"{}_services.h\"", program.name);
  out.blank();
  out.raw_line("#include <cstdint>");
  out.raw_line("#include <utility>");
  out.blank();
  out.raw_line("#include \"codec/decode_error.h\"");
  out.raw_line("#include \"codec/protocol.h\"");
  out.raw_line("#include \"codec/type_support.h\"");
  out.raw_line("#include \"runtime/status.h\"");
  out.line("#include \"{}_types.tcc\"", program.name);
  out.blank();
  const std::string ns = cpp_namespace(program, options);
  open_namespace(out, ns);
  ServiceStructs structs(program);
  for (const StructModel& m : structs.models()) {
    emit_struct_write(out, m, options);
    emit_struct_read(out, m, options);
  }
  close_namespace(out, ns);
  return out.take();
}

std::string emit_services_source(const Program& program,
                                 const EmitOptions& options) {
  CodeWriter out;
  out.append(banner(program, options));
  out.blank();
  out.line("#include \"{}_services.h\"", program.name);
  out.blank();
  out.raw_line("#include <ostream>");
  out.blank();
  out.raw_line("#include \"codec/binary_protocol.h\"");
  out.raw_line("#include \"codec/buffer.h\"");
  out.raw_line("#include \"codec/compact_protocol.h\"");
  out.raw_line("#include \"codec/type_support.h\"");
  out.raw_line("#include \"runtime/status.h\"");
  out.line("#include \"{}_services.tcc\"", program.name);
  out.blank();
  const std::string ns = cpp_namespace(program, options);
  ServiceStructs structs(program);
  if (!structs.models().empty()) {
    open_namespace(out, ns);
    for (const StructModel& m : structs.models())
      emit_struct_printer(out, m, options);
    close_namespace(out, ns);
    out.blank();
  }
  std::vector<std::string> names;
  for (const StructModel& m : structs.models()) names.push_back(m.cpp_name);
  CodeWriter binary;
  emit_instantiations(binary, Protocol::kBinary, ns, names);
  CodeWriter compact;
  emit_instantiations(compact, Protocol::kCompact, ns, names);
  out.append(binary.take());
  if (!names.empty()) out.blank();
  out.append(compact.take());
  return out.take();
}

}  // namespace ferry::idlgen::emit
