#pragma once

// raw_echo's wire format: a 4-byte big-endian payload length, then that many
// payload bytes. The server echoes every frame back unchanged.

#include <cstddef>
#include <cstdint>
#include <optional>

#include "runtime/io_buf.h"

namespace ferry::raw_echo {

inline constexpr std::size_t kHeaderSize = 4;

// A longer frame closes its connection: it bounds what one peer can make
// the server buffer before a single byte is echoed.
inline constexpr uint32_t kMaxFrameSize = uint32_t{64} << 20;

inline void encode_header(uint32_t len, char* out) noexcept {
  out[0] = static_cast<char>(len >> 24);
  out[1] = static_cast<char>(len >> 16);
  out[2] = static_cast<char>(len >> 8);
  out[3] = static_cast<char>(len);
}

// The payload length in the header starting `offset` bytes into `buf`, or
// nullopt while fewer than kHeaderSize bytes are there. Copies the four
// header bytes out (they may straddle two received chunks); the payload is
// never touched.
inline std::optional<uint32_t> peek_length(const IoBuf& buf,
                                           std::size_t offset) noexcept {
  if (buf.size() < offset + kHeaderSize) return std::nullopt;
  unsigned char h[kHeaderSize];
  buf.copy_to(h, kHeaderSize, offset);
  return uint32_t{h[0]} << 24 | uint32_t{h[1]} << 16 | uint32_t{h[2]} << 8 |
         uint32_t{h[3]};
}

}  // namespace ferry::raw_echo
