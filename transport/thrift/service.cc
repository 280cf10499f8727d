#include "transport/thrift/service.h"

#include <fmt/core.h>

#include "transport/thrift/envelope.h"

namespace ferry::thrift::detail {

Status reply_decode_error(std::string_view method, const Status& why) {
  return Status(why.code(),
                fmt::format("reply to {}: {}", method, message_of(why)));
}

Status missing_result(std::string_view method) {
  return codec::ApplicationException{
      fmt::format("{} failed: unknown result", method),
      codec::ApplicationException::Type::kMissingResult}
      .to_status();
}

Status exception_reply_status(std::string_view method,
                              const Response& response) {
  codec::ApplicationException ex;
  if (Status s = read_body(response, ex); !s.ok()) {
    return reply_decode_error(method, s);
  }
  return ex.to_status();
}

}  // namespace ferry::thrift::detail

namespace ferry::thrift::detail {

Status read_envelope(codec::ChainInput message, codec::ProtocolId protocol,
                     const codec::DecodeLimits& limits, Envelope& out) {
  // Method names have their own bound: a server's string limit is for
  // payloads, and may be smaller than a long method name.
  codec::DecodeLimits envelope_limits = limits;
  envelope_limits.max_string_length = kMaxMethodNameLength;
  const std::size_t size = message.remaining();
  Status s;
  std::size_t left = 0;
  if (protocol == codec::ProtocolId::kCompact) {
    codec::CompactReader<codec::ChainInput> r{std::move(message),
                                              envelope_limits};
    s = r.read_message_begin(out.name, out.type, out.seqid);
    left = r.remaining();
    if (r.input().has_spill()) out.spill = r.input().take_spill();
  } else {
    codec::BinaryReader<codec::ChainInput> r{std::move(message),
                                             envelope_limits,
                                             /*strict_read=*/true};
    s = r.read_message_begin(out.name, out.type, out.seqid);
    left = r.remaining();
    if (r.input().has_spill()) out.spill = r.input().take_spill();
  }
  if (!s.ok()) [[unlikely]] {
    return Status(s.code(), fmt::format("message envelope: {}", message_of(s)));
  }
  out.header_size = size - left;
  return s;
}

Status read_envelope(const IoBuf& message, codec::ProtocolId protocol,
                     const codec::DecodeLimits& limits, Envelope& out) {
  return read_envelope(codec::ChainInput(message), protocol, limits, out);
}

}  // namespace ferry::thrift::detail
