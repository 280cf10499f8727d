// protoc-gen-ferry: a protoc plugin that writes ferry gRPC service stubs.
//
//   protoc -I src --cpp_out=out --ferry_out=out
//       --plugin=protoc-gen-ferry=path/to/protoc-gen-ferry src/foo/bar.proto
//
// For every `foo/bar.proto` it writes `foo/bar.ferry.h` (header-only: all of
// it is inline or templated) next to protoc's `foo/bar.pb.h`, which it
// includes. The shape of the generated code is the contract in
// transport/grpc/service.h; docs/ARCHITECTURE.md ("protoc-gen-ferry") has
// the naming rules. The plugin takes no parameters: `--ferry_opt=anything`
// is an error, so a typo cannot silently change the output.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fmt/format.h"
#include "google/protobuf/compiler/code_generator.h"
#include "google/protobuf/compiler/cpp/names.h"
#include "google/protobuf/compiler/plugin.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace ferry::protoc_gen {
namespace {

namespace pb = ::google::protobuf;
namespace cpp = ::google::protobuf::compiler::cpp;

// C++20's keywords (and `NULL`): a service or method named like one gets a
// trailing `_`.
bool is_cpp_keyword(std::string_view name) {
  static const auto* const kWords = new std::set<std::string, std::less<>>{
      "NULL",         "alignas",   "alignof",       "and",
      "and_eq",       "asm",       "auto",          "bitand",
      "bitor",        "bool",      "break",         "case",
      "catch",        "char",      "char8_t",       "char16_t",
      "char32_t",     "class",     "compl",         "concept",
      "const",        "consteval", "constexpr",     "constinit",
      "const_cast",   "continue",  "co_await",      "co_return",
      "co_yield",     "decltype",  "default",       "delete",
      "do",           "double",    "dynamic_cast",  "else",
      "enum",         "explicit",  "export",        "extern",
      "false",        "float",     "for",           "friend",
      "goto",         "if",        "inline",        "int",
      "long",         "mutable",   "namespace",     "new",
      "noexcept",     "not",       "not_eq",        "nullptr",
      "operator",     "or",        "or_eq",         "private",
      "protected",    "public",    "register",      "reinterpret_cast",
      "requires",     "return",    "short",         "signed",
      "sizeof",       "static",    "static_assert", "static_cast",
      "struct",       "switch",    "template",      "this",
      "thread_local", "throw",     "true",          "try",
      "typedef",      "typeid",    "typename",      "union",
      "unsigned",     "using",     "virtual",       "void",
      "volatile",     "wchar_t",   "while",         "xor",
      "xor_eq"};
  return kWords->contains(name);
}

// Names the generated code itself declares, which a method must not take:
// members of the service struct (`kName`, `Methods`, `Interface`, `Client`),
// of each method struct (`Request` ... `invoke`; a struct cannot have a
// member named like itself), of `Client` (`stack`, `channel`, the data
// members) and template parameters (`Stack`, `H`, `A`).
bool is_reserved_method_name(std::string_view name) {
  static constexpr std::string_view kReserved[] = {
      "kName",    "Methods", "Interface", "Client", "Request",
      "Response", "kKind",   "kService",  "kPath",  "kImplementedBy",
      "invoke",   "stack",   "channel",   "stack_", "channel_",
      "Stack",    "H",       "A"};
  for (std::string_view r : kReserved) {
    if (r == name) return true;
  }
  return false;
}

// protoc's C++ namespace of `package`, as `a::b` (empty for no package).
// protoc 3.21 maps the package as written, keywords included (a package
// component that is a C++ keyword breaks its own --cpp_out), and so do we.
std::string package_namespace(std::string_view package) {
  std::string out;
  for (char c : package) {
    if (c == '.') {
      out += "::";
    } else {
      out += c;
    }
  }
  return out;
}

// The comment protoc recorded before `descriptor` (if any), as `//` lines
// with `indent`. A trailing backslash would splice the next line into the
// comment, so trailing backslashes and spaces are dropped.
template <class D>
std::string doc_comment(const D* descriptor, std::string_view indent) {
  pb::SourceLocation location;
  if (!descriptor->GetSourceLocation(&location)) return "";
  std::string_view text = location.leading_comments;
  std::string out;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text =
        nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\\' ||
                             line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    out += fmt::format(
        "{}//{}{}\n", indent, line.empty() ? "" : " ",
        line.empty() || line.front() != ' ' ? line : line.substr(1));
  }
  return out;
}

