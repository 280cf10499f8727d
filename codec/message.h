#pragma once

// Whole-envelope helpers over any protocol: a message is a header (method
// name, type, sequence id) followed by one struct (the call's arguments,
// the reply's result struct or an `ApplicationException`).
//
//   write_message(w, {"echo", MessageType::kCall, 7}, args);
//
//   MessageHeader h;
//   FERRY_RETURN_IF_ERROR(read_message_header(r, h));
//   if (h.type == MessageType::kException) {
//     ApplicationException ex;
//     FERRY_RETURN_IF_ERROR(read_message_body(r, ex));
//     return ex.to_status();
//   }
//   FERRY_RETURN_IF_ERROR(read_message_body(r, result));

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/application_exception.h"
#include "codec/protocol.h"
#include "runtime/status.h"

namespace ferry::codec {

struct MessageHeader {
  std::string name;
  MessageType type = MessageType::kCall;
  std::int32_t seqid = 0;
  friend bool operator==(const MessageHeader&, const MessageHeader&) = default;
};

// A struct-like body: anything with the generated `write` / `read` members.
template <class T, class W>
concept WritableBody = requires(const T& t, W& w) {
  t.write(w);
};
template <class T, class R>
concept ReadableBody = requires(T& t, R& r) {
  { t.read(r) } -> std::same_as<Status>;
};

// Writes the header, `body` and the message end.
template <ProtocolWriter W, WritableBody<W> Body>
void write_message(W& w, const MessageHeader& header, const Body& body) {
  w.write_message_begin(header.name, header.type, header.seqid);
  body.write(w);
  w.write_message_end();
}

// Writes an exception reply carrying `ex` for the call `name`/`seqid`.
template <ProtocolWriter W>
void write_exception_reply(W& w, std::string_view name, std::int32_t seqid,
                           const ApplicationException& ex) {
  w.write_message_begin(name, MessageType::kException, seqid);
  ex.write(w);
  w.write_message_end();
}

// Reads the header only, so the caller can pick the body's type from it
// (dispatch by name; a reply vs an exception).
template <ProtocolReader R>
Status read_message_header(R& r, MessageHeader& header) {
  return r.read_message_begin(header.name, header.type, header.seqid);
}

// Reads the body after `read_message_header`, then the message end.
template <ProtocolReader R, ReadableBody<R> Body>
Status read_message_body(R& r, Body& body) {
  FERRY_RETURN_IF_ERROR(body.read(r));
  return r.read_message_end();
}

}  // namespace ferry::codec
