#pragma once

// The longer BinaryReader members: message header, field-header slow path,
// skip. Included at the bottom of codec/binary_protocol.h.

#include "codec/binary_protocol.h"

namespace ferry::codec {

template <class In>
template <class Name>
Status BinaryReader<In>::message_begin(Name& name, MessageType& type,
                                       std::int32_t& seqid) {
  std::uint32_t word;
  FERRY_RETURN_IF_ERROR(internal::read_bytes<4>(in_, &word));
  word = internal::big_endian(word);
  std::uint8_t raw_type;
  if ((word & 0x80000000u) != 0) {
    // Strict: version and type in one word, then name and seqid.
    if ((word & kVersionMask) != kVersion1) [[unlikely]]
      return invalid_value_error("bad binary protocol version", word);
    raw_type = static_cast<std::uint8_t>(word & 0xff);
    if constexpr (std::is_same_v<Name, std::string_view>) {
      FERRY_RETURN_IF_ERROR(read_string_view(name));
    } else {
      FERRY_RETURN_IF_ERROR(read_string(name));
    }
  } else {
    // Old unversioned form: the word was the name's length.
    if (strict_read_) [[unlikely]]
      return invalid_error("missing version in binary message header");
    FERRY_RETURN_IF_ERROR(
        internal::check_length(in_, word, limits_.max_string_length, "string"));
    if constexpr (std::is_same_v<Name, std::string_view>) {
      name = in_.view(word);
    } else {
      internal::read_into_string(in_, name, word);
    }
    FERRY_RETURN_IF_ERROR(internal::read_bytes<1>(in_, &raw_type));
  }
  if (raw_type < static_cast<std::uint8_t>(MessageType::kCall) ||
      raw_type > static_cast<std::uint8_t>(MessageType::kOneway)) [[unlikely]]
    return invalid_value_error("invalid message type", raw_type);
  type = static_cast<MessageType>(raw_type);
  return read_i32(seqid);
}

template <class In>
Status BinaryReader<In>::read_field_begin_slow(TType& type, std::int16_t& id) {
  std::uint8_t raw_type;
  FERRY_RETURN_IF_ERROR(internal::read_bytes<1>(in_, &raw_type));
  type = static_cast<TType>(raw_type);
  if (type == TType::kStop) return absl::OkStatus();
  return read_i16(id);
}

template <class In>
Status BinaryReader<In>::skip_elements(TType element, std::uint32_t count) {
  // Fixed-size elements go in one step (`container_begin` already checked
  // count * size against the bytes left); the rest one by one.
  switch (element) {
    case TType::kBool:
    case TType::kByte:
    case TType::kI16:
    case TType::kI32:
    case TType::kI64:
    case TType::kDouble:
    case TType::kUuid:
      return skip_bytes(std::size_t{count} * min_size(element));
    default:
      for (std::uint32_t i = 0; i < count; ++i)
        FERRY_RETURN_IF_ERROR(skip(element));
      return absl::OkStatus();
  }
}

template <class In>
Status BinaryReader<In>::skip(TType type) {
  switch (type) {
    case TType::kBool:
    case TType::kByte:
    case TType::kI16:
    case TType::kI32:
    case TType::kI64:
    case TType::kDouble:
    case TType::kUuid:
      return skip_bytes(min_size(type));
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
          *this, type, [this](TType element, std::uint32_t count) {
            return skip_elements(element, count);
          });
    case TType::kMap:
      return internal::skip_map(*this);
    default:
      return invalid_value_error("invalid type",
                                 static_cast<std::uint8_t>(type));
  }
}

}  // namespace ferry::codec
