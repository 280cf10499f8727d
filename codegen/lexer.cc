#include "codegen/lexer.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <utility>

#include "fmt/format.h"

namespace ferry::idlgen {
namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// Strips a doc comment's `/**`, `*/` and the ` * ` that starts each line,
// and trims blank lines at both ends; the text is what a human wrote.
std::string clean_doc(std::string_view raw) {
  raw.remove_prefix(3);
  raw.remove_suffix(2);
  std::string out;
  while (!raw.empty()) {
    std::size_t end = raw.find('\n');
    std::string_view line = raw.substr(0, end);
    raw = end == std::string_view::npos ? std::string_view{}
                                        : raw.substr(end + 1);
    std::size_t first = line.find_first_not_of(" \t\r");
    line = first == std::string_view::npos ? std::string_view{}
                                           : line.substr(first);
    if (!line.empty() && line.front() == '*') {
      line.remove_prefix(1);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    }
    std::size_t last = line.find_last_not_of(" \t\r");
    line = line.substr(0, last == std::string_view::npos ? 0 : last + 1);
    if (out.empty() && line.empty()) continue;
    out.append(line);
    out.push_back('\n');
  }
  while (!out.empty() && (out.back() == '\n')) out.pop_back();
  return out;
}

std::string printable(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("'\\x{:02x}'", u);
}

class Lexer {
 public:
  Lexer(const Program& program, std::string_view source, Diagnostics& diags)
      : program_(program), source_(source), diags_(diags) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    while (skip_space_and_comments()) {
      Token token = next_token();
      if (token.kind == Token::Kind::kEof) continue;  // bad char, skipped
      token.doc = std::exchange(pending_doc_, {});
      tokens.push_back(std::move(token));
    }
    Token eof;
    eof.line = line_;
    eof.column = column_;
    tokens.push_back(std::move(eof));
    return tokens;
  }

