#pragma once

// The thread-per-core runtime: `Runtime` starts N workers, each a thread
// with its own io_uring (or epoll) loop, timer heap and task group. A task
// runs on the worker that spawned it; nothing on the hot path takes a lock or
// touches another core's memory. Cross-thread work goes through `spawn_on`,
// which posts to the target's inbox and wakes it through an eventfd.
//
//   Runtime rt = *Runtime::create({.workers = 2});   // or ferry::block_on
//   rt.block_on(serve(port));        // runs on worker 0, blocks the caller
//   rt.spawn_on(1, other_task());    // runs on worker 1
//   // ~Runtime: cancels and drains every worker's tasks, joins the threads
//
// `block_on(task)` runs a task to completion on a one-worker runtime living
// on the calling thread: the entry point of tests and small tools.
//
// Backend choice: io_uring when the kernel allows it, else epoll with one
// log line (EPERM under Docker's default seccomp profile, ENOSYS, or
// kernel.io_uring_disabled). `FERRY_IO_BACKEND=epoll|io_uring` in the
// environment overrides `RuntimeOptions::backend = kAuto`.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "runtime/status.h"
#include "runtime/task.h"
#include "runtime/task_group.h"

namespace ferry {

enum class IoBackend : uint8_t { kAuto, kIoUring, kEpoll };

struct RuntimeOptions {
  // Worker threads; 0 means one per online CPU.
  std::size_t workers = 0;
  IoBackend backend = IoBackend::kAuto;
  // io_uring sizes: submission queue entries, and the provided-buffer ring
  // that multishot recv fills (recv_buffers x recv_buffer_size per worker).
  uint32_t ring_entries = 1024;
  uint32_t recv_buffers = 1024;
  uint32_t recv_buffer_size = 8192;
  // If non-empty, worker i is pinned to CPU pin_cpus[i % size].
  std::vector<int> pin_cpus;
};

// The backend a worker would use with `options` on this machine (resolving
// kAuto and FERRY_IO_BACKEND), or why the requested one is unavailable.
Result<IoBackend> resolve_backend(const RuntimeOptions& options);
const char* backend_name(IoBackend b) noexcept;

// Index of the worker running the calling thread, or nullopt off-runtime.
std::optional<std::size_t> current_worker_index() noexcept;

namespace internal {
class Worker;

template <class T>
struct BlockOnState {
  std::optional<std::conditional_t<std::is_void_v<T>, std::monostate, T>> value;
  std::exception_ptr error;
  bool done = false;
};

template <class T>
Task<void> block_on_entry(BlockOnState<T>* st, Task<T> task) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      st->value.emplace();
    } else {
      st->value.emplace(co_await std::move(task));
    }
  } catch (...) {
    st->error = std::current_exception();
  }
  st->done = true;
}

// Logs `why` and aborts: for programming errors with no way to report them.
[[noreturn]] void die(std::string_view where, const Status& why);

// Runs `entry` on a fresh worker owned by the calling thread until `*done`,
// then shuts the worker down. Aborts with a clear message if no backend can
// be created.
void run_local(const RuntimeOptions& options, Task<void> entry,
               const bool* done);
}  // namespace internal

// Runs `task` to completion on a one-worker runtime on the calling thread
// and returns its result (rethrowing its exception). Tasks it spawned are
// cancelled and drained before block_on returns.
template <class T>
T block_on(Task<T> task, RuntimeOptions options = {}) {
  internal::BlockOnState<T> st;
  options.workers = 1;
  internal::run_local(options, internal::block_on_entry(&st, std::move(task)),
                      &st.done);
  if (st.error) std::rethrow_exception(st.error);
  if constexpr (!std::is_void_v<T>) return std::move(*st.value);
}

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> create(RuntimeOptions options = {});
  ~Runtime();  // shutdown()
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  std::size_t size() const noexcept { return threads_.size(); }
  IoBackend backend() const noexcept { return backend_; }

  // Thread-safe. Spawns `task` into worker `worker`'s root group.
  // kOutOfRange for a worker index >= size(); kFailedPrecondition after
  // shutdown() (the task is destroyed unrun).
  Status spawn_on(std::size_t worker, Task<void> task);

  // Runs `task` on worker `worker` and blocks the calling (non-worker)
  // thread until it finishes; returns its result. Aborts with a message if
  // `worker` is out of range or the runtime was shut down.
  template <class T>
  T block_on(Task<T> task, std::size_t worker = 0) {
    internal::BlockOnState<T> st;
    Waiter waiter;
    Status s = spawn_on(
        worker, notify_when_done(
                    &waiter, internal::block_on_entry(&st, std::move(task))));
    if (!s.ok()) [[unlikely]]
      internal::die("Runtime::block_on", s);
    std::unique_lock lock(waiter.mu);
    waiter.cv.wait(lock, [&] { return waiter.done; });
    if (st.error) std::rethrow_exception(st.error);
    if constexpr (!std::is_void_v<T>) return std::move(*st.value);
  }

  // Stops accepting work, cancels and drains every worker's tasks, joins
  // the threads. Idempotent; called by the destructor.
  void shutdown();

 private:
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  static Task<void> notify_when_done(Waiter* w, Task<void> inner);

  Runtime() = default;
  IoBackend backend_ = IoBackend::kAuto;
  std::vector<std::thread> threads_;
  std::vector<internal::Worker*> workers_;  // owned by their threads
};

}  // namespace ferry
