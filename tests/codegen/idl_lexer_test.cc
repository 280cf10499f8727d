#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "codegen/lexer.h"

namespace ferry::idlgen {
namespace {

using ::testing::ElementsAre;

struct Lexed {
  std::vector<Token> tokens;
  std::string errors;
};

Lexed lex_text(std::string_view source) {
  Program program;
  program.path = "t.thrift";
  Diagnostics diags;
  Lexed out;
  out.tokens = lex(program, source, diags);
  for (const Diagnostic& d : diags.all()) {
    out.errors += format_diagnostic(d) + "\n";
  }
  return out;
}

std::vector<std::string> texts(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& token : tokens) {
    if (token.kind != Token::Kind::kEof) out.push_back(token.text);
  }
  return out;
}

TEST(IdlLexerTest, SplitsIdentifiersWithDotsAndPunctuation) {
  Lexed lexed = lex_text("shared.Foo x{}()[]<>,;:=*&");
  EXPECT_EQ(lexed.errors, "");
  EXPECT_THAT(texts(lexed.tokens),
              ElementsAre("shared.Foo", "x", "{", "}", "(", ")", "[", "]", "<",
                          ">", ",", ";", ":", "=", "*", "&"));
  EXPECT_EQ(lexed.tokens.back().kind, Token::Kind::kEof);
}

TEST(IdlLexerTest, ADotMustBeFollowedByAnIdentifierCharacter) {
  Lexed lexed = lex_text("a.b.");
  EXPECT_EQ(lexed.errors, "t.thrift:1:4: error: unexpected character '.'\n");
  EXPECT_THAT(texts(lexed.tokens), ElementsAre("a.b"));
}

TEST(IdlLexerTest, ReadsDecimalHexAndSignedIntegers) {
  Lexed lexed = lex_text(
      "0 42 -7 +8 0x1F -0x10 9223372036854775807 "
      "-9223372036854775808");
  ASSERT_EQ(lexed.errors, "");
  std::vector<std::int64_t> values;
  for (const Token& t : lexed.tokens) {
    if (t.kind == Token::Kind::kInt) values.push_back(t.int_value);
  }
  EXPECT_THAT(values, ElementsAre(0, 42, -7, 8, 31, -16, INT64_MAX, INT64_MIN));
}

TEST(IdlLexerTest, ReadsDoublesWithFractionsAndExponents) {
  Lexed lexed = lex_text("1.5 -0.25 1e3 2.5E-2 .5");
  ASSERT_EQ(lexed.errors, "");
  std::vector<double> values;
  for (const Token& t : lexed.tokens) {
    EXPECT_TRUE(t.kind == Token::Kind::kDouble || t.kind == Token::Kind::kEof);
    if (t.kind == Token::Kind::kDouble) values.push_back(t.double_value);
  }
  EXPECT_THAT(values, ElementsAre(1.5, -0.25, 1000.0, 0.025, 0.5));
}

TEST(IdlLexerTest, RejectsIntegersBeyondI64) {
  EXPECT_EQ(lex_text("  9876543210987654321").errors,
            "t.thrift:1:3: error: integer `9876543210987654321` does not fit "
            "in i64\n");
  EXPECT_EQ(lex_text("9223372036854775808").errors,
            "t.thrift:1:1: error: integer `9223372036854775808` does not fit "
            "in i64\n");
  EXPECT_EQ(lex_text("0x8000000000000000").errors,
            "t.thrift:1:1: error: integer `0x8000000000000000` does not fit "
            "in i64\n");
}

TEST(IdlLexerTest, UnescapesStringsInBothQuoteKinds) {
  Lexed lexed = lex_text(R"("a\"b\\c\n" 'it\'s "x"')");
  ASSERT_EQ(lexed.errors, "");
  ASSERT_EQ(lexed.tokens.size(), 3u);
  EXPECT_EQ(lexed.tokens[0].kind, Token::Kind::kString);
  EXPECT_EQ(lexed.tokens[0].text, "a\"b\\c\n");
  EXPECT_EQ(lexed.tokens[1].text, "it's \"x\"");
}

TEST(IdlLexerTest, ReportsUnterminatedStringsAndCommentsAtTheirStart) {
  EXPECT_EQ(lex_text("x \"abc").errors,
            "t.thrift:1:3: error: unterminated string literal\n");
  EXPECT_EQ(lex_text("x\n  /* abc").errors,
            "t.thrift:2:3: error: unterminated comment\n");
  EXPECT_EQ(lex_text("\"a\\q\"").errors,
            "t.thrift:1:3: error: unknown escape sequence `\\q` in string\n");
}

TEST(IdlLexerTest, ReportsUnexpectedCharactersWithLineAndColumn) {
  EXPECT_EQ(lex_text("struct\n  S @").errors,
            "t.thrift:2:5: error: unexpected character '@'\n");
  EXPECT_EQ(lex_text("\x01").errors,
            "t.thrift:1:1: error: unexpected character '\\x01'\n");
}

TEST(IdlLexerTest, SkipsCommentsAndAttachesDocCommentsToTheNextToken) {
  Lexed lexed = lex_text(
      "# hash\n// line\n/* block */ a /**\n * Doc line one.\n *   two\n */ b "
      "/**/ c");
  ASSERT_EQ(lexed.errors, "");
  ASSERT_THAT(texts(lexed.tokens), ElementsAre("a", "b", "c"));
  EXPECT_EQ(lexed.tokens[0].doc, "");
  EXPECT_EQ(lexed.tokens[1].doc, "Doc line one.\n  two");
  EXPECT_EQ(lexed.tokens[2].doc, "");  // `/**/` is not a doc comment
  EXPECT_EQ(lexed.tokens[1].line, 6);
  EXPECT_EQ(lexed.tokens[1].column, 5);
}

}  // namespace
}  // namespace ferry::idlgen