std::string_view kind_enumerator(const pb::MethodDescriptor* m) {
  if (m->client_streaming() && m->server_streaming()) return "kBidiStreaming";
  if (m->client_streaming()) return "kClientStreaming";
  if (m->server_streaming()) return "kServerStreaming";
  return "kUnary";
}

struct Method {
  const pb::MethodDescriptor* descriptor;
  std::string ident;  // the C++ name: the rpc's name, or with `_` appended
  std::string req;    // fully qualified message classes
  std::string resp;
};

// One service: `qualified` is the struct's own fully qualified name, used
// everywhere a nested scope could otherwise re-bind a method's name.
void emit_service(const pb::ServiceDescriptor* service, const std::string& ns,
                  std::string& out) {
  // A struct cannot hold a member named like itself.
  std::string ident = service->name();
  if (is_cpp_keyword(ident) || ident == "kName" || ident == "Methods" ||
      ident == "Interface" || ident == "Client") {
    ident += '_';
  }
  const std::string qualified = "::" + (ns.empty() ? "" : ns + "::") + ident;
  const std::string& full = service->full_name();

  std::vector<Method> methods;
  std::set<std::string, std::less<>> used;
  for (int i = 0; i < service->method_count(); ++i) {
    const pb::MethodDescriptor* m = service->method(i);
    // A clashing name gets `_`; if that is taken too (`rpc Client` next to
    // `rpc Client_`, or `rpc stack`, whose `stack_` is Client's data
    // member), `_2`, `_3`, ... (never `__`: such names are reserved).
    auto taken = [&](const std::string& n) {
      return is_cpp_keyword(n) || is_reserved_method_name(n) || n == ident ||
             used.contains(n);
    };
    std::string name = m->name();
    if (taken(name)) {
      const std::string stem = name.back() == '_' ? name : name + "_";
      name = stem;
      for (int n = 2; taken(name); ++n) name = stem + std::to_string(n);
    }
    used.insert(name);
    methods.push_back({m, name, cpp::QualifiedClassName(m->input_type()),
                       cpp::QualifiedClassName(m->output_type())});
  }

  out += doc_comment(service, "");
  out += fmt::format("struct {} {{\n", ident);
  out += fmt::format("  static constexpr ::std::string_view kName = \"{}\";\n",
                     full);

  // Method descriptors.
  for (const Method& m : methods) {
    const pb::MethodDescriptor* d = m.descriptor;
    const std::string_view kind = kind_enumerator(d);
    out += "\n";
    out += doc_comment(d, "  ");
    out += fmt::format("  struct {} {{\n", m.ident);
    out += fmt::format("    using Request = {};\n", m.req);
    out += fmt::format("    using Response = {};\n", m.resp);
    out += fmt::format(
        "    static constexpr ::ferry::grpc::MethodKind kKind =\n"
        "        ::ferry::grpc::MethodKind::{};\n",
        kind);
    out += fmt::format(
        "    static constexpr ::std::string_view kService = \"{}\";\n", full);
    out += fmt::format(
        "    static constexpr ::std::string_view kName = \"{}\";\n", d->name());
    out += fmt::format(
        "    static constexpr ::std::string_view kPath = \"/{}/{}\";\n", full,
        d->name());
    out +=
        "    // Whether handler type `H` has this method in its kind's "
        "shape.\n";
    out += "    template <class H>\n";
    if (kind == "kUnary") {
      out += fmt::format(
          "    static constexpr bool kImplementedBy =\n"
          "        requires(H& h, ::ferry::Context& cx, const Request& "
          "request) "
          "{{\n"
          "          {{ h.{}(cx, request) }}\n"
          "            -> ::std::same_as<::ferry::Task<::ferry::Result<"
          "Response>>>;\n"
          "        }};\n",
          m.ident);
    } else if (kind == "kClientStreaming") {
      out += fmt::format(
          "    static constexpr bool kImplementedBy =\n"
          "        requires(H& h, ::ferry::Context& cx,\n"
          "                 ::ferry::grpc::ServerReader<Request>& reader) {{\n"
          "          {{ h.{}(cx, reader) }}\n"
          "            -> ::std::same_as<::ferry::Task<::ferry::Result<"
          "Response>>>;\n"
          "        }};\n",
          m.ident);
    } else if (kind == "kServerStreaming") {
      out += fmt::format(
          "    static constexpr bool kImplementedBy =\n"
          "        requires(H& h, ::ferry::Context& cx, const Request& "
          "request,\n"
          "                 ::ferry::grpc::ServerWriter<Response>& writer) {{\n"
          "          {{ h.{}(cx, request, writer) }}\n"
          "            -> ::std::same_as<::ferry::Task<::ferry::Status>>;\n"
          "        }};\n",
          m.ident);
    } else {
      out += fmt::format(
          "    static constexpr bool kImplementedBy =\n"
          "        requires(H& h, ::ferry::Context& cx,\n"
          "                 ::ferry::grpc::ServerStream<Request, Response>& "
          "stream) {{\n"
          "          {{ h.{}(cx, stream) }}\n"
          "            -> ::std::same_as<::ferry::Task<::ferry::Status>>;\n"
          "        }};\n",
          m.ident);
    }
    out += fmt::format(
        "    template <class H, class... A>\n"
        "    static auto invoke(H& h, ::ferry::Context& cx, A&&... a) {{\n"
        "      return h.{}(cx, ::std::forward<A>(a)...);\n"
        "    }}\n"
        "  }};\n",
        m.ident);
  }

  out += "\n  using Methods = ::std::tuple<";
  for (std::size_t i = 0; i < methods.size(); ++i) {
    out += (i ? ", " : "") + methods[i].ident;
  }
  out += ">;\n";

  // The virtual interface.
  out += fmt::format(
      "\n"
      "  // A handler base class: override the methods you serve; the others\n"
      "  // answer UNIMPLEMENTED.\n"
      "  class Interface {{\n"
      "   public:\n"
      "    virtual ~Interface() = default;\n");
  for (const Method& m : methods) {
    const pb::MethodDescriptor* d = m.descriptor;
    const std::string_view kind = kind_enumerator(d);
    std::string signature;
    if (kind == "kUnary") {
      signature = fmt::format(
          "::ferry::Task<::ferry::Result<{}>> {}(\n"
          "        ::ferry::Context&, const {}&)",
          m.resp, m.ident, m.req);
    } else if (kind == "kClientStreaming") {
      signature = fmt::format(
          "::ferry::Task<::ferry::Result<{}>> {}(\n"
          "        ::ferry::Context&, ::ferry::grpc::ServerReader<{}>&)",
          m.resp, m.ident, m.req);
    } else if (kind == "kServerStreaming") {
      signature = fmt::format(
          "::ferry::Task<::ferry::Status> {}(\n"
          "        ::ferry::Context&, const {}&,\n"
          "        ::ferry::grpc::ServerWriter<{}>&)",
          m.ident, m.req, m.resp);
    } else {
      signature = fmt::format(
          "::ferry::Task<::ferry::Status> {}(\n"
          "        ::ferry::Context&,\n"
          "        ::ferry::grpc::ServerStream<{}, {}>&)",
          m.ident, m.req, m.resp);
    }
    out += fmt::format(
        "    virtual {} {{\n"
        "      co_return ::absl::UnimplementedError(\n"
        "          \"{}/{} is not implemented\");\n"
        "    }}\n",
        signature, full, d->name());
  }
  out += "  };\n";

  // The client.
  out += fmt::format(
      "\n"
      "  // Unary calls go through `stack` (any Service<grpc::Request> with\n"
      "  // Response grpc::Response, usually layers over `channel`); "
      "streaming\n"
      "  // calls open streams on `channel` directly.\n"
      "  template <class Stack = ::ferry::grpc::Channel>\n"
      "  class Client {{\n"
      "   public:\n"
      "    explicit Client(::ferry::grpc::Channel channel)\n"
      "      requires ::std::same_as<Stack, ::ferry::grpc::Channel>\n"
      "        : stack_(channel), channel_(::std::move(channel)) {{}}\n"
      "    Client(Stack stack, ::ferry::grpc::Channel channel)\n"
      "        : stack_(::std::move(stack)), channel_(::std::move(channel)) "
      "{{}}\n");
  for (const Method& m : methods) {
    const pb::MethodDescriptor* d = m.descriptor;
    const std::string_view kind = kind_enumerator(d);
    const std::string desc = qualified + "::" + m.ident;
    out += "\n";
    if (kind == "kUnary") {
      out += fmt::format(
          "    ::ferry::Task<::ferry::Result<{resp}>> {id}(\n"
          "        ::ferry::Context& cx, const {req}& request) {{\n"
          "      return ::ferry::grpc::unary_call<{resp}>(\n"
          "          stack_, cx, {desc}::kPath, {desc}::kName, request);\n"
          "    }}\n"
          "    // With a fresh Context (no deadline, no metadata).\n"
          "    ::ferry::Task<::ferry::Result<{resp}>> {id}(const {req}& "
          "request) {{\n"
          "      ::ferry::Context cx;\n"
          "      co_return co_await {id}(cx, request);\n"
          "    }}\n",
          fmt::arg("resp", m.resp), fmt::arg("req", m.req),
          fmt::arg("id", m.ident), fmt::arg("desc", desc));
    } else if (kind == "kClientStreaming") {
      out += fmt::format(
          "    ::ferry::Task<::ferry::Result<\n"
          "        ::ferry::grpc::ClientWriter<{req}, {resp}>>>\n"
          "    {id}(::ferry::Context& cx) {{\n"
          "      return ::ferry::grpc::open_client_streaming<{req}, {resp}>(\n"
          "          channel_, cx, {desc}::kPath, {desc}::kName);\n"
          "    }}\n",
          fmt::arg("resp", m.resp), fmt::arg("req", m.req),
          fmt::arg("id", m.ident), fmt::arg("desc", desc));
    } else if (kind == "kServerStreaming") {
      out += fmt::format(
          "    "
          "::ferry::Task<::ferry::Result<::ferry::grpc::ClientReader<{resp}>>>"
          "\n"
          "    {id}(::ferry::Context& cx, const {req}& request) {{\n"
          "      return ::ferry::grpc::open_server_streaming<{req}, {resp}>(\n"
          "          channel_, cx, {desc}::kPath, {desc}::kName, request);\n"
          "    }}\n",
          fmt::arg("resp", m.resp), fmt::arg("req", m.req),
          fmt::arg("id", m.ident), fmt::arg("desc", desc));
    } else {
      out += fmt::format(
          "    ::ferry::Task<::ferry::Result<\n"
          "        ::ferry::grpc::ClientStream<{req}, {resp}>>>\n"
          "    {id}(::ferry::Context& cx) {{\n"
          "      return ::ferry::grpc::open_bidi_streaming<{req}, {resp}>(\n"
          "          channel_, cx, {desc}::kPath, {desc}::kName);\n"
          "    }}\n",
          fmt::arg("resp", m.resp), fmt::arg("req", m.req),
          fmt::arg("id", m.ident), fmt::arg("desc", desc));
    }
  }
  out += fmt::format(
      "\n"
      "    Stack& stack() noexcept {{ return stack_; }}\n"
      "    ::ferry::grpc::Channel& channel() noexcept {{ return channel_; }}\n"
      "\n"
      "   private:\n"
      "    Stack stack_;\n"
      "    ::ferry::grpc::Channel channel_;\n"
      "  }};\n"
      "}};\n");
}

