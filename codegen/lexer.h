#pragma once

// The Thrift IDL lexer: turns one file's text into tokens. Keywords are not
// special here; they come out as identifiers and the parser decides by
// context, which is how newer Apache Thrift accepts `1: i8 i8`.
//
//   Diagnostics diags;
//   std::vector<Token> tokens = lex(program, source, diags);
//   // tokens.back().kind == Token::Kind::kEof, even after errors.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/ast.h"
#include "codegen/diagnostics.h"

namespace ferry::idlgen {

struct Token {
  enum class Kind {
    kIdentifier,  // also every keyword; may contain dots ("shared.Foo")
    kInt,         // decimal or hex, with an optional sign
    kDouble,
    kString,  // `text` is the unescaped contents
    kPunct,   // one of `{}()[]<>,;:=*&`, in `punct`
    kEof,
  };
  Kind kind = Kind::kEof;
  char punct = 0;
  std::string text;  // identifier, literal contents, or the number's spelling
  std::int64_t int_value = 0;
  double double_value = 0;
  int line = 0;
  int column = 0;
  // The `/** … */` comment that came after the previous token and before
  // this one, cleaned of its `*` decoration; "" if none. The parser gives
  // it to the definition or field this token starts.
  std::string doc;

  bool is_punct(char c) const { return kind == Kind::kPunct && punct == c; }
  bool is_word(std::string_view word) const {
    return kind == Kind::kIdentifier && text == word;
  }
};

// Lexes all of `source`. Errors (bad characters, unterminated strings or
// comments, integers beyond i64) are reported against `program` (for the
// file name) and lexing goes on past them; the result always ends with one
// kEof token. `source` need not outlive the call.
std::vector<Token> lex(const Program& program, std::string_view source,
                       Diagnostics& diags);

}  // namespace ferry::idlgen
