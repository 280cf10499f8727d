#include "codegen/emitter.h"

#include <string>
#include <vector>

#include "codegen/emit_serialization.h"
#include "codegen/emit_services.h"
#include "codegen/emit_types.h"

namespace ferry::idlgen {

std::vector<std::string> output_file_names(const Program& program) {
  const std::string& n = program.name;
  return {n + "_types.h",         n + "_types.tcc",        n + "_types.cc",
          n + "_types_binary.cc", n + "_types_compact.cc", n + "_services.h",
          n + "_services.tcc",    n + "_services.cc"};
}

std::vector<OutputFile> emit_cpp(const Program& program,
                                 const EmitOptions& options) {
  std::vector<std::string> names = output_file_names(program);
  // Same order as output_file_names.
  std::vector<std::string> contents = {
      emit::emit_types_header(program, options),
      emit::emit_types_tcc(program, options),
      emit::emit_types_source(program, options),
      emit::emit_types_protocol_source(program, options,
                                       emit::Protocol::kBinary),
      emit::emit_types_protocol_source(program, options,
                                       emit::Protocol::kCompact),
      emit::emit_services_header(program, options),
      emit::emit_services_tcc(program, options),
      emit::emit_services_source(program, options),
  };
  std::vector<OutputFile> files;
  for (std::size_t i = 0; i < names.size(); ++i)
    files.push_back(OutputFile{std::move(names[i]), std::move(contents[i])});
  return files;
}

}  // namespace ferry::idlgen
