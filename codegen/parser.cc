#include "codegen/parser.h"

#include <array>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "fmt/format.h"

#include "codegen/lexer.h"

namespace ferry::idlgen {
namespace {

// Words of the grammar. A definition may not be named after one (Apache's
// lexer reserves them); fields, arguments and annotation keys may.
constexpr std::array<std::string_view, 31> kThriftKeywords = {
    "include", "cpp_include", "namespace", "typedef", "enum",    "const",
    "struct",  "union",       "exception", "service", "extends", "oneway",
    "throws",  "required",    "optional",  "void",    "bool",    "byte",
    "i8",      "i16",         "i32",       "i64",     "double",  "string",
    "binary",  "uuid",        "list",      "set",     "map",     "true",
    "false"};

bool is_thrift_keyword(std::string_view word) {
  for (std::string_view keyword : kThriftKeywords) {
    if (word == keyword) return true;
  }
  return false;
}

std::optional<BaseType> base_type_named(std::string_view word) {
  static constexpr std::pair<std::string_view, BaseType> kBaseTypes[] = {
      {"bool", BaseType::kBool},     {"byte", BaseType::kByte},
      {"i8", BaseType::kByte},       {"i16", BaseType::kI16},
      {"i32", BaseType::kI32},       {"i64", BaseType::kI64},
      {"double", BaseType::kDouble}, {"string", BaseType::kString},
      {"binary", BaseType::kBinary}, {"uuid", BaseType::kUuid},
  };
  for (const auto& [name, type] : kBaseTypes) {
    if (word == name) return type;
  }
  return std::nullopt;
}

// Syntax Apache removed, and what to write instead. Seeing one of these
// where it used to be legal earns a message naming the replacement rather
// than a bare "syntax error".
std::optional<std::string_view> removed_syntax_hint(std::string_view word) {
  static constexpr std::pair<std::string_view, std::string_view> kRemoved[] = {
      {"senum", "`senum` is no longer supported; use `enum` or `string`"},
      {"slist", "`slist` is no longer supported; use `string`"},
      {"async", "`async` is no longer supported; use `oneway`"},
      {"cpp_type",
       "`cpp_type` is no longer supported; use the `cpp.type` annotation"},
      {"xsd_all", "`xsd_all` is no longer supported"},
      {"xsd_optional", "`xsd_optional` is no longer supported"},
      {"xsd_nillable", "`xsd_nillable` is no longer supported"},
      {"xsd_attrs", "`xsd_attrs` is no longer supported"},
      {"cpp_namespace",
       "`cpp_namespace` is no longer supported; use `namespace cpp`"},
      {"java_package",
       "`java_package` is no longer supported; use `namespace java`"},
      {"php_namespace",
       "`php_namespace` is no longer supported; use `namespace php`"},
      {"py_module", "`py_module` is no longer supported; use `namespace py`"},
      {"perl_package",
       "`perl_package` is no longer supported; use `namespace perl`"},
      {"ruby_namespace",
       "`ruby_namespace` is no longer supported; use `namespace rb`"},
      {"smalltalk_category",
       "`smalltalk_category` is no longer supported; use `namespace st`"},
      {"smalltalk_prefix", "`smalltalk_prefix` is no longer supported"},
      {"cocoa_prefix",
       "`cocoa_prefix` is no longer supported; use `namespace cocoa`"},
      {"csharp_namespace",
       "`csharp_namespace` is no longer supported; use `namespace netstd`"},
      {"delphi_namespace",
       "`delphi_namespace` is no longer supported; use `namespace delphi`"},
  };
  for (const auto& [name, hint] : kRemoved) {
    if (word == name) return hint;
  }
  return std::nullopt;
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case Token::Kind::kIdentifier:
      return fmt::format("`{}`", token.text);
    case Token::Kind::kInt:
    case Token::Kind::kDouble:
      return fmt::format("number `{}`", token.text);
    case Token::Kind::kString:
      return "a string literal";
    case Token::Kind::kPunct:
      return fmt::format("`{}`", token.punct);
    case Token::Kind::kEof:
      return "end of file";
  }
  return "a token";
}

// The parse functions return false after reporting a syntax error; the
// first error ends the file's parse, so there is no recovery to get wrong.
class Parser {
 public:
  Parser(std::vector<Token> tokens, Program& program, Diagnostics& diags)
      : tokens_(std::move(tokens)), program_(program), diags_(diags) {}

