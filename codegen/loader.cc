#include "codegen/loader.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "fmt/format.h"

#include "codegen/parser.h"

namespace ferry::idlgen {
namespace {

namespace fs = std::filesystem;

std::string normalized(const fs::path& path) {
  return path.lexically_normal().generic_string();
}

std::string program_name_of(const std::string& path) {
  fs::path file = fs::path(path).filename();
  if (file.extension() == ".thrift") file.replace_extension();
  return file.string();
}

class Loader {
 public:
  Loader(const LoadOptions& options, ProgramSet& set, Diagnostics& diags)
      : options_(options), set_(set), diags_(diags) {
    read_ = options.read_file ? options.read_file : disk_file_reader();
  }

  void load_root(const std::string& path) {
    std::string key = normalized(path);
    if (auto it = loaded_.find(key); it != loaded_.end()) {
      set_.roots.push_back(it->second);
      return;
    }
    std::optional<std::string> source = read_(path);
    if (!source) {
      diags_.error_in_file(path, 1, 1, "cannot read file");
      return;
    }
    set_.roots.push_back(load(path, key, *source));
  }

 private:
  // Parses one file, then loads its includes depth first. `loading_` holds
  // the chain of files being loaded, to name a cycle when one closes.
  Program* load(const std::string& path, const std::string& key,
                const std::string& source) {
    Program& program = set_.programs.emplace_back();
    program.path = path;
    program.name = program_name_of(path);
    loaded_[key] = &program;
    parse_program(source, program, diags_);
    loading_.push_back(&program);
    for (Include& include : program.includes) load_include(program, include);
    loading_.pop_back();
    return &program;
  }

  void load_include(const Program& from, Include& include) {
    std::optional<std::string> source;
    std::string found = find_include(from, include.path_as_written, source);
    if (found.empty()) {
      diags_.error(include.loc, fmt::format("cannot find included file \"{}\"",
                                            include.path_as_written));
      return;
    }
    include.resolved_path = found;
    auto it = loaded_.find(found);
    if (it == loaded_.end()) {
      include.program = load(found, found, *source);
      return;
    }
    include.program = it->second;
    if (is_loading(it->second)) report_cycle(include, *it->second);
  }

  // The including file's directory first, then each -I directory. Returns
  // the normalised path found ("" if none) and its contents in `source`.
  std::string find_include(const Program& from, const std::string& written,
                           std::optional<std::string>& source) {
    std::vector<fs::path> candidates;
    candidates.push_back(fs::path(from.path).parent_path() / written);
    for (const std::string& dir : options_.include_dirs) {
      candidates.push_back(fs::path(dir) / written);
    }
    for (const fs::path& candidate : candidates) {
      std::string path = normalized(candidate);
      if (loaded_.count(path) != 0) return path;
      source = read_(path);
      if (source) return path;
    }
    return {};
  }

  bool is_loading(const Program* program) const {
    for (const Program* p : loading_) {
      if (p == program) return true;
    }
    return false;
  }

  void report_cycle(const Include& include, const Program& target) {
    std::string chain;
    bool in_cycle = false;
    for (const Program* p : loading_) {
      in_cycle = in_cycle || p == &target;
      if (in_cycle) chain += p->path + " -> ";
    }
    chain += target.path;
    diags_.error(include.loc, fmt::format("include cycle: {}", chain));
  }

  const LoadOptions& options_;
  ProgramSet& set_;
  Diagnostics& diags_;
  FileReader read_;
  std::map<std::string, Program*> loaded_;  // normalised path → program
  std::vector<const Program*> loading_;
};

}  // namespace

FileReader disk_file_reader() {
  return [](const std::string& path) -> std::optional<std::string> {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream contents;
    contents << in.rdbuf();
    return std::move(contents).str();
  };
}

bool load_programs(const std::vector<std::string>& root_paths,
                   const LoadOptions& options, ProgramSet& set,
                   Diagnostics& diags) {
  int errors_before = diags.error_count();
  Loader loader(options, set, diags);
  for (const std::string& path : root_paths) loader.load_root(path);
  return diags.error_count() == errors_before;
}

std::vector<std::string> loaded_paths(const ProgramSet& set) {
  std::vector<std::string> paths;
  for (const Program* root : set.roots) paths.push_back(root->path);
  for (const Program& program : set.programs) {
    bool seen = false;
    for (const std::string& path : paths) seen = seen || path == program.path;
    if (!seen) paths.push_back(program.path);
  }
  return paths;
}

}  // namespace ferry::idlgen
