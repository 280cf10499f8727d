#pragma once

// The message envelope as the transports see it: read once per message to
// route it (server: to a handler; client: to the call waiting for the
// seqid), then the body is handed on without the header.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/compact_protocol.h"
#include "codec/internal/wire.h"
#include "codec/protocol.h"
#include "runtime/io_buf.h"
#include "runtime/status.h"

namespace ferry::thrift::detail {

// The oneway call a ferry client sends first to say it matches replies by
// seqid, so this server may send them in completion order.
inline constexpr std::string_view kMultiplexAnnouncement =
    "__ferry_multiplex__";

// The longest method name an envelope may carry.
inline constexpr std::uint32_t kMaxMethodNameLength = 4096;

struct Envelope {
  // A view of the message, or of `spill` if the name straddled two slices
  // (heap blocks: the view survives moving the Envelope).
  std::string_view name;
  codec::ChainInput::SpillBlocks spill;
  codec::MessageType type = codec::MessageType::kCall;
  std::int32_t seqid = 0;
  std::size_t header_size = 0;
};

// The server's fast path for a message in one contiguous range: reads a
// well-formed call or oneway envelope without a reader or a copy, and
// agrees with read_envelope whenever it returns true. On false (anything
// unusual: another message type, a malformed or truncated header), use
// read_envelope, which has the error messages.
inline bool read_contiguous_envelope(std::string_view message,
                                     codec::ProtocolId protocol,
                                     Envelope& out) noexcept {
  const char* const begin = message.data();
  const char* const end = begin + message.size();
  std::uint8_t raw_type;
  std::uint32_t name_length;
  const char* p;
  std::int32_t seqid;
  if (protocol == codec::ProtocolId::kCompact) {
    using Writer = codec::CompactWriter<>;
    if (message.size() < 4 ||
        static_cast<std::uint8_t>(begin[0]) != Writer::kProtocolIdByte ||
        (static_cast<std::uint8_t>(begin[1]) & Writer::kVersionMask) !=
            Writer::kVersion)
      return false;
    raw_type = static_cast<std::uint8_t>(begin[1]) >> Writer::kTypeShift;
    p = begin + 2;
    // Varints exactly as CompactReader reads them (at most 5 bytes).
    auto take_varint32 = [&](std::uint32_t& v) {
      const std::size_t n = ::ferry::internal::parse_varint(
          reinterpret_cast<const std::uint8_t*>(p),
          static_cast<std::size_t>(end - p), 5, v);
      p += n;
      return n != 0;
    };
    std::uint32_t raw_seqid;
    if (!take_varint32(raw_seqid) || !take_varint32(name_length)) return false;
    seqid = static_cast<std::int32_t>(raw_seqid);
    if (name_length > kMaxMethodNameLength ||
        name_length > static_cast<std::size_t>(end - p))
      return false;
    out.name = std::string_view(p, name_length);
    p += name_length;
  } else {
    if (message.size() < 12) return false;
    const std::uint32_t word = ::ferry::internal::load_be32(begin);
    if ((word & 0xffff0000u) != codec::BinaryWriter<>::kVersion1) return false;
    raw_type = static_cast<std::uint8_t>(word & 0xff);
    name_length = ::ferry::internal::load_be32(begin + 4);
    if (name_length > kMaxMethodNameLength || name_length > message.size() - 12)
      return false;
    out.name = std::string_view(begin + 8, name_length);
    p = begin + 8 + name_length;
    seqid = static_cast<std::int32_t>(::ferry::internal::load_be32(p));
    p += 4;
  }
  if (raw_type != static_cast<std::uint8_t>(codec::MessageType::kCall) &&
      raw_type != static_cast<std::uint8_t>(codec::MessageType::kOneway))
    return false;
  out.type = static_cast<codec::MessageType>(raw_type);
  out.seqid = seqid;
  out.header_size = static_cast<std::size_t>(p - begin);
  return true;
}

// Reads the envelope at the front of `message` with `protocol` (strict
// binary only: ferry writes and accepts versioned headers).
Status read_envelope(const IoBuf& message, codec::ProtocolId protocol,
                     const codec::DecodeLimits& limits, Envelope& out);
// The same over an input holding the message from its first byte.
Status read_envelope(codec::ChainInput message, codec::ProtocolId protocol,
                     const codec::DecodeLimits& limits, Envelope& out);

}  // namespace ferry::thrift::detail
