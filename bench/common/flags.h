#pragma once

// Flag parsing for the benchmark tools, with nothing but the standard
// library: the reference peers (peer_main.h), which use none of ferry's
// code, share it with the load generators (loadgen.h).

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

namespace ferry::bench_common {

// Splits the flag at argv[*i], written `--name value` or `--name=value` (a
// separate value may itself start with "--"), into *name and *value,
// advancing *i past a separate value. Returns what is wrong with it, or ""
// when it is well formed.
inline std::string split_flag(int argc, char** argv, int* i,
                              std::string_view* name, std::string_view* value) {
  std::string_view arg = argv[*i];
  if (arg.size() < 3 || arg.substr(0, 2) != "--")
    return "unexpected argument '" + std::string(arg) + "'";
  arg.remove_prefix(2);
  if (const auto eq = arg.find('='); eq != std::string_view::npos) {
    *name = arg.substr(0, eq);
    *value = arg.substr(eq + 1);
  } else if (*i + 1 < argc) {
    *name = arg;
    *value = argv[++*i];
  } else {
    return "--" + std::string(arg) + " needs a value";
  }
  return "";
}

// Parses all of `text` as a T in [min, max] into *out. False (and *out
// untouched) if it is not one.
template <class T>
bool parse_number(std::string_view text, T min, T max, T* out) {
  T v{};
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= min) ||
      !(v <= max)) {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace ferry::bench_common