std::string emit_file(const pb::FileDescriptor* file) {
  const std::string stem = cpp::StripProto(file->name());
  const std::string ns = package_namespace(file->package());
  std::string out = fmt::format(
      "// Generated by protoc-gen-ferry from {}. DO NOT EDIT.\n"
      "// @generated\n"
      "#pragma once\n"
      "\n"
      "// ferry gRPC services of {} (the contract: transport/grpc/service.h).\n"
      "// Per service `S`: the method descriptors `S::M` (Request, Response,\n"
      "// kKind, kPath, kImplementedBy, invoke), `S::Methods`, the virtual\n"
      "// `S::Interface` and `S::Client<Stack>`. Messages are protoc's C++\n"
      "// classes from {}.pb.h.\n"
      "\n"
      "#include <concepts>\n"
      "#include <string_view>\n"
      "#include <tuple>\n"
      "#include <utility>\n"
      "\n"
      "#include \"absl/status/status.h\"\n"
      "#include \"middleware/context.h\"\n"
      "#include \"runtime/status.h\"\n"
      "#include \"runtime/task.h\"\n"
      "#include \"transport/grpc/channel.h\"\n"
      "#include \"transport/grpc/service.h\"\n"
      "#include \"{}.pb.h\"\n",
      file->name(), file->name(), stem, stem);
  if (file->service_count() == 0) {
    out += "\n// (no services)\n";
    return out;
  }
  out += "\n";
  if (!ns.empty()) out += fmt::format("namespace {} {{\n\n", ns);
  for (int i = 0; i < file->service_count(); ++i) {
    if (i) out += "\n";
    emit_service(file->service(i), ns, out);
  }
  if (!ns.empty()) out += fmt::format("\n}}  // namespace {}\n", ns);
  return out;
}

