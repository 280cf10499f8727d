#pragma once

// `ApplicationException`: Thrift's TApplicationException, the body of an
// `MessageType::kException` reply that reports a framework-level failure
// (unknown method, bad request bytes, a handler that threw), plus its
// mapping to and from `Status`.
//
//   // Server: a dispatch failure becomes an exception reply.
//   ApplicationException ex = ApplicationException::from_status(status);
//   w.write_message_begin(name, MessageType::kException, seqid);
//   ex.write(w);
//   w.write_message_end();
//
//   // Client: the reply becomes the call's Status.
//   ApplicationException ex;
//   FERRY_RETURN_IF_ERROR(ex.read(r));
//   return ex.to_status();
//
// Wire form (Apache's): a struct with `1: string message`, `2: i32 type`.

#include <cstdint>
#include <string>

#include "codec/protocol.h"
#include "runtime/status.h"

namespace ferry::codec {

struct ApplicationException {
  // Apache's TApplicationExceptionType values.
  enum class Type : std::int32_t {
    kUnknown = 0,
    kUnknownMethod = 1,
    kInvalidMessageType = 2,
    kWrongMethodName = 3,
    kBadSequenceId = 4,
    kMissingResult = 5,
    kInternalError = 6,
    kProtocolError = 7,
    kInvalidTransform = 8,
    kInvalidProtocol = 9,
    kUnsupportedClientType = 10,
  };

  std::string message;
  Type type = Type::kUnknown;

  // Writes the exception struct (both fields, as Apache does).
  template <ProtocolWriter W>
  void write(W& w) const {
    w.write_struct_begin("TApplicationException");
    w.write_field_begin("message", TType::kString, 1);
    w.write_string(message);
    w.write_field_end();
    w.write_field_begin("type", TType::kI32, 2);
    w.write_i32(static_cast<std::int32_t>(type));
    w.write_field_end();
    w.write_field_stop();
    w.write_struct_end();
  }

  // Reads the exception struct. Unknown fields, and known ids with an
  // unexpected wire type, are skipped; absent fields keep their values.
  // A type outside the enumerators is kept as its number.
  template <ProtocolReader R>
  Status read(R& r) {
    FERRY_RETURN_IF_ERROR(r.read_struct_begin());
    for (;;) {
      TType field_type;
      std::int16_t id;
      FERRY_RETURN_IF_ERROR(r.read_field_begin(field_type, id));
      if (field_type == TType::kStop) break;
      if (id == 1 && field_type == TType::kString) {
        FERRY_RETURN_IF_ERROR(r.read_string(message));
      } else if (id == 2 && field_type == TType::kI32) {
        std::int32_t raw;
        FERRY_RETURN_IF_ERROR(r.read_i32(raw));
        type = static_cast<Type>(raw);
      } else {
        FERRY_RETURN_IF_ERROR(r.skip(field_type));
      }
      FERRY_RETURN_IF_ERROR(r.read_field_end());
    }
    return r.read_struct_end();
  }

  // The Status a client reports for this exception (STYLE 2.4), with
  // `message` as its message:
  //   kUnknown                          -> kUnknown (a handler threw)
  //   kUnknownMethod                    -> kUnimplemented
  //   kInvalidTransform, kInvalidProtocol,
  //   kUnsupportedClientType            -> kUnimplemented (the peer lacks
  //                                        the feature)
  //   kProtocolError                    -> kInvalidArgument (the peer
  //                                        rejected our bytes)
  //   kInvalidMessageType, kWrongMethodName, kBadSequenceId,
  //   kMissingResult, kInternalError, any other number -> kInternal
  Status to_status() const;

  // The exception a server sends for a failed call. The inverse of
  // `to_status` where Thrift has a type for the code:
  //   kUnimplemented -> kUnknownMethod, kInvalidArgument -> kProtocolError,
  //   kUnknown -> kUnknown, kInternal -> kInternalError.
  // Every other code (deadline, resource exhausted, unavailable, ...) has no
  // Thrift type: it becomes kInternalError and the message is prefixed with
  // the code's name ("RESOURCE_EXHAUSTED: queue full") so the peer can still
  // see it. An OK status yields kUnknown with an empty message.
  static ApplicationException from_status(const Status& status);

  friend bool operator==(const ApplicationException&,
                         const ApplicationException&) = default;
};

}  // namespace ferry::codec
