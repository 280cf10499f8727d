// idlgen: the Thrift IDL compiler's command line. Loads the IDL files and
// their includes, checks them, and writes the generated C++ for each file
// named on the command line (included files get their own invocation, as
// with Apache's `thrift` without `-r`). Nothing is written unless every
// step succeeded: outputs go to temporary files that are renamed into place
// at the end.

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "fmt/format.h"

#include "codegen/diagnostics.h"
#include "codegen/emitter.h"
#include "codegen/json_dump.h"
#include "codegen/loader.h"
#include "codegen/sema.h"

namespace ferry::idlgen {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kUsage =
    R"(usage: idlgen [-I DIR]... --out DIR [--namespace-prefix NS]
              [--source-root DIR] [--depfile FILE] FILE.thrift...
       idlgen [-I DIR]... --dump-json FILE.thrift...

Generates C++ for each FILE.thrift (not for the files it includes).

  -I DIR                 search DIR for included files, after the including
                         file's own directory; repeatable, searched in order
  --out DIR              write the generated files to DIR (created if needed)
  --namespace-prefix NS  prepend NS to every generated C++ namespace
  --source-root DIR      generated banners name IDL paths relative to DIR
  --depfile FILE         write a Makefile-style depfile naming every IDL file
                         read, for Ninja/CMake regeneration
  --no-error-paths       decode errors without field paths (only for the
                         benchmark measuring what the paths cost)
  --dump-json            print a JSON summary of each FILE instead of
                         generating C++ (for debugging)
  --help                 print this help
)";

struct CliOptions {
  std::vector<std::string> include_dirs;
  std::string out_dir;
  std::string namespace_prefix;
  std::string source_root;
  std::string depfile;
  bool dump_json = false;
  bool error_paths = true;
  bool help = false;
  std::vector<std::string> inputs;
};

void usage_error(std::string_view message) {
  fmt::print(stderr, "idlgen: error: {}\n(run `idlgen --help` for usage)\n",
             message);
}

// Stores `value` for a flag that takes one; false if `flag` is not such.
bool store_flag_value(std::string_view flag, std::string value,
                      CliOptions& options) {
  if (flag == "-I") {
    options.include_dirs.push_back(std::move(value));
  } else if (flag == "--out") {
    options.out_dir = std::move(value);
  } else if (flag == "--namespace-prefix") {
    options.namespace_prefix = std::move(value);
  } else if (flag == "--source-root") {
    options.source_root = std::move(value);
  } else if (flag == "--depfile") {
    options.depfile = std::move(value);
  } else {
    return false;
  }
  return true;
}

// Accepts `--flag VALUE`, `--flag=VALUE`, `-I DIR` and `-IDIR`.
std::optional<CliOptions> parse_args(int argc, char** argv) {
  CliOptions options;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      continue;
    }
    if (arg == "--no-error-paths") {
      options.error_paths = false;
      continue;
    }
    if (arg == "--dump-json") {
      options.dump_json = true;
      continue;
    }
    if (arg.empty() || arg.front() != '-') {
      options.inputs.emplace_back(arg);
      continue;
    }
    // Split an inline value off: `--out=DIR`, `-IDIR`.
    std::string_view flag = arg;
    std::optional<std::string> value;
    if (std::size_t eq = arg.find('=');
        arg.starts_with("--") && eq != std::string_view::npos) {
      flag = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    } else if (arg.starts_with("-I") && arg.size() > 2) {
      flag = "-I";
      value = std::string(arg.substr(2));
    } else if (i + 1 < args.size()) {
      value = std::string(args[i + 1]);
    }
    std::string consumed = value.value_or("");
    if (!store_flag_value(flag, consumed, options)) {
      usage_error(fmt::format("unknown option `{}`", arg));
      return std::nullopt;
    }
    if (!value || value->empty()) {
      usage_error(fmt::format("{} needs a value", flag));
      return std::nullopt;
    }
    if (flag == arg) ++i;  // the value was the next argument
  }
  return options;
}

