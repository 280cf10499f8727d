#include "codec/decode_error.h"

#include <fmt/core.h>

#include <cstring>
#include <string>

#include "absl/strings/cord.h"

namespace ferry::codec {
namespace {

// Debian's abseil has its own string_view type.
absl::string_view absl_view(std::string_view s) { return {s.data(), s.size()}; }
const absl::string_view kPathUrl = absl_view(kDecodePathPayloadUrl);

// Containers report a "size", byte strings a "length".
std::string_view measure_of(std::string_view what) {
  return what == "list" || what == "set" || what == "map" ? "size" : "length";
}

// The path is the message's prefix up to ": ". The payload records its
// length and how much of it is the leading struct type name (the part the
// next level up replaces), so the message never has to be parsed.
struct PathInfo {
  std::uint32_t path_len = 0;
  std::uint32_t head_len = 0;
};

PathInfo path_info(const Status& status) {
  PathInfo info;
  const auto payload = status.GetPayload(kPathUrl);
  if (!payload.has_value()) return info;
  const std::string bytes(*payload);
  if (bytes.size() != sizeof info) return info;
  std::memcpy(&info, bytes.data(), sizeof info);
  // Defend against a payload that does not fit the message.
  if ((info.path_len != 0 && info.path_len + 2 > status.message().size()) ||
      info.head_len > info.path_len)
    return PathInfo{};
  return info;
}

// Rebuilds `inner` with `prefix` (whose first `head_len` bytes are a type
// name) in place of the inner path's head.
Status with_path(const Status& inner, std::string_view prefix,
                 std::uint32_t head_len) {
  if (inner.ok()) return inner;
  const PathInfo old = path_info(inner);
  const std::string_view message = message_of(inner);
  const std::string_view rest =
      message.substr(old.head_len, old.path_len - old.head_len);
  const std::string_view detail =
      old.path_len == 0 ? message : message.substr(old.path_len + 2);
  const std::string path = fmt::format("{}{}", prefix, rest);
  Status out(inner.code(), fmt::format("{}: {}", path, detail));
  inner.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    if (url != kPathUrl) out.SetPayload(url, payload);
  });
  const PathInfo info{static_cast<std::uint32_t>(path.size()), head_len};
  out.SetPayload(kPathUrl,
                 absl::Cord(absl::string_view(
                     reinterpret_cast<const char*>(&info), sizeof info)));
  return out;
}

}  // namespace

Status truncated_error(std::size_t needed, std::size_t left) {
  return absl::InvalidArgumentError(
      fmt::format("truncated: needed {} bytes, {} left", needed, left));
}

Status limit_error(std::string_view what, std::uint64_t size,
                   std::uint64_t limit) {
  return absl::InvalidArgumentError(fmt::format(
      "{} {} {} exceeds limit {}", what, measure_of(what), size, limit));
}

Status depth_error(std::uint32_t limit) {
  return absl::InvalidArgumentError(
      fmt::format("nesting depth exceeds limit {}", limit));
}

Status invalid_error(std::string_view what) {
  return absl::InvalidArgumentError(absl_view(what));
}

Status invalid_value_error(std::string_view what, std::uint32_t value) {
  return absl::InvalidArgumentError(
      value <= 0xff ? fmt::format("{} 0x{:02x}", what, value)
                    : fmt::format("{} 0x{:08x}", what, value));
}

Status negative_size_error(std::string_view what, std::int64_t size) {
  return absl::InvalidArgumentError(
      fmt::format("negative {} {} {}", what, measure_of(what), size));
}

Status in_field(Status inner, std::string_view struct_name,
                std::string_view field_name) {
  return with_path(inner, fmt::format("{}.{}", struct_name, field_name),
                   static_cast<std::uint32_t>(struct_name.size()));
}

Status at_element(Status inner, std::size_t index) {
  return with_path(inner, fmt::format("[{}]", index), 0);
}

Status at_map_key(Status inner, std::size_t entry) {
  return with_path(inner, fmt::format("{{key #{}}}", entry), 0);
}

Status at_map_value(Status inner, std::size_t entry) {
  return with_path(inner, fmt::format("{{value #{}}}", entry), 0);
}

Status missing_required(std::string_view struct_name,
                        std::string_view field_name) {
  return in_field(absl::InvalidArgumentError("required field missing"),
                  struct_name, field_name);
}

std::string_view error_detail(const Status& status) {
  const PathInfo info = path_info(status);
  const std::string_view message = message_of(status);
  return info.path_len == 0 ? message : message.substr(info.path_len + 2);
}

std::string_view error_path(const Status& status) {
  return message_of(status).substr(0, path_info(status).path_len);
}

}  // namespace ferry::codec
