#pragma once

// Errors as values: `Status` and `Result<T>` (absl's `Status`/`StatusOr`),
// the macros that propagate them from plain functions and coroutines, and
// `errno_status`, which turns a failed syscall into a Status naming the
// operation and errno.
//
// Framework failures (timeouts, resets, overload, bad input) are frequent in
// RPC, so they travel as values: a failed call costs a branch, never a throw.
//
//   Task<Result<size_t>> read_len(TcpStream& s) {
//     FERRY_CO_ASSIGN_OR_RETURN(IoBuf chunk, co_await s.read());
//     if (chunk.empty()) co_return absl::UnavailableError("peer closed");
//     co_return chunk.size();
//   }

#include <cerrno>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ferry {

using Status = absl::Status;
template <class T>
using Result = absl::StatusOr<T>;

// Returns a Status for a failed system call: "`op`: <strerror> (errno N)",
// with the code chosen from the errno (ECONNREFUSED/ECONNRESET/EPIPE ->
// kUnavailable, ETIMEDOUT -> kDeadlineExceeded, ECANCELED -> kCancelled,
// EINVAL/EBADF -> kInvalidArgument, EMFILE/ENOBUFS/ENOMEM ->
// kResourceExhausted, ...). `err` is a positive errno value. Cold path: never
// inlined, so callers pay nothing for the message until it is needed.
[[gnu::cold, gnu::noinline]] Status errno_status(std::string_view op, int err);

// The status a cancelled operation completes with.
[[gnu::cold, gnu::noinline]] Status cancelled_status(std::string_view op);

// A Status message as std::string_view (Debian's abseil has its own
// string_view type, which fmt and std APIs do not take).
inline std::string_view message_of(const Status& s) noexcept {
  return std::string_view(s.message().data(), s.message().size());
}

namespace internal {
inline const Status& as_status(const Status& s) { return s; }
template <class T>
const Status& as_status(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace ferry

#define FERRY_INTERNAL_CONCAT_(a, b) a##b
#define FERRY_INTERNAL_CONCAT(a, b) FERRY_INTERNAL_CONCAT_(a, b)

// Returns from the enclosing function with `expr`'s status if it is not OK.
// `expr` is a Status or a Result<T>.
#define FERRY_RETURN_IF_ERROR(expr)                            \
  do {                                                         \
    if (auto&& ferry_s_ = (expr); !ferry_s_.ok()) [[unlikely]] \
      return ::ferry::internal::as_status(ferry_s_);           \
  } while (0)

// The coroutine spelling of FERRY_RETURN_IF_ERROR (`co_return`).
#define FERRY_CO_RETURN_IF_ERROR(expr)                         \
  do {                                                         \
    if (auto&& ferry_s_ = (expr); !ferry_s_.ok()) [[unlikely]] \
      co_return ::ferry::internal::as_status(ferry_s_);        \
  } while (0)

// `FERRY_ASSIGN_OR_RETURN(T x, expr)`: evaluates the Result<T> `expr`; on
// error returns its status, else moves the value into `x` (a declaration or
// an lvalue). `expr` may contain `co_await` only in the CO_ form.
#define FERRY_ASSIGN_OR_RETURN(lhs, expr)                                  \
  FERRY_INTERNAL_ASSIGN_OR(FERRY_INTERNAL_CONCAT(ferry_r_, __LINE__), lhs, \
                           expr, return )
#define FERRY_CO_ASSIGN_OR_RETURN(lhs, expr)                               \
  FERRY_INTERNAL_ASSIGN_OR(FERRY_INTERNAL_CONCAT(ferry_r_, __LINE__), lhs, \
                           expr, co_return )
#define FERRY_INTERNAL_ASSIGN_OR(tmp, lhs, expr, ret) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) [[unlikely]]                         \
    ret std::move(tmp).status();                      \
  lhs = std::move(tmp).value()
