#include "codec/application_exception.h"

#include <fmt/core.h>

namespace ferry::codec {

Status ApplicationException::to_status() const {
  absl::StatusCode code;
  switch (type) {
    case Type::kUnknown:
      code = absl::StatusCode::kUnknown;
      break;
    case Type::kUnknownMethod:
    case Type::kInvalidTransform:
    case Type::kInvalidProtocol:
    case Type::kUnsupportedClientType:
      code = absl::StatusCode::kUnimplemented;
      break;
    case Type::kProtocolError:
      code = absl::StatusCode::kInvalidArgument;
      break;
    default:
      code = absl::StatusCode::kInternal;
      break;
  }
  return Status(code, message);
}

ApplicationException ApplicationException::from_status(const Status& status) {
  ApplicationException ex;
  const std::string_view message = message_of(status);
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return ex;
    case absl::StatusCode::kUnknown:
      ex.type = Type::kUnknown;
      break;
    case absl::StatusCode::kUnimplemented:
      ex.type = Type::kUnknownMethod;
      break;
    case absl::StatusCode::kInvalidArgument:
      ex.type = Type::kProtocolError;
      break;
    case absl::StatusCode::kInternal:
      ex.type = Type::kInternalError;
      break;
    default:
      ex.type = Type::kInternalError;
      ex.message = fmt::format(
          "{}: {}", absl::StatusCodeToString(status.code()), message);
      return ex;
  }
  ex.message = std::string(message);
  return ex;
}

}  // namespace ferry::codec