  bool parse() {
    take_program_doc();
    while (is_header_keyword(peek())) {
      if (!parse_header()) return false;
    }
    while (peek().kind != Token::Kind::kEof) {
      if (is_header_keyword(peek())) {
        return fail(
            fmt::format("`{}` must come before all definitions", peek().text));
      }
      if (!parse_definition()) return false;
    }
    return true;
  }

 private:
  // --- token access -------------------------------------------------------

  const Token& peek(std::size_t ahead = 0) const {
    std::size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& take() {
    const Token& token = peek();
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  SourceLoc loc_of(const Token& token) const {
    return SourceLoc{&program_, token.line, token.column};
  }
  bool accept_punct(char c) {
    if (!peek().is_punct(c)) return false;
    take();
    return true;
  }
  bool accept_word(std::string_view word) {
    if (!peek().is_word(word)) return false;
    take();
    return true;
  }
  // `,` or `;` after a list item, both optional (CommaOrSemicolonOptional).
  void skip_separator() {
    if (!accept_punct(',')) accept_punct(';');
  }

  bool fail_at(const Token& token, std::string message) {
    diags_.error(loc_of(token), std::move(message));
    return false;
  }
  bool fail(std::string message) { return fail_at(peek(), std::move(message)); }
  bool fail_expected(std::string_view what) {
    if (peek().kind == Token::Kind::kIdentifier) {
      if (auto hint = removed_syntax_hint(peek().text)) {
        return fail(std::string(*hint));
      }
    }
    return fail(fmt::format("expected {}, got {}", what, describe(peek())));
  }
  bool expect_punct(char c) {
    if (accept_punct(c)) return true;
    return fail_expected(fmt::format("`{}`", c));
  }

  // Any identifier, keywords included: field names, annotation keys.
  bool expect_word(std::string_view what, std::string& out) {
    if (peek().kind != Token::Kind::kIdentifier) return fail_expected(what);
    out = take().text;
    return true;
  }
  // A definition's name, which may not be a keyword.
  bool expect_definition_name(std::string& out) {
    if (peek().kind == Token::Kind::kIdentifier &&
        is_thrift_keyword(peek().text)) {
      return fail(fmt::format("`{}` is a keyword and cannot name a definition",
                              peek().text));
    }
    return expect_word("a name", out);
  }

  // --- headers ------------------------------------------------------------

  static bool is_header_keyword(const Token& token) {
    return token.is_word("include") || token.is_word("cpp_include") ||
           token.is_word("namespace");
  }

  // A doc comment before the first header documents the file (Apache).
  void take_program_doc() {
    if (is_header_keyword(peek())) program_.doc = peek().doc;
  }

  bool parse_header() {
    const Token& keyword = take();
    if (keyword.text == "namespace") return parse_namespace();
    if (peek().kind != Token::Kind::kString) {
      return fail_expected("a quoted file name");
    }
    const Token& path = take();
    if (keyword.text == "include") {
      program_.includes.push_back(
          Include{.path_as_written = path.text, .loc = loc_of(keyword)});
    } else {
      program_.cpp_includes.push_back(path.text);
    }
    skip_separator();
    return true;
  }

  // `namespace SCOPE NAME (annotations)?`; SCOPE is `*` or any identifier,
  // dotted ones (`py.twisted`) included. Annotations (`namespace xsd test
  // (uri = '…')`) are accepted and dropped: no generator idlgen has uses
  // them.
  bool parse_namespace() {
    std::string scope;
    if (accept_punct('*')) {
      scope = "*";
    } else if (!expect_word("a namespace scope or `*`", scope)) {
      return false;
    }
    std::string name;
    if (!expect_word("a namespace name", name)) return false;
    Annotations ignored;
    if (!parse_annotations(ignored)) return false;
    program_.namespaces[scope] = std::move(name);
    skip_separator();
    return true;
  }

  // --- definitions ------------------------------------------------------

  bool parse_definition() {
    const Token& start = peek();
    std::string doc = start.doc;
    bool ok = false;
    if (start.is_word("typedef")) {
      ok = parse_typedef(std::move(doc));
    } else if (start.is_word("enum")) {
      ok = parse_enum(std::move(doc));
    } else if (start.is_word("const")) {
      ok = parse_const(std::move(doc));
    } else if (start.is_word("struct")) {
      ok = parse_struct(Struct::Kind::kStruct, std::move(doc));
    } else if (start.is_word("union")) {
      ok = parse_struct(Struct::Kind::kUnion, std::move(doc));
    } else if (start.is_word("exception")) {
      ok = parse_struct(Struct::Kind::kException, std::move(doc));
    } else if (start.is_word("service")) {
      ok = parse_service(std::move(doc));
    } else {
      return fail_expected("a definition");
    }
    // Apache allows a separator after typedefs and consts; accepting it
    // after every definition is harmless.
    if (ok) skip_separator();
    return ok;
  }

  void record(DefinitionRef::Kind kind, std::size_t index) {
    program_.order.push_back(DefinitionRef{.kind = kind, .index = index});
  }

  bool parse_typedef(std::string doc) {
    Typedef def;
    def.loc = loc_of(take());
    def.doc = std::move(doc);
    if (!parse_type(def.type) || !expect_definition_name(def.name) ||
        !parse_annotations(def.annotations)) {
      return false;
    }
    program_.typedefs.push_back(std::move(def));
    record(DefinitionRef::Kind::kTypedef, program_.typedefs.size() - 1);
    return true;
  }

  bool parse_enum(std::string doc) {
    Enum def;
    def.loc = loc_of(take());
    def.doc = std::move(doc);
    if (!expect_definition_name(def.name) || !expect_punct('{')) return false;
    // Implicit values continue from the previous one; the first is 0.
    std::int64_t next_value = 0;
    while (!accept_punct('}')) {
      EnumValue value;
      if (!parse_enum_value(next_value, value)) return false;
      // Saturate rather than overflow; sema rejects values beyond i32.
      next_value = value.value < std::numeric_limits<std::int64_t>::max()
                       ? value.value + 1
                       : value.value;
      def.values.push_back(std::move(value));
    }
    if (!parse_annotations(def.annotations)) return false;
    program_.enums.push_back(std::move(def));
    record(DefinitionRef::Kind::kEnum, program_.enums.size() - 1);
    return true;
  }

  bool parse_enum_value(std::int64_t implicit_value, EnumValue& value) {
    const Token& name = peek();
    value.loc = loc_of(name);
    value.doc = name.doc;
    if (!expect_word("an enum value name or `}`", value.name)) return false;
    value.value = implicit_value;
    if (accept_punct('=')) {
      if (peek().kind != Token::Kind::kInt) {
        return fail_expected("an integer enum value");
      }
      value.value = take().int_value;
      value.value_explicit = true;
    }
    if (!parse_annotations(value.annotations)) return false;
    skip_separator();
    return true;
  }

  bool parse_const(std::string doc) {
    Const def;
    def.loc = loc_of(take());
    def.doc = std::move(doc);
    if (!parse_type(def.type) || !expect_definition_name(def.name) ||
        !expect_punct('=') || !parse_const_value(def.value)) {
      return false;
    }
    program_.consts.push_back(std::move(def));
    record(DefinitionRef::Kind::kConst, program_.consts.size() - 1);
    return true;
  }

  bool parse_struct(Struct::Kind kind, std::string doc) {
    Struct def;
    def.kind = kind;
    def.loc = loc_of(take());
    def.doc = std::move(doc);
    if (!expect_definition_name(def.name) || !expect_punct('{') ||
        !parse_field_list('}', def.fields) ||
        !parse_annotations(def.annotations)) {
      return false;
    }
    program_.structs.push_back(std::move(def));
    record(DefinitionRef::Kind::kStruct, program_.structs.size() - 1);
    return true;
  }

  bool parse_service(std::string doc) {
    Service def;
    def.loc = loc_of(take());
    def.doc = std::move(doc);
    if (!expect_definition_name(def.name)) return false;
    if (accept_word("extends") &&
        !expect_word("the name of the service to extend", def.extends)) {
      return false;
    }
    if (!expect_punct('{')) return false;
    while (!accept_punct('}')) {
      Function function;
      if (!parse_function(function)) return false;
      def.functions.push_back(std::move(function));
    }
    if (!parse_annotations(def.annotations)) return false;
    program_.services.push_back(std::move(def));
    record(DefinitionRef::Kind::kService, program_.services.size() - 1);
    return true;
  }

  bool parse_function(Function& function) {
    const Token& start = peek();
    function.loc = loc_of(start);
    function.doc = start.doc;
    function.oneway = accept_word("oneway");
    if (peek().is_word("void")) {
      function.return_type.kind = TypeRef::Kind::kBase;
      function.return_type.base = BaseType::kVoid;
      function.return_type.loc = loc_of(take());
    } else if (!parse_type(function.return_type)) {
      return false;
    }
    if (!expect_word("a function name", function.name) || !expect_punct('(') ||
        !parse_field_list(')', function.args, true)) {
      return false;
    }
    if (accept_word("throws") &&
        (!expect_punct('(') || !parse_field_list(')', function.throws, true))) {
      return false;
    }
    if (!parse_annotations(function.annotations)) return false;
    skip_separator();
    return true;
  }

  // --- fields -------------------------------------------------------------

  // Fields up to and including `close`. Implicit ids count down from -1
  // per list, as Apache assigns them. In argument and throws lists Apache
  // ignores `optional` (with a warning): an argument is always sent.
  bool parse_field_list(char close, std::vector<Field>& fields,
                        bool in_function = false) {
    std::int16_t next_implicit_id = -1;
    while (!accept_punct(close)) {
      Field field;
      if (!parse_field(next_implicit_id, field)) return false;
      if (in_function && field.requiredness == Requiredness::kOptional) {
        diags_.warning(
            field.loc,
            fmt::format("`optional` is ignored on argument `{}`", field.name));
        field.requiredness = Requiredness::kDefault;
      }
      fields.push_back(std::move(field));
    }
    return true;
  }

  bool parse_field(std::int16_t& next_implicit_id, Field& field) {
    const Token& start = peek();
    field.loc = loc_of(start);
    field.doc = start.doc;
    std::optional<std::int64_t> written_id;
    if (peek().kind == Token::Kind::kInt && peek(1).is_punct(':')) {
      written_id = take().int_value;
      take();
    }
    if (accept_word("required")) {
      field.requiredness = Requiredness::kRequired;
    } else if (accept_word("optional")) {
      field.requiredness = Requiredness::kOptional;
    }
    if (!parse_type(field.type)) return false;
    field.reference = accept_punct('&');
    if (!expect_word("a field name", field.name)) return false;
    if (accept_punct('=') &&
        !parse_const_value(field.default_value.emplace())) {
      return false;
    }
    if (peek().kind == Token::Kind::kIdentifier) {
      if (auto hint = removed_syntax_hint(peek().text)) {
        return fail(std::string(*hint));
      }
    }
    if (!parse_annotations(field.annotations)) return false;
    skip_separator();
    return assign_field_id(start, written_id, next_implicit_id, field);
  }

  // Apache treats a missing or non-positive id as "not specified": it warns
  // and assigns the next implicit id (-1, -2, …).
  bool assign_field_id(const Token& start, std::optional<std::int64_t> written,
                       std::int16_t& next_implicit_id, Field& field) {
    if (written && *written > std::numeric_limits<std::int16_t>::max()) {
      return fail_at(start, fmt::format("field id {} of `{}` is out of range "
                                        "(1 to 32767)",
                                        *written, field.name));
    }
    if (written && *written > 0) {
      field.id = static_cast<std::int16_t>(*written);
      return true;
    }
    if (next_implicit_id == std::numeric_limits<std::int16_t>::min()) {
      return fail_at(start, "too many fields without ids");
    }
    field.id = next_implicit_id--;
    field.id_implicit = true;
    std::string why = written
                          ? fmt::format("non-positive field id {}", *written)
                          : std::string("no field id");
    diags_.warning(field.loc,
                   fmt::format("{} for `{}`; assigned {} (implicit ids break "
                               "compatibility when fields are reordered)",
                               why, field.name, field.id));
    return true;
  }

  // --- types --------------------------------------------------------------

  // Counts nesting of types and constant values; see kMaxNestingDepth.
  class DepthGuard {
   public:
    explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    bool too_deep() const { return depth_ > kMaxNestingDepth; }

   private:
    int& depth_;
  };

  bool fail_too_deep() {
    return fail(
        fmt::format("nesting is deeper than {} levels", kMaxNestingDepth));
  }

  bool parse_type(TypeRef& type) {
    DepthGuard guard(depth_);
    if (guard.too_deep()) return fail_too_deep();
    const Token& start = peek();
    type.loc = loc_of(start);
    if (start.kind != Token::Kind::kIdentifier) return fail_expected("a type");
    if (auto hint = removed_syntax_hint(start.text)) {
      return fail(std::string(*hint));
    }
    if (auto base = base_type_named(start.text)) {
      take();
      type.kind = TypeRef::Kind::kBase;
      type.base = *base;
    } else if (start.text == "list" || start.text == "set" ||
               start.text == "map") {
      if (!parse_container(type)) return false;
    } else if (is_thrift_keyword(start.text)) {
      return fail_expected("a type");
    } else {
      take();
      type.kind = TypeRef::Kind::kNamed;
      type.name = start.text;
    }
    return parse_annotations(type.annotations);
  }

  bool parse_container(TypeRef& type) {
    const Token& keyword = take();
    type.kind = keyword.text == "list"  ? TypeRef::Kind::kList
                : keyword.text == "set" ? TypeRef::Kind::kSet
                                        : TypeRef::Kind::kMap;
    if (!expect_punct('<')) return false;
    type.params.resize(type.kind == TypeRef::Kind::kMap ? 2 : 1);
    if (!parse_type(type.params[0])) return false;
    if (type.kind == TypeRef::Kind::kMap &&
        (!expect_punct(',') || !parse_type(type.params[1]))) {
      return false;
    }
    return expect_punct('>');
  }

  // `( key = "value", key2 )`, possibly absent. Values are strings in
  // Apache; numbers are accepted too and kept as written.
  bool parse_annotations(Annotations& annotations) {
    if (!accept_punct('(')) return true;
    while (!accept_punct(')')) {
      Annotation annotation;
      annotation.loc = loc_of(peek());
      if (!expect_word("an annotation name or `)`", annotation.key)) {
        return false;
      }
      if (accept_punct('=')) {
        const Token& value = peek();
        if (value.kind != Token::Kind::kString &&
            value.kind != Token::Kind::kInt &&
            value.kind != Token::Kind::kDouble) {
          return fail_expected("an annotation value");
        }
        annotation.value = take().text;
      }
      annotations.push_back(std::move(annotation));
      skip_separator();
    }
    return true;
  }

  // --- constant values ----------------------------------------------------

  bool parse_const_value(ConstValue& value) {
    DepthGuard guard(depth_);
    if (guard.too_deep()) return fail_too_deep();
    const Token& token = peek();
    value.loc = loc_of(token);
    switch (token.kind) {
      case Token::Kind::kInt:
        value.kind = ConstValue::Kind::kInt;
        value.int_value = take().int_value;
        return true;
      case Token::Kind::kDouble:
        value.kind = ConstValue::Kind::kDouble;
        value.double_value = take().double_value;
        return true;
      case Token::Kind::kString:
        value.kind = ConstValue::Kind::kString;
        value.text = take().text;
        return true;
      case Token::Kind::kIdentifier:
        parse_identifier_value(value);
        return true;
      case Token::Kind::kPunct:
        if (token.punct == '[') return parse_const_list(value);
        if (token.punct == '{') return parse_const_map(value);
        break;
      case Token::Kind::kEof:
        break;
    }
    return fail_expected("a constant value");
  }

  void parse_identifier_value(ConstValue& value) {
    const Token& token = take();
    if (token.text == "true" || token.text == "false") {
      value.kind = ConstValue::Kind::kInt;
      value.int_value = token.text == "true" ? 1 : 0;
      return;
    }
    value.kind = ConstValue::Kind::kIdentifier;
    value.text = token.text;
  }

  bool parse_const_list(ConstValue& value) {
    take();
    value.kind = ConstValue::Kind::kList;
    while (!accept_punct(']')) {
      if (!parse_const_value(value.list.emplace_back())) return false;
      skip_separator();
    }
    return true;
  }

  bool parse_const_map(ConstValue& value) {
    take();
    value.kind = ConstValue::Kind::kMap;
    while (!accept_punct('}')) {
      auto& [key, mapped] = value.entries.emplace_back();
      if (!parse_const_value(key) || !expect_punct(':') ||
          !parse_const_value(mapped)) {
        return false;
      }
      skip_separator();
    }
    return true;
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  Program& program_;
  Diagnostics& diags_;
  int depth_ = 0;
};

}  // namespace

bool parse_program(std::string_view source, Program& program,
                   Diagnostics& diags) {
  int errors_before = diags.error_count();
  std::vector<Token> tokens = lex(program, source, diags);
  // A lexing error usually cascades into confusing syntax errors; report
  // the lexer's and stop.
  if (diags.error_count() != errors_before) return false;
  return Parser(std::move(tokens), program, diags).parse();
}

}  // namespace ferry::idlgen
