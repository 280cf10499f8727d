#include "runtime/task_group.h"

#include <exception>

#include "runtime/internal/log.h"
#include "runtime/internal/worker.h"

namespace ferry {
namespace internal {

// The coroutine that runs one spawned task: it awaits the task under the
// group's CancelSource, then unlinks itself from the group and frees its own
// frame at final suspend.
class SpawnedTask {
 public:
  using promise_type = SpawnedPromise;
  explicit SpawnedTask(std::coroutine_handle<SpawnedPromise> h) : h_(h) {}
  std::coroutine_handle<SpawnedPromise> h_;
};

class SpawnedPromise : public PromiseBase, public ReadyNode {
 public:
  SpawnedPromise(TaskGroup* group, Task<void>&) noexcept
      : ReadyNode(&SpawnedPromise::start), group_(group) {}

  SpawnedTask get_return_object() noexcept {
    return SpawnedTask(
        std::coroutine_handle<SpawnedPromise>::from_promise(*this));
  }
  void return_void() noexcept {}
  void unhandled_exception() noexcept {
    try {
      throw;
    } catch (const std::exception& e) {
      log_error("spawned task threw: {}", e.what());
    } catch (...) {
      log_error("spawned task threw a non-std exception");
    }
  }

  struct Final {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<SpawnedPromise> h) noexcept {
      TaskGroup* g = h.promise().group_;
      SpawnedPromise* p = &h.promise();
      g->finished(p);
      h.destroy();
      if (g->size_ == 0 && g->joiner_) {
        return std::exchange(g->joiner_, nullptr);
      }
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  Final final_suspend() noexcept { return {}; }

  static void start(ReadyNode* n) noexcept {
    auto* p = static_cast<SpawnedPromise*>(n);
    std::coroutine_handle<SpawnedPromise>::from_promise(*p).resume();
  }

  TaskGroup* group_;
  SpawnedPromise* prev_ = nullptr;
  SpawnedPromise* next_ = nullptr;
};

namespace {
SpawnedTask run_spawned(TaskGroup* group, Task<void> task) {
  co_await std::move(task);
}
}  // namespace

}  // namespace internal

internal::SpawnedPromise& TaskGroup::adopt(Task<void> task) {
  internal::SpawnedTask s = internal::run_spawned(this, std::move(task));
  internal::SpawnedPromise& p = s.h_.promise();
  p.set_cancel_source(&cancel_);
  p.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &p;
  head_ = &p;
  ++size_;
  return p;
}

void TaskGroup::spawn(Task<void> task) {
  internal::Worker::current()->schedule(&adopt(std::move(task)));
}

void TaskGroup::start(Task<void> task) {
  internal::SpawnedPromise& p = adopt(std::move(task));
  std::coroutine_handle<internal::SpawnedPromise>::from_promise(p).resume();
}

void TaskGroup::finished(internal::SpawnedPromise* p) noexcept {
  if (p->prev_ != nullptr) {
    p->prev_->next_ = p->next_;
  } else {
    head_ = p->next_;
  }
  if (p->next_ != nullptr) p->next_->prev_ = p->prev_;
  --size_;
}

TaskGroup::~TaskGroup() {
  // Tasks still running are destroyed with their frames (see the header).
  while (head_ != nullptr) {
    internal::SpawnedPromise* p = head_;
    finished(p);
    std::coroutine_handle<internal::SpawnedPromise>::from_promise(*p).destroy();
  }
}

void spawn(Task<void> task) {
  internal::Worker::current()->root_group().spawn(std::move(task));
}

}  // namespace ferry
