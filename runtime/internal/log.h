#pragma once

// Minimal leveled logging to stderr for the runtime's few messages (backend
// choice, dropped exceptions). Rate limiting lives with the callers that can
// repeat (transports). Uses fmt, so formatting stays off the hot path.

#include <fmt/core.h>

#include <cstdio>
#include <utility>

namespace ferry::internal {

template <class... Args>
[[gnu::cold]] void log_info(fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "ferry: {}\n",
             fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
[[gnu::cold]] void log_error(fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "ferry: error: {}\n",
             fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ferry::internal
