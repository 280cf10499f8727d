#include "codegen/diagnostics.h"

#include <utility>

#include "fmt/format.h"

namespace ferry::idlgen {

std::string format_diagnostic(const Diagnostic& diagnostic) {
  const char* kind =
      diagnostic.severity == Severity::kError ? "error" : "warning";
  return fmt::format("{}:{}:{}: {}: {}", diagnostic.file, diagnostic.line,
                     diagnostic.column, kind, diagnostic.message);
}

void Diagnostics::error(const SourceLoc& loc, std::string message) {
  add(Severity::kError, loc, std::move(message));
}

void Diagnostics::warning(const SourceLoc& loc, std::string message) {
  add(Severity::kWarning, loc, std::move(message));
}

void Diagnostics::error_in_file(std::string file, int line, int column,
                                std::string message) {
  diagnostics_.push_back(Diagnostic{.severity = Severity::kError,
                                    .file = std::move(file),
                                    .line = line,
                                    .column = column,
                                    .message = std::move(message)});
  ++error_count_;
}

void Diagnostics::print(std::FILE* out) const {
  for (const Diagnostic& diagnostic : diagnostics_) {
    fmt::print(out, "{}\n", format_diagnostic(diagnostic));
  }
}

void Diagnostics::add(Severity severity, const SourceLoc& loc,
                      std::string message) {
  diagnostics_.push_back(Diagnostic{
      .severity = severity,
      .file = loc.program != nullptr ? loc.program->path : "<unknown>",
      .line = loc.line,
      .column = loc.column,
      .message = std::move(message)});
  if (severity == Severity::kError) ++error_count_;
}

}  // namespace ferry::idlgen
