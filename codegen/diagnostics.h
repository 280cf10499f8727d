#pragma once

// Diagnostics: the errors and warnings idlgen's phases report about an IDL.
// Every diagnostic is one line, `file:line:col: error: message` (or
// `warning:`), the format compilers and editors already parse. Phases never
// throw and never print; they record here and the driver prints.
//
//   Diagnostics diags;
//   diags.error(field.loc, fmt::format("duplicate field id {}", field.id));
//   if (diags.has_errors()) {
//     diags.print(stderr);
//     return 1;
//   }

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "codegen/ast.h"

namespace ferry::idlgen {

enum class Severity { kWarning, kError };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;  // as the user named it (Program::path)
  int line = 0;
  int column = 0;
  std::string message;
};

// `file:line:col: error: message`, without a trailing newline.
std::string format_diagnostic(const Diagnostic& diagnostic);

// An append-only list of diagnostics. Not thread-safe; one per idlgen run.
class Diagnostics {
 public:
  // Records an error or warning at `loc`; `loc.program` names the file
  // ("<unknown>" when null, which only built-in nodes have).
  void error(const SourceLoc& loc, std::string message);
  void warning(const SourceLoc& loc, std::string message);
  // For positions outside any parsed Program (a file that failed to open,
  // a command-line argument).
  void error_in_file(std::string file, int line, int column,
                     std::string message);

  bool has_errors() const { return error_count_ > 0; }
  int error_count() const { return error_count_; }
  const std::vector<Diagnostic>& all() const { return diagnostics_; }

  // Writes every diagnostic, one per line, in the order reported.
  void print(std::FILE* out) const;

 private:
  void add(Severity severity, const SourceLoc& loc, std::string message);

  std::vector<Diagnostic> diagnostics_;
  int error_count_ = 0;
};

}  // namespace ferry::idlgen