class FerryGenerator : public pb::compiler::CodeGenerator {
 public:
  bool Generate(const pb::FileDescriptor* file, const std::string& parameter,
                pb::compiler::GeneratorContext* context,
                std::string* error) const override {
    if (!parameter.empty()) {
      *error = fmt::format("protoc-gen-ferry takes no parameters (got \"{}\")",
                           parameter);
      return false;
    }
    if (file->options().cc_generic_services() && file->service_count() > 0) {
      // protoc's --cpp_out would then declare a class named like each
      // service in the same namespace as our struct.
      *error = fmt::format(
          "{}: option cc_generic_services = true makes --cpp_out declare a "
          "class named like service {}, which protoc-gen-ferry needs; remove "
          "the option",
          file->name(), file->service(0)->name());
      return false;
    }
    const std::string text = emit_file(file);
    std::unique_ptr<pb::io::ZeroCopyOutputStream> stream(
        context->Open(cpp::StripProto(file->name()) + ".ferry.h"));
    pb::io::CodedOutputStream coded(stream.get());
    coded.WriteRaw(text.data(), static_cast<int>(text.size()));
    return !coded.HadError();
  }

  std::uint64_t GetSupportedFeatures() const override {
    // Messages are protoc's own classes: proto3 `optional` needs nothing
    // from us.
    return FEATURE_PROTO3_OPTIONAL;
  }
};

}  // namespace
}  // namespace ferry::protoc_gen

int main(int argc, char* argv[]) {
  ferry::protoc_gen::FerryGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
