#pragma once

// Decode errors with a field path, built only on the failure path.
//
// A reader fails with a leaf message ("string length 2147483647 exceeds
// limit 16777216"). As the error returns through generated `read` functions,
// each level prefixes where it was, so the caller sees
//   Outer.items[3].name: string length 2147483647 exceeds limit 16777216
// Every function here is cold and out of line: the decode loop only pays
// the `ok()` branch it already has.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/status.h"

namespace ferry::codec {

// Leaf errors, used by readers.
[[gnu::cold, gnu::noinline]] Status truncated_error(std::size_t needed,
                                                    std::size_t left);
// `what` is "string", "binary", "list", "set", "map" or "message".
[[gnu::cold, gnu::noinline]] Status limit_error(std::string_view what,
                                                std::uint64_t size,
                                                std::uint64_t limit);
[[gnu::cold, gnu::noinline]] Status depth_error(std::uint32_t limit);
[[gnu::cold, gnu::noinline]] Status invalid_error(std::string_view what);
// "`what` 0x0e": `value` in hex, two digits up to 0xff, else eight; e.g.
// invalid_value_error("invalid compact type", 0x0e).
[[gnu::cold, gnu::noinline]] Status invalid_value_error(std::string_view what,
                                                        std::uint32_t value);
// "negative string length -1", "negative list size -5" (`what` as for
// limit_error).
[[gnu::cold, gnu::noinline]] Status negative_size_error(std::string_view what,
                                                        std::int64_t size);

// Path prefixes, used by generated code on the way out of a failed read.
// A path is `Type.field` followed by segments:
//   `.field`         a field of a nested struct
//   `[i]`            element i (0-based) of a list or set
//   `{key #i}`       the key of map entry i (0-based, in wire order)
//   `{value #i}`     the value of map entry i
// Entries are numbered rather than named by key because the key may be
// what failed to decode (or be a struct). An inner struct's own type name
// is replaced by the segment that reached it:
//
//   Inner::read fails on `name`   -> "Inner.name: <detail>"
//   at_element(s, 3)              -> "[3].name: <detail>"
//   in_field(s, "Outer", "items") -> "Outer.items[3].name: <detail>"
//
// The code of `inner` is kept, and so are its other payloads. An OK
// `inner` is returned unchanged. The path is kept in a Status payload
// (type URL `kDecodePathPayloadUrl`), so `error_path` / `error_detail` can
// split the message again.
[[gnu::cold, gnu::noinline]] Status in_field(Status inner,
                                             std::string_view struct_name,
                                             std::string_view field_name);
[[gnu::cold, gnu::noinline]] Status at_element(Status inner, std::size_t index);
[[gnu::cold, gnu::noinline]] Status at_map_key(Status inner, std::size_t entry);
[[gnu::cold, gnu::noinline]] Status at_map_value(Status inner,
                                                 std::size_t entry);
// A required field was absent: "Outer.name: required field missing".
[[gnu::cold, gnu::noinline]] Status missing_required(
    std::string_view struct_name, std::string_view field_name);

inline constexpr std::string_view kDecodePathPayloadUrl =
    "type.ferry.dev/ferry.codec.DecodePath";

// The message without its path, and the path alone ("" when none). For
// tests and for transports that log them separately.
std::string_view error_detail(const Status& status);
std::string_view error_path(const Status& status);

}  // namespace ferry::codec
