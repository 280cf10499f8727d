// Micro-benchmarks of the runtime's building blocks: task creation, spawning,
// timers and cross-worker hand-offs.
//
//   build/bench/runtime/runtime_bench [--benchmark_filter=Timer]
//   FERRY_IO_BACKEND=epoll build/bench/runtime/runtime_bench
//
// Coroutine benchmarks run their whole `for (auto _ : state)` loop inside
// one task (one block_on per benchmark run), so the numbers exclude starting
// a worker and include only what a task on a running loop pays.

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/internal/timer_heap.h"
#include "runtime/runtime.h"
#include "runtime/task.h"
#include "runtime/task_group.h"
#include "runtime/time.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;

// ---- Task: create + await ---------------------------------------------------

Task<int> add_one(int x) { co_return x + 1; }

// One iteration: allocate a frame (from the recycling allocator), start it
// by symmetric transfer, co_return, resume the caller, free the frame.
Task<void> create_await_loop(benchmark::State& state) {
  int x = 0;
  for (auto _ : state) {
    x = co_await add_one(x);
    benchmark::DoNotOptimize(x);
  }
}

void BM_Task_CreateAwait(benchmark::State& state) {
  block_on(create_await_loop(state));
}
BENCHMARK(BM_Task_CreateAwait);

// ---- TaskGroup: spawn + join ------------------------------------------------

Task<void> trivial(int* counter) {
  ++*counter;
  co_return;
}

// One iteration: spawn N trivial tasks into a group and join it. The tasks
// run from the worker's ready queue on the same loop turn (a poll with zero
// timeout every 4096 ready items). Time per task: the `per_task` counter.
Task<void> spawn_join_loop(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  int counter = 0;
  for (auto _ : state) {
    TaskGroup group;
    for (int i = 0; i < n; ++i) group.spawn(trivial(&counter));
    co_await group.join();
  }
  benchmark::DoNotOptimize(counter);
}

void BM_Spawn(benchmark::State& state) {
  block_on(spawn_join_loop(state));
  const auto tasks = static_cast<double>(state.iterations() * state.range(0));
  state.SetItemsProcessed(static_cast<int64_t>(tasks));
  // Rate, inverted: seconds per task.
  state.counters["per_task"] = benchmark::Counter(
      tasks, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_Spawn)->Arg(1)->Arg(64)->Arg(1024);

// ---- Timers: heap insert + remove -------------------------------------------

struct BenchTimer : internal::TimerNode {
  BenchTimer() noexcept : TimerNode([](TimerNode*) noexcept {}) {}
};

// A deterministic, cheap spread of deadlines over an hour.
uint64_t next_random(uint64_t& state) noexcept {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

// The worker's timer heap with range(0) timers resident (what a server with
// that many pending deadlines holds), then per iteration: arm one timer and
// cancel it, the life of a `with_timeout` whose operation finishes in time.
// Uses the heap directly: Sleep and DeadlineTimer need a running worker.
void BM_Timer_InsertCancel(benchmark::State& state) {
  const auto resident = static_cast<std::size_t>(state.range(0));
  const auto base = internal::Clock::now();
  uint64_t rng = 0x2545f4914f6cdd1d;
  auto spread = [&] {
    return base + std::chrono::microseconds(next_random(rng) % 3'600'000'000);
  };
  internal::TimerHeap heap;
  std::unique_ptr<BenchTimer[]> timers(new BenchTimer[resident]);
  for (std::size_t i = 0; i < resident; ++i) heap.insert(&timers[i], spread());
  BenchTimer timer;
  for (auto _ : state) {
    heap.insert(&timer, spread());
    heap.remove(&timer);
    benchmark::DoNotOptimize(heap.size());
  }
  for (std::size_t i = 0; i < resident; ++i) heap.remove(&timers[i]);
}
BENCHMARK(BM_Timer_InsertCancel)->Arg(0)->Arg(10'000)->Arg(100'000);

// ---- Timers: a sleep that fires ---------------------------------------------

// One iteration: `co_await sleep_for(0ns)`, a timer due at once. It is
// armed, the task suspends, the loop finds nothing ready, polls the backend
// with a zero timeout (one io_uring_enter or epoll_pwait2), pops the timer
// and resumes the task: the floor cost of any timer firing, one loop turn.
// Not sleep_until(now()): now() is the turn's cached time, and the expiry
// pass in Worker::poll_io also fires timers armed during it if they are due
// by that time, so the task would be resumed again at once, with no poll in
// between (and no end to it while the task keeps doing that).
Task<void> timer_fire_loop(benchmark::State& state) {
  for (auto _ : state) {
    Status s = co_await sleep_for(0ns);
    benchmark::DoNotOptimize(s);
  }
}

void BM_Timer_Fire(benchmark::State& state) {
  block_on(timer_fire_loop(state));
}
BENCHMARK(BM_Timer_Fire);

// ---- Cross-worker: spawn_on round trip --------------------------------------

// Resumes `h` on the worker this task was spawned on.
Task<void> resume_here(std::coroutine_handle<> h) {
  h.resume();
  co_return;
}

// Runs on the far worker: bounces straight back to the home worker.
Task<void> bounce(Runtime* rt, std::size_t home, std::coroutine_handle<> h) {
  // Both indices are fixed and valid for the benchmark's 2-worker runtime.
  (void)rt->spawn_on(home, resume_here(h));
  co_return;
}

// Suspends the awaiting task (on worker `home`) until a task spawned on
// worker `far` has spawned a task back on `home` that resumes it.
struct RoundTrip {
  Runtime* rt;
  std::size_t home;
  std::size_t far;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    (void)rt->spawn_on(far, bounce(rt, home, h));
  }
  void await_resume() const noexcept {}
};

Task<void> round_trip_loop(benchmark::State& state, Runtime* rt) {
  for (auto _ : state) co_await RoundTrip{rt, 0, 1};
}

// Latency of one message to another worker and back: worker 0 spawn_on's a
// task onto worker 1, which spawn_on's one back onto worker 0 to resume the
// benchmark loop. Each leg is an inbox push under a mutex, an eventfd write
// and the far loop waking from its poll; both workers sleep in the kernel
// between legs, so this is the cross-core wake-up latency a request pays when
// it is handed to another core (and what sharding by SO_REUSEPORT avoids).
// The frames each leg allocates are freed on the other worker, so the
// recycling allocator's per-thread pools do not help here either. Real time:
// the loop runs on worker 0, not on the benchmark's thread.
void BM_CrossThread_SpawnOn(benchmark::State& state) {
  RuntimeOptions options;
  options.workers = 2;
  auto rt = Runtime::create(options);
  if (!rt.ok()) {
    state.SkipWithError(std::string(rt.status().message()).c_str());
    return;
  }
  (*rt)->block_on(round_trip_loop(state, rt->get()), 0);
}
BENCHMARK(BM_CrossThread_SpawnOn)->UseRealTime();

}  // namespace
}  // namespace ferry

BENCHMARK_MAIN();
