#include "runtime/runtime.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <latch>
#include <string_view>

#include "runtime/internal/log.h"
#include "runtime/internal/worker.h"

namespace ferry {
namespace {

std::atomic<bool> logged_fallback{false};

Result<IoBackend> backend_from_env(IoBackend requested) {
  if (requested != IoBackend::kAuto) return requested;
  const char* env = std::getenv("FERRY_IO_BACKEND");
  if (env == nullptr || *env == '\0') return IoBackend::kAuto;
  const std::string_view v(env);
  if (v == "auto") return IoBackend::kAuto;
  if (v == "io_uring" || v == "uring") return IoBackend::kIoUring;
  if (v == "epoll") return IoBackend::kEpoll;
  return absl::InvalidArgumentError(
      fmt::format("FERRY_IO_BACKEND={}: expected io_uring, epoll or auto", v));
}

// Whether this process may create an io_uring at all (cached).
Status uring_probe() {
  static const Status status = internal::probe_uring();
  return status;
}

}  // namespace

const char* backend_name(IoBackend b) noexcept {
  switch (b) {
    case IoBackend::kIoUring:
      return "io_uring";
    case IoBackend::kEpoll:
      return "epoll";
    case IoBackend::kAuto:
      break;
  }
  return "auto";
}

Result<IoBackend> resolve_backend(const RuntimeOptions& options) {
  FERRY_ASSIGN_OR_RETURN(IoBackend b, backend_from_env(options.backend));
  if (b == IoBackend::kEpoll) return b;
  const Status uring = uring_probe();
  if (b == IoBackend::kIoUring) {
    if (!uring.ok()) {
      return absl::UnavailableError(fmt::format(
          "io_uring backend requested but unavailable: {}", message_of(uring)));
    }
    return b;
  }
  if (uring.ok()) return IoBackend::kIoUring;
  if (!logged_fallback.exchange(true)) {
    internal::log_info("io_uring unavailable ({}); using epoll",
                       message_of(uring));
  }
  return IoBackend::kEpoll;
}

std::optional<std::size_t> current_worker_index() noexcept {
  internal::Worker* w = internal::Worker::current();
  if (w == nullptr) return std::nullopt;
  return w->index();
}

namespace internal {

void die(std::string_view where, const Status& why) {
  log_error("{}: {}", where, why.ToString());
  std::abort();
}

void run_local(const RuntimeOptions& options, Task<void> entry,
               const bool* done) {
  auto worker = Worker::create(0, nullptr, options);
  if (!worker.ok()) die("block_on: cannot start a worker", worker.status());
  (*worker)->root_group().spawn(std::move(entry));
  (*worker)->run_until([done] { return *done; });
  (*worker)->shutdown();
}

}  // namespace internal

Result<std::unique_ptr<Runtime>> Runtime::create(RuntimeOptions options) {
  if (options.workers == 0) {
    options.workers = std::max(1u, std::thread::hardware_concurrency());
  }
  FERRY_ASSIGN_OR_RETURN(IoBackend backend, resolve_backend(options));
  options.backend = backend;

  std::unique_ptr<Runtime> rt(new Runtime());
  rt->backend_ = backend;
  const std::size_t n = options.workers;
  rt->workers_.resize(n, nullptr);
  std::vector<Status> errors(n);
  std::latch started(static_cast<std::ptrdiff_t>(n));
  Runtime* self = rt.get();
  for (std::size_t i = 0; i < n; ++i) {
    rt->threads_.emplace_back([self, i, &options, &errors, &started] {
      if (!options.pin_cpus.empty()) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(options.pin_cpus[i % options.pin_cpus.size()], &set);
        pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
      }
      auto w = internal::Worker::create(i, self, options);
      if (!w.ok()) {
        errors[i] = w.status();
        started.count_down();
        return;
      }
      self->workers_[i] = w->get();
      started.count_down();
      (*w)->run_until_stopped();
    });
  }
  started.wait();
  for (const Status& s : errors) {
    if (!s.ok()) {
      rt->shutdown();
      return s;
    }
  }
  return rt;
}

Runtime::~Runtime() { shutdown(); }

Status Runtime::spawn_on(std::size_t worker, Task<void> task) {
  if (workers_.empty()) [[unlikely]] {
    return absl::FailedPreconditionError("spawn_on after Runtime::shutdown");
  }
  if (worker >= workers_.size()) [[unlikely]] {
    return absl::OutOfRangeError(fmt::format(
        "spawn_on worker {}: the runtime has {}", worker, workers_.size()));
  }
  workers_[worker]->post(
      [t = std::move(task)]() mutable { ferry::spawn(std::move(t)); });
  return Status();
}

Task<void> Runtime::notify_when_done(Waiter* w, Task<void> inner) {
  co_await std::move(inner);
  std::lock_guard lock(w->mu);
  w->done = true;
  w->cv.notify_all();
}

void Runtime::shutdown() {
  for (internal::Worker* w : workers_) {
    if (w != nullptr) w->stop();
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  workers_.clear();
}

}  // namespace ferry
