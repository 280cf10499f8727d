#include "runtime/status.h"

#include <fmt/core.h>

#include <cstring>

namespace ferry {
namespace {

absl::StatusCode code_for_errno(int err) {
  switch (err) {
    case ECANCELED:
      return absl::StatusCode::kCancelled;
    case ETIMEDOUT:
    case ETIME:
      return absl::StatusCode::kDeadlineExceeded;
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
    case ENOTCONN:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case EAGAIN:
      return absl::StatusCode::kUnavailable;
    case EINVAL:
    case EBADF:
    case ENOTSOCK:
    case EAFNOSUPPORT:
    case EFAULT:
      return absl::StatusCode::kInvalidArgument;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
      return absl::StatusCode::kResourceExhausted;
    case EACCES:
    case EPERM:
      return absl::StatusCode::kPermissionDenied;
    case EADDRINUSE:
    case EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case ENOSYS:
    case EOPNOTSUPP:
      return absl::StatusCode::kUnimplemented;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

Status errno_status(std::string_view op, int err) {
  char buf[128];
  // GNU strerror_r returns the message pointer (maybe not `buf`).
  const char* msg = strerror_r(err, buf, sizeof(buf));
  return Status(code_for_errno(err),
                fmt::format("{}: {} (errno {})", op, msg, err));
}

Status cancelled_status(std::string_view op) {
  return absl::CancelledError(fmt::format("{}: cancelled", op));
}

}  // namespace ferry
