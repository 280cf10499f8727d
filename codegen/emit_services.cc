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

void emit_method_index(CodeWriter& out, const Service& svc) {
  std::map<std::size_t, std::vector<std::pair<std::string, std::size_t>>>
      by_length;
  for (std::size_t i = 0; i < svc.functions.size(); ++i)
    by_length[svc.functions[i].name.size()].emplace_back(svc.functions[i].name,
                                                         i);
  out.raw_line(
      "// The index in `Methods` of the function called `name`, or -1.");
  out.raw_line("// Switches on the length, then compares: no allocation.");
  out.open(
      "static constexpr int method_index(std::string_view name) noexcept {");
  if (by_length.empty()) {
    out.raw_line("static_cast<void>(name);");
  } else {
    out.open("switch (name.size()) {");
    for (const auto& [length, entries] : by_length) {
      out.line("case {}:", length);
      out.indent();
      for (const auto& [name, index] : entries)
        out.line("if (name == \"{}\") return {};", name, index);
      out.raw_line("return -1;");
      out.dedent();
    }
    out.raw_line("default:");
    out.raw_line("  break;");
    out.close("}");
  }
  out.raw_line("return -1;");
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
    out.open(fmt::format("struct {} {{", cpp_name(fn.name)));
    out.line("static constexpr std::string_view kName = \"{}\";", fn.name);
    out.line("static constexpr bool kOneway = {};", fn.oneway);
    out.line("using Args = {}_args;", base);
    if (fn.oneway)
      out.raw_line("using Result = void;");
    else
      out.line("using Result = {}_result;", base);
    out.line("using Return = {};", cpp_type(fn.return_type, options));
    out.close("};");
    if (!methods.empty()) methods += ", ";
    methods += cpp_name(fn.name);
  }
  if (!svc.functions.empty()) out.blank();
  out.raw_line("// This service's own functions, in IDL order.");
  out.line("using Methods = std::tuple<{}>;", methods);
  out.blank();
  emit_method_index(out, svc);
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
  out.raw_line("// exception, and writes only the first set one. The method");
  out.raw_line("// table `SService` names them for the RPC layer:");
  out.raw_line("//   SService::kName, SService::Extends (base table or void),");
  out.raw_line(
      "//   SService::Methods (std::tuple of one struct per function:");
  out.raw_line("//   kName, kOneway, Args, Result, Return), and");
  out.raw_line("//   SService::method_index(name) (index in Methods, or -1).");
  out.blank();
  out.raw_line("#include <cstdint>");
  out.raw_line("#include <iosfwd>");
  out.raw_line("#include <optional>");
  out.raw_line("#include <string_view>");
  out.raw_line("#include <tuple>");
  out.blank();
  out.raw_line("#include \"codec/protocol.h\"");
  out.raw_line("#include \"runtime/status.h\"");
  out.line("#include \"{}_types.h\"", program.name);
  for (const Program* p : extended_programs(program))
    out.line("#include \"{}_services.h\"", p->name);
  out.blank();
  const std::string ns = cpp_namespace(program, options);
  open_namespace(out, ns);
  ServiceStructs structs(program);
  for (const StructModel& m : structs.models())
    emit_struct_decl(out, m, options);
  for (const Service& svc : program.services)
    emit_service_table(out, svc, options);
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