bool validate(const CliOptions& options) {
  if (options.inputs.empty()) {
    usage_error("no input files");
    return false;
  }
  if (!options.dump_json && options.out_dir.empty()) {
    usage_error("--out DIR is required");
    return false;
  }
  return true;
}

// A file to create: written under a temporary name first, renamed into
// place only once every file has been written.
struct PendingFile {
  fs::path final_path;
  fs::path temp_path;
};

bool write_file(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  return static_cast<bool>(out);
}

class OutputWriter {
 public:
  bool add(const fs::path& path, const std::string& contents) {
    PendingFile file{path, path};
    file.temp_path += fmt::format(".idlgen-tmp");
    pending_.push_back(file);
    if (write_file(file.temp_path, contents)) return true;
    fmt::print(stderr, "idlgen: error: cannot write {}\n", path.string());
    return false;
  }

  bool commit() {
    for (const PendingFile& file : pending_) {
      std::error_code ec;
      fs::rename(file.temp_path, file.final_path, ec);
      if (ec) {
        fmt::print(stderr, "idlgen: error: cannot rename {} to {}: {}\n",
                   file.temp_path.string(), file.final_path.string(),
                   ec.message());
        return false;
      }
    }
    pending_.clear();
    return true;
  }

  // Removes whatever was written; a failed run leaves no partial output.
  ~OutputWriter() {
    for (const PendingFile& file : pending_) {
      std::error_code ignored;
      fs::remove(file.temp_path, ignored);
    }
  }

 private:
  std::vector<PendingFile> pending_;
};

// Make syntax: spaces and `#` escaped with `\`, `$` doubled.
std::string depfile_escape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '#') out.push_back('\\');
    if (c == '$') out.push_back('$');
    out.push_back(c);
  }
  return out;
}

std::string depfile_contents(const std::string& first_output,
                             const std::vector<std::string>& inputs) {
  std::string out = depfile_escape(first_output) + ":";
  for (const std::string& input : inputs) {
    out += " \\\n  " + depfile_escape(input);
  }
  out += "\n";
  return out;
}

int generate(const CliOptions& options, const ProgramSet& set) {
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) {
    fmt::print(stderr, "idlgen: error: cannot create {}: {}\n", options.out_dir,
               ec.message());
    return 1;
  }
  EmitOptions emit_options{.namespace_prefix = options.namespace_prefix,
                           .source_root = options.source_root,
                           .error_paths = options.error_paths};
  OutputWriter writer;
  std::string first_output;
  for (const Program* root : set.roots) {
    for (const OutputFile& file : emit_cpp(*root, emit_options)) {
      fs::path path = fs::path(options.out_dir) / file.name;
      if (first_output.empty()) first_output = path.string();
      if (!writer.add(path, file.contents)) return 1;
    }
  }
  if (!options.depfile.empty() &&
      !writer.add(options.depfile,
                  depfile_contents(first_output, loaded_paths(set)))) {
    return 1;
  }
  return writer.commit() ? 0 : 1;
}

int run(const CliOptions& options) {
  ProgramSet set;
  Diagnostics diags;
  LoadOptions load_options{.include_dirs = options.include_dirs};
  bool ok = load_programs(options.inputs, load_options, set, diags) &&
            analyze(set, diags);
  diags.print(stderr);
  if (!ok) return 1;
  if (options.dump_json) {
    for (const Program* root : set.roots) fmt::print("{}", dump_json(*root));
    return 0;
  }
  return generate(options, set);
}

}  // namespace
}  // namespace ferry::idlgen

int main(int argc, char** argv) {
  using namespace ferry::idlgen;
  std::optional<CliOptions> options = parse_args(argc, argv);
  if (!options) return 1;
  if (options->help) {
    fmt::print("{}", kUsage);
    return 0;
  }
  if (!validate(*options)) return 1;
  return run(*options);
}
