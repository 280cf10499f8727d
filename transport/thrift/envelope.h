#pragma once

// The message envelope as the transports see it: read once per message to
// route it (server: to a handler; client: to the call waiting for the
// seqid), then the body is handed on without the header.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/buffer.h"
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

// Reads the envelope at the front of `message` with `protocol` (strict
// binary only: ferry writes and accepts versioned headers).
Status read_envelope(const IoBuf& message, codec::ProtocolId protocol,
                     const codec::DecodeLimits& limits, Envelope& out);
// The same over an input holding the message from its first byte.
Status read_envelope(codec::ChainInput message, codec::ProtocolId protocol,
                     const codec::DecodeLimits& limits, Envelope& out);

}  // namespace ferry::thrift::detail
