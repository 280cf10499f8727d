#pragma once

// The Thrift protocol contract: the wire types, the message envelope, decode
// limits, and the ProtocolWriter / ProtocolReader concepts that generated
// code (`template <ProtocolWriter W> void write(W&) const`,
// `template <ProtocolReader R> Status read(R&)`) is written against.
//
// Guarantees every model gives:
// - Writers cannot fail: their output buffer grows. They never allocate per
//   field beyond that growth.
// - Readers return `Status` and take outputs by reference. Every failure is
//   `kInvalidArgument` with a message that says what was wrong
//   ("string length 2147483647 exceeds limit 16777216", "truncated: needed 8
//   bytes, 3 left"); generated code prefixes the field path on the way out
//   (see codec/decode_error.h). Building that message is cold code.
// - Readers never allocate more than the input could justify: a length or
//   element count is checked against the limits *and* against the bytes left
//   before anything is reserved.
// - Readers count nesting (structs and containers, including inside `skip`)
//   and fail past `DecodeLimits::max_depth`, so hostile input cannot
//   exhaust the stack.
// - Writer and reader name each other (`W::Reader`, `R::Writer`) and expose
//   `static constexpr ProtocolId kProtocolId`.

#include <array>
#include <compare>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace ferry::codec {

// Wire type ids, as Apache Thrift's TType (the binary protocol's values;
// compact maps them to its own nibbles).
enum class TType : std::uint8_t {
  kStop = 0,
  kVoid = 1,
  kBool = 2,
  kByte = 3,
  kDouble = 4,
  kI16 = 6,
  kI32 = 8,
  kI64 = 10,
  kString = 11,  // string and binary
  kStruct = 12,
  kMap = 13,
  kSet = 14,
  kList = 15,
  kUuid = 16,
};

// Message envelope types (Apache's TMessageType).
enum class MessageType : std::uint8_t {
  kCall = 1,
  kReply = 2,
  kException = 3,
  kOneway = 4,
};

enum class ProtocolId : std::uint8_t { kBinary = 0, kCompact = 2 };

// Thrift's `uuid` (16 bytes, big-endian as written in its canonical text).
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

// Per-server / per-client decode limits. Defaults follow Apache Thrift's
// and gRPC's usual maxima.
struct DecodeLimits {
  std::uint32_t max_string_length = 16u << 20;   // string and binary, bytes
  std::uint32_t max_container_size = 16u << 20;  // elements (map: entries)
  std::uint32_t max_depth = 64;                  // nested structs + containers
  // One envelope, bytes. Checked by the transport when it frames a message
  // (the protocol readers only see the bytes they are given).
  std::uint32_t max_message_size = 16u << 20;
};

// clang-format off
template <class W>
concept ProtocolWriter = requires(W& w, std::string_view s, TType t,
                                  std::int16_t id, std::uint32_t n,
                                  const Uuid& u) {
  typename W::Reader;
  { W::kProtocolId } -> std::convertible_to<ProtocolId>;
  { w.write_message_begin(s, MessageType::kCall, std::int32_t{}) } -> std::same_as<void>;
  { w.write_message_end() } -> std::same_as<void>;
  { w.write_struct_begin(s) } -> std::same_as<void>;
  { w.write_struct_end() } -> std::same_as<void>;
  { w.write_field_begin(s, t, id) } -> std::same_as<void>;
  { w.write_field_end() } -> std::same_as<void>;
  { w.write_field_stop() } -> std::same_as<void>;
  { w.write_list_begin(t, n) } -> std::same_as<void>;
  { w.write_list_end() } -> std::same_as<void>;
  { w.write_set_begin(t, n) } -> std::same_as<void>;
  { w.write_set_end() } -> std::same_as<void>;
  { w.write_map_begin(t, t, n) } -> std::same_as<void>;
  { w.write_map_end() } -> std::same_as<void>;
  { w.write_bool(bool{}) } -> std::same_as<void>;
  { w.write_byte(std::int8_t{}) } -> std::same_as<void>;
  { w.write_i16(std::int16_t{}) } -> std::same_as<void>;
  { w.write_i32(std::int32_t{}) } -> std::same_as<void>;
  { w.write_i64(std::int64_t{}) } -> std::same_as<void>;
  { w.write_double(double{}) } -> std::same_as<void>;
  { w.write_string(s) } -> std::same_as<void>;
  { w.write_binary(s) } -> std::same_as<void>;
  { w.write_uuid(u) } -> std::same_as<void>;
};

template <class R>
concept ProtocolReader = requires(R& r, std::string& str, std::string_view& view,
                                  TType& t, std::int16_t& id, std::uint32_t& n,
                                  MessageType& mt, std::int32_t& i32, Uuid& u,
                                  bool& b, std::int8_t& i8, std::int16_t& i16,
                                  std::int64_t& i64, double& d) {
  typename R::Writer;
  { R::kProtocolId } -> std::convertible_to<ProtocolId>;
  { r.read_message_begin(str, mt, i32) } -> std::same_as<Status>;
  { r.read_message_end() } -> std::same_as<Status>;
  { r.read_struct_begin() } -> std::same_as<Status>;
  { r.read_struct_end() } -> std::same_as<Status>;
  // At the end of a struct, sets t = TType::kStop (id unspecified).
  { r.read_field_begin(t, id) } -> std::same_as<Status>;
  { r.read_field_end() } -> std::same_as<Status>;
  { r.read_list_begin(t, n) } -> std::same_as<Status>;
  { r.read_list_end() } -> std::same_as<Status>;
  { r.read_set_begin(t, n) } -> std::same_as<Status>;
  { r.read_set_end() } -> std::same_as<Status>;
  { r.read_map_begin(t, t, n) } -> std::same_as<Status>;
  { r.read_map_end() } -> std::same_as<Status>;
  { r.read_bool(b) } -> std::same_as<Status>;
  { r.read_byte(i8) } -> std::same_as<Status>;
  { r.read_i16(i16) } -> std::same_as<Status>;
  { r.read_i32(i32) } -> std::same_as<Status>;
  { r.read_i64(i64) } -> std::same_as<Status>;
  { r.read_double(d) } -> std::same_as<Status>;
  { r.read_string(str) } -> std::same_as<Status>;
  { r.read_binary(str) } -> std::same_as<Status>;
  // Zero-copy: `view` points into the reader's input (or, where the value
  // spans input chunks, into storage the input owns). Valid while the input
  // lives.
  { r.read_string_view(view) } -> std::same_as<Status>;
  { r.read_uuid(u) } -> std::same_as<Status>;
  { r.skip(t) } -> std::same_as<Status>;
};
// clang-format on

}  // namespace ferry::codec
