#pragma once

// One I/O operation in flight, shared by both backends.
//
// Ownership (monoio's rule): an Op is allocated from the worker's recycling
// allocator, never from the awaiting coroutine's frame, and owns everything
// the kernel may touch (address buffers, iovecs, the IoBuf being sent) until
// its *final* completion arrives. If its owner goes away first (the task was
// destroyed mid-operation) the op is orphaned: the backend is asked to cancel
// it and frees it on that final completion.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <coroutine>
#include <cstdint>

#include "runtime/cancel.h"
#include "runtime/internal/ready_queue.h"
#include "runtime/io_buf.h"

namespace ferry::internal {

class Worker;

enum class OpCode : uint8_t {
  kAccept,           // accept4 one connection
  kAcceptMultishot,  // io_uring only: one CQE per connection
  kConnect,
  kRecv,           // into `recv_buf`
  kRecvMultishot,  // io_uring only: kernel picks ring buffers
  kSendmsg,        // gathered write from `iov`
  kRead,           // read(2) into `recv_buf` (eventfd)
};

// IORING_CQE_F_MORE, without pulling liburing into this header: more
// completions will follow for this (multishot) op.
inline constexpr uint32_t kCqeFlagMore = 1U << 1;

struct Op : CancelCallback, ReadyNode {
  static constexpr int kMaxIov = 16;

  // Called on every completion (multishot ops: once per CQE). The default,
  // `resume_waiter`, stores the result and resumes the awaiting coroutine.
  using CompleteFn = void (*)(Op*, int32_t res, uint32_t flags) noexcept;

  static Op* create(Worker* worker, OpCode code, int fd);
  // Frees an op that is not in flight (releases what it owns).
  static void destroy(Op* op) noexcept;

  Op(Worker* w, OpCode c, int f) noexcept
      : CancelCallback(&Op::on_cancel_requested),
        ReadyNode(&Op::run_deferred),
        worker(w),
        code(c),
        fd(f) {}

  // Default completion: store, unregister cancellation, resume the waiter.
  static void resume_waiter(Op* op, int32_t res, uint32_t flags) noexcept;
  // The owner is gone: cancel if in flight, otherwise free now.
  void orphan() noexcept;
  // Completion entry point used by the backends.
  void complete(int32_t res, uint32_t flags) noexcept;

  Worker* worker;
  OpCode code;
  bool in_flight = false;  // the backend holds it
  bool orphaned = false;
  bool cancel_submitted = false;
  int fd;
  int32_t result = 0;
  uint32_t cqe_flags = 0;
  CompleteFn on_complete = &Op::resume_waiter;
  std::coroutine_handle<> waiter;
  // Bases: CancelCallback (registered with the awaiting task's source while
  // in flight) and ReadyNode (epoll: completions are delivered from the
  // ready queue, never from inside `cancel`).
  void* user = nullptr;  // owner data for custom on_complete

  // Parameters, by code.
  sockaddr_storage addr{};
  socklen_t addrlen = 0;
  bool connect_started = false;  // epoll: connect(2) already issued
  char* recv_buf = nullptr;
  uint32_t recv_len = 0;
  msghdr msg{};
  iovec iov[kMaxIov]{};
  IoBuf owned;  // bytes the kernel reads from (send) or was given (recv)

  // Epoll parking.
  Op* park_next = nullptr;

 private:
  static void on_cancel_requested(CancelCallback* cb) noexcept;
  static void run_deferred(ReadyNode* n) noexcept;
};

// Awaits the completion of `op` (already filled in). Starts it on suspend;
// returns its result (>= 0 or -errno) and hands back the IoBuf it owned.
// Registers with the awaiting task's CancelSource. If the awaiting coroutine is
// destroyed while the op is in flight, the op is orphaned (see above).
class OpAwaiter {
 public:
  explicit OpAwaiter(Op* op) noexcept : op_(op) {}
  OpAwaiter(OpAwaiter&& o) noexcept : op_(std::exchange(o.op_, nullptr)) {}
  OpAwaiter(const OpAwaiter&) = delete;
  ~OpAwaiter() {
    if (op_ != nullptr) op_->orphan();
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    return suspend(h, cancel_source_of_handle(h));
  }
  // The result (>= 0, or -errno) and the buffer the op owned, handed back.
  struct OpResult {
    int32_t res;
    IoBuf owned;
  };
  OpResult await_resume() noexcept {
    Op* op = std::exchange(op_, nullptr);
    OpResult r{op->result, std::move(op->owned)};
    Op::destroy(op);
    return r;
  }

 private:
  template <class P>
  static CancelSource* cancel_source_of_handle(std::coroutine_handle<P> h);
  bool suspend(std::coroutine_handle<> h, CancelSource* source) noexcept;
  Op* op_;
};

}  // namespace ferry::internal

#include "runtime/task.h"

template <class P>
ferry::CancelSource* ferry::internal::OpAwaiter::cancel_source_of_handle(
    std::coroutine_handle<P> h) {
  return ferry::internal::cancel_source_of(h);
}
