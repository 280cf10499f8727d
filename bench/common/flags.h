#pragma once

// Numeric flag values for the benchmark tools, with nothing but the
// standard library: uring_echo_reference, which uses none of ferry's code,
// shares it with the load generators (bench/common/loadgen.h).

#include <charconv>
#include <string_view>
#include <system_error>

namespace ferry::bench_common {

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
