#include "runtime/internal/op.h"

#include <unistd.h>

#include <new>

#include "runtime/internal/frame_allocator.h"
#include "runtime/internal/worker.h"

namespace ferry::internal {

Op* Op::create(Worker* worker, OpCode code, int fd) {
  void* mem = frame_alloc(sizeof(Op));
  worker->op_created();
  return ::new (mem) Op(worker, code, fd);
}

void Op::destroy(Op* op) noexcept {
  Worker* w = op->worker;
  op->~Op();
  frame_free(op, sizeof(Op));
  w->op_destroyed();
}

void Op::resume_waiter(Op* op, int32_t res, uint32_t flags) noexcept {
  op->result = res;
  op->cqe_flags = flags;
  op->unregister();
  std::coroutine_handle<> h = std::exchange(op->waiter, nullptr);
  if (h) h.resume();
}

void Op::complete(int32_t res, uint32_t flags) noexcept {
  if (!(flags & kCqeFlagMore)) in_flight = false;
  if (orphaned) [[unlikely]] {
    on_complete(this, res, flags);  // custom hooks release what they got
    owned.clear();                  // e.g. a recv buffer back to the ring
    if (!in_flight) destroy(this);
    return;
  }
  on_complete(this, res, flags);
}

void Op::orphan() noexcept {
  unregister();
  waiter = nullptr;
  if (queued()) {
    unlink();
    in_flight = false;
  }
  if (!in_flight) {
    destroy(this);
    return;
  }
  orphaned = true;
  if (on_complete == &Op::resume_waiter) {
    // Nobody will see the result; an accept that wins the race against the
    // cancel must not leak the new connection.
    on_complete = [](Op* op, int32_t res, uint32_t) noexcept {
      if (op->code == OpCode::kAccept && res >= 0) ::close(res);
    };
  }
  worker->backend().cancel(this);
}

void Op::on_cancel_requested(CancelCallback* cb) noexcept {
  Op* op = static_cast<Op*>(cb);
  op->worker->backend().cancel(op);
}

void Op::run_deferred(ReadyNode* n) noexcept {
  Op* op = static_cast<Op*>(n);
  op->complete(op->result, 0);
}

bool OpAwaiter::suspend(std::coroutine_handle<> h,
                        CancelSource* source) noexcept {
  if (source != nullptr && source->cancelled()) {
    op_->result = -ECANCELED;
    return false;
  }
  op_->waiter = h;
  if (op_->worker->backend().start(op_)) return false;  // done already
  op_->register_with(source);
  return true;
}

}  // namespace ferry::internal
