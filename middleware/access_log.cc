#include "middleware/access_log.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace ferry {

void AccessLogSink::write_stderr(void*, std::string_view line) {
  fmt::memory_buffer buf;
  buf.append(line);
  buf.push_back('\n');
  std::fwrite(buf.data(), 1, buf.size(), stderr);
}

namespace internal {

uint64_t access_log_every(double sample_rate) noexcept {
  if (!(sample_rate > 0)) return 0;  // also NaN
  if (sample_rate >= 1) return 1;
  return static_cast<uint64_t>(std::llround(1 / sample_rate));
}

namespace {

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '=' || c == '"' || u < 0x20 || u == 0x7f) {
      return true;
    }
  }
  return false;
}

// Appends `v` as a logfmt value.
void append_value(fmt::memory_buffer& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 ||
            static_cast<unsigned char>(c) == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\x{:02x}",
                         static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append_field(fmt::memory_buffer& out, std::string_view key,
                  std::string_view value) {
  if (out.size() != 0) out.push_back(' ');
  out.append(key);
  out.push_back('=');
  append_value(out, value);
}

}  // namespace

void write_access_log(const AccessLogOptions& options, const Context& cx,
                      const Status& status, Clock::duration latency) {
  fmt::memory_buffer out;
  append_field(out, "method", cx.method);
  if (cx.peer.family() == AF_UNSPEC) {
    append_field(out, "peer", "-");
  } else {
    append_field(out, "peer", cx.peer.to_string());
  }
  const std::string code = absl::StatusCodeToString(status.code());
  append_field(out, "code", code);
  fmt::format_to(
      std::back_inserter(out), " latency_us={} attempts={}",
      std::chrono::duration_cast<std::chrono::microseconds>(latency).count(),
      cx.stats.attempts);
  for (const std::string& key : options.metadata_keys) {
    if (auto v = cx.request_metadata.get(key)) {
      out.push_back(' ');
      out.append(std::string_view("md."));
      out.append(key);
      out.push_back('=');
      append_value(out, *v);
    }
  }
  if (!status.ok()) append_field(out, "error", message_of(status));
  options.sink(std::string_view(out.data(), out.size()));
}

}  // namespace internal
}  // namespace ferry
