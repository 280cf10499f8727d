#pragma once

// The interface both I/O backends implement. One backend per worker, used
// only from that worker's thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "runtime/internal/op.h"
#include "runtime/status.h"

namespace ferry::internal {

enum class BackendKind : uint8_t { kIoUring, kEpoll };

struct BackendFeatures {
  bool multishot_accept = false;
  bool multishot_recv = false;  // with a provided-buffer ring
  std::string description;      // for the one startup log line
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const noexcept = 0;
  virtual const BackendFeatures& features() const noexcept = 0;

  // Starts `op`. Returns true when it completed synchronously (its result is
  // in op->result and on_complete was NOT called), false when it is now in
  // flight and `op->complete` will be called later from `poll`.
  virtual bool start(Op* op) noexcept = 0;
  // Asks the backend to finish an in-flight op early (with -ECANCELED unless
  // it already completed). The completion still arrives through `poll` (or
  // the worker's ready queue), never from inside this call.
  virtual void cancel(Op* op) noexcept = 0;
  // Forgets every registration for `fd` before the caller closes it.
  virtual void forget_fd(int fd) noexcept = 0;

  // Submits pending work and waits for completions for at most `timeout`
  // (nullopt: until something completes), dispatching each one. One
  // submission syscall per call in the common case.
  virtual void poll(std::optional<std::chrono::nanoseconds> timeout) = 0;

  // Provided-buffer ring (io_uring only): buffer group id and size.
  virtual uint16_t buffer_group() const noexcept { return 0; }
  virtual uint32_t buffer_size() const noexcept { return 0; }
};

struct BackendOptions {
  uint32_t ring_entries = 1024;
  uint32_t recv_buffers = 1024;      // buffers in the provided-buffer ring
  uint32_t recv_buffer_size = 8192;  // bytes each
};

// Creates the io_uring backend, or returns the error that prevents it
// (EPERM under Docker's seccomp profile, ENOSYS, kernel.io_uring_disabled).
Result<std::unique_ptr<Backend>> make_uring_backend(Worker* worker,
                                                    const BackendOptions& o);
Result<std::unique_ptr<Backend>> make_epoll_backend(Worker* worker);

// Whether this process can create an io_uring (a tiny ring, at once torn
// down): OK, or the errno_status of io_uring_queue_init.
Status probe_uring();

}  // namespace ferry::internal
