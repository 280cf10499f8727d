#pragma once

// The longer CompactReader members: message header, field and container
// headers, the varint slow path, skip. Included at the bottom of
// codec/compact_protocol.h.

#include <limits>

#include "codec/compact_protocol.h"

namespace ferry::codec {

template <class In>
template <class Name>
Status CompactReader<In>::message_begin(Name& name, MessageType& type,
                                        std::int32_t& seqid) {
  std::uint8_t header[2];
  FERRY_RETURN_IF_ERROR(internal::read_bytes<2>(in_, header));
  if (header[0] != Writer::kProtocolIdByte) [[unlikely]]
    return invalid_value_error("invalid compact protocol id", header[0]);
  const std::uint8_t version = header[1] & Writer::kVersionMask;
  if (version != Writer::kVersion) [[unlikely]]
    return invalid_value_error("bad compact protocol version", version);
  const std::uint8_t raw_type = header[1] >> Writer::kTypeShift;
  if (raw_type < static_cast<std::uint8_t>(MessageType::kCall) ||
      raw_type > static_cast<std::uint8_t>(MessageType::kOneway)) [[unlikely]]
    return invalid_value_error("invalid message type", raw_type);
  type = static_cast<MessageType>(raw_type);
  std::uint32_t raw_seqid;
  FERRY_RETURN_IF_ERROR(read_varint32(raw_seqid));
  seqid = static_cast<std::int32_t>(raw_seqid);
  if constexpr (std::is_same_v<Name, std::string_view>) {
    return read_string_view(name);
  } else {
    return read_string(name);
  }
}

template <class In>
Status CompactReader<In>::read_field_begin_slow(TType& type, std::int16_t& id) {
  std::uint8_t header;
  FERRY_RETURN_IF_ERROR(internal::read_bytes<1>(in_, &header));
  const std::uint8_t compact = header & 0x0f;
  if (compact == 0) {
    type = TType::kStop;
    return absl::OkStatus();
  }
  type = ttype_of(compact);
  if (type == static_cast<TType>(kInvalid)) [[unlikely]]
    return invalid_value_error("invalid compact type", compact);
  const int delta = header >> 4;
  if (delta != 0) {
    id = static_cast<std::int16_t>(last_id_ + delta);
  } else {
    FERRY_RETURN_IF_ERROR(read_i16(id));
  }
  last_id_ = id;
  if (type == TType::kBool) {
    bool_pending_ = true;
    pending_bool_ =
        compact == static_cast<std::uint8_t>(CompactType::kBoolTrue);
  }
  return absl::OkStatus();
}

template <class In>
Status CompactReader<In>::read_list_header(std::string_view what,
                                           TType& element,
                                           std::uint32_t& size) {
  std::uint8_t header;
  FERRY_RETURN_IF_ERROR(internal::read_bytes<1>(in_, &header));
  std::uint32_t n = header >> 4;
  if (n == 15) FERRY_RETURN_IF_ERROR(read_varint32(n));
  // Sizes are i32 on the wire: Apache reads a varint above INT32_MAX as
  // negative, and so do we.
  if (n > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max()))
      [[unlikely]]
    return negative_size_error(what, static_cast<std::int32_t>(n));
  const std::uint8_t compact = header & 0x0f;
  element = ttype_of(compact);
  if (n != 0 && min_size(element) == 0) [[unlikely]]
    return invalid_value_error("invalid compact element type", compact);
  FERRY_RETURN_IF_ERROR(internal::check_count(
      in_, n, min_size(element), limits_.max_container_size, what));
  size = n;
  return depth_.enter();
}

template <class In>
Status CompactReader<In>::read_map_begin(TType& key, TType& value,
                                         std::uint32_t& size) {
  std::uint32_t n;
  FERRY_RETURN_IF_ERROR(read_varint32(n));
  if (n > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max()))
      [[unlikely]]
    return negative_size_error("map", static_cast<std::int32_t>(n));
  if (n == 0) {
    key = value = TType::kStop;
    size = 0;
    return depth_.enter();
  }
  std::uint8_t types;
  FERRY_RETURN_IF_ERROR(internal::read_bytes<1>(in_, &types));
  key = ttype_of(types >> 4);
  value = ttype_of(types & 0x0f);
  const std::uint32_t k = min_size(key), v = min_size(value);
  if (k == 0) [[unlikely]]
    return invalid_value_error("invalid compact map key type", types >> 4);
  if (v == 0) [[unlikely]]
    return invalid_value_error("invalid compact map value type", types & 0x0f);
  FERRY_RETURN_IF_ERROR(
      internal::check_count(in_, n, k + v, limits_.max_container_size, "map"));
  size = n;
  return depth_.enter();
}

template <class In>
template <class U, std::size_t kMaxBytes>
Status CompactReader<In>::read_varint_slow(U& v) {
  U result = 0;
  for (std::size_t i = 0; i < kMaxBytes; ++i) {
    std::uint8_t b;
    FERRY_RETURN_IF_ERROR(internal::read_bytes<1>(in_, &b));
    result |= static_cast<U>(b & 0x7f) << (7 * i);
    if (b < 0x80) {
      v = result;
      return absl::OkStatus();
    }
  }
  return varint_too_long(kMaxBytes);
}

template <class In>
Status CompactReader<In>::varint_too_long(std::size_t max_bytes) {
  return invalid_error(max_bytes == kMaxVarint32
                           ? "varint longer than 5 bytes (32-bit value)"
                           : "varint longer than 10 bytes (64-bit value)");
}

template <class In>
Status CompactReader<In>::skip(TType type) {
  switch (type) {
    case TType::kBool: {
      bool ignored;
      return read_bool(ignored);
    }
    case TType::kByte:
      return skip_bytes(1);
    case TType::kI16:
    case TType::kI32: {
      std::uint32_t ignored;
      return read_varint32(ignored);
    }
    case TType::kI64: {
      std::uint64_t ignored;
      return read_varint64(ignored);
    }
    case TType::kDouble:
      return skip_bytes(8);
    case TType::kUuid:
      return skip_bytes(16);
    case TType::kString: {
      std::uint32_t n;
      FERRY_RETURN_IF_ERROR(read_length("string", n));
      in_.skip(n);
      return absl::OkStatus();
    }
    case TType::kStruct:
      return internal::skip_struct(*this);
    case TType::kList:
    case TType::kSet:
      return internal::skip_list_or_set(
          *this, type, [this](TType element, std::uint32_t count) -> Status {
            if (element == TType::kByte || element == TType::kDouble ||
                element == TType::kUuid) {
              // Fixed-size elements in one step (the header check already
              // compared count * size with the bytes left).
              return skip_bytes(std::size_t{count} * min_size(element));
            }
            for (std::uint32_t i = 0; i < count; ++i)
              FERRY_RETURN_IF_ERROR(skip(element));
            return absl::OkStatus();
          });
    case TType::kMap:
      return internal::skip_map(*this);
    default:
      return invalid_value_error("invalid type",
                                 static_cast<std::uint8_t>(type));
  }
}

}  // namespace ferry::codec