 private:
  bool at_end() const { return pos_ >= source_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < source_.size() ? source_[pos_ + ahead] : '\0';
  }
  void advance() {
    if (source_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }
  void error_here(int line, int column, std::string message) {
    diags_.error(SourceLoc{&program_, line, column}, std::move(message));
  }

  // Skips whitespace and comments, remembering the last doc comment.
  // Returns false at end of input.
  bool skip_space_and_comments() {
    while (!at_end()) {
      char c = peek();
      if (std::isspace(static_cast<unsigned char>(c))) {
        advance();
      } else if (c == '#' || (c == '/' && peek(1) == '/')) {
        while (!at_end() && peek() != '\n') advance();
      } else if (c == '/' && peek(1) == '*') {
        skip_block_comment();
      } else {
        return true;
      }
    }
    return false;
  }

  void skip_block_comment() {
    int line = line_, column = column_;
    std::size_t start = pos_;
    advance();
    advance();
    while (!at_end() && !(peek() == '*' && peek(1) == '/')) advance();
    if (at_end()) {
      error_here(line, column, "unterminated comment");
      return;
    }
    advance();
    advance();
    std::string_view text = source_.substr(start, pos_ - start);
    // `/**/` is an empty plain comment, not a doc comment (as Apache).
    if (text.size() > 4 && text[2] == '*') pending_doc_ = clean_doc(text);
  }

  Token next_token() {
    Token token;
    token.line = line_;
    token.column = column_;
    char c = peek();
    if (is_ident_start(c)) {
      lex_identifier(token);
    } else if (starts_number()) {
      lex_number(token);
    } else if (c == '"' || c == '\'') {
      lex_string(token);
    } else if (std::string_view("{}()[]<>,;:=*&").find(c) !=
               std::string_view::npos) {
      token.kind = Token::Kind::kPunct;
      token.punct = c;
      token.text = std::string(1, c);
      advance();
    } else {
      error_here(line_, column_,
                 fmt::format("unexpected character {}", printable(c)));
      advance();
      token.kind = Token::Kind::kEof;  // tells run() to drop it
    }
    return token;
  }

  // `[+-]?[0-9]`, or a double with no integer part: `[+-]?\.[0-9]`.
  bool starts_number() const {
    std::size_t i = (peek() == '+' || peek() == '-') ? 1 : 0;
    if (is_digit(peek(i))) return true;
    return peek(i) == '.' && is_digit(peek(i + 1));
  }

  // Apache's identifier: `[a-zA-Z_](\.[a-zA-Z_0-9]|[a-zA-Z_0-9])*`; a dot
  // must be followed by an identifier character.
  void lex_identifier(Token& token) {
    std::size_t start = pos_;
    while (!at_end() &&
           (is_ident_char(peek()) || (peek() == '.' && is_ident_char(peek(1)))))
      advance();
    token.kind = Token::Kind::kIdentifier;
    token.text = std::string(source_.substr(start, pos_ - start));
  }

  void lex_number(Token& token) {
    std::size_t start = pos_;
    bool negative = peek() == '-';
    if (peek() == '+' || peek() == '-') advance();
    if (peek() == '0' && (peek(1) == 'x' || peek(1) == 'X') &&
        is_hex_digit(peek(2))) {
      advance();
      advance();
      std::size_t digits = pos_;
      while (!at_end() && is_hex_digit(peek())) advance();
      token.text = std::string(source_.substr(start, pos_ - start));
      finish_int(token, source_.substr(digits, pos_ - digits), 16, negative);
      return;
    }
    bool is_double = false;
    while (!at_end() && is_digit(peek())) advance();
    if (peek() == '.' && is_digit(peek(1))) {
      is_double = true;
      advance();
      while (!at_end() && is_digit(peek())) advance();
    }
    if ((peek() == 'e' || peek() == 'E') &&
        (is_digit(peek(1)) ||
         ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
      is_double = true;
      advance();
      advance();
      while (!at_end() && is_digit(peek())) advance();
    }
    token.text = std::string(source_.substr(start, pos_ - start));
    if (is_double) {
      token.kind = Token::Kind::kDouble;
      token.double_value = std::strtod(token.text.c_str(), nullptr);
      return;
    }
    std::size_t digits = start + (negative || source_[start] == '+' ? 1 : 0);
    finish_int(token, source_.substr(digits, pos_ - digits), 10, negative);
  }

  // Accumulates the magnitude in unsigned 64 bits so that i64's minimum,
  // whose magnitude has no positive i64, is accepted.
  void finish_int(Token& token, std::string_view digits, int base,
                  bool negative) {
    token.kind = Token::Kind::kInt;
    std::uint64_t magnitude = 0;
    bool overflow = false;
    for (char d : digits) {
      int v = is_digit(d) ? d - '0' : std::tolower(d) - 'a' + 10;
      if (magnitude > (std::numeric_limits<std::uint64_t>::max() - v) / base) {
        overflow = true;
        break;
      }
      magnitude = magnitude * base + v;
    }
    constexpr std::uint64_t kMaxPositive = std::numeric_limits<int64_t>::max();
    if (overflow || magnitude > kMaxPositive + (negative ? 1 : 0)) {
      error_here(token.line, token.column,
                 fmt::format("integer `{}` does not fit in i64", token.text));
      return;
    }
    token.int_value = negative ? static_cast<std::int64_t>(0 - magnitude)
                               : static_cast<std::int64_t>(magnitude);
  }

  void lex_string(Token& token) {
    char quote = peek();
    advance();
    token.kind = Token::Kind::kString;
    while (!at_end() && peek() != quote) {
      if (peek() != '\\') {
        token.text.push_back(peek());
        advance();
        continue;
      }
      int line = line_, column = column_;
      advance();
      if (at_end()) break;
      char escaped = peek();
      advance();
      switch (escaped) {
        case 'n':
          token.text.push_back('\n');
          break;
        case 'r':
          token.text.push_back('\r');
          break;
        case 't':
          token.text.push_back('\t');
          break;
        case '\\':
          token.text.push_back('\\');
          break;
        case '"':
          token.text.push_back('"');
          break;
        case '\'':
          token.text.push_back('\'');
          break;
        default:
          error_here(
              line, column,
              fmt::format("unknown escape sequence `\\{}` in string", escaped));
      }
    }
    if (at_end()) {
      error_here(token.line, token.column, "unterminated string literal");
      return;
    }
    advance();  // closing quote
  }

  const Program& program_;
  std::string_view source_;
  Diagnostics& diags_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  std::string pending_doc_;
};

}  // namespace

std::vector<Token> lex(const Program& program, std::string_view source,
                       Diagnostics& diags) {
  return Lexer(program, source, diags).run();
}

}  // namespace ferry::idlgen
