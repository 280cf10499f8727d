// Zero cost, measured: a stack of N pass-through layers against calling the
// inner service directly, plus the Timeout layer and a BoxService, all
// awaited inside one running worker. Reports ns/call and heap allocations
// per call (global operator new is counted in this binary).
//
//   build/bench/middleware_bench --benchmark_min_time=0.5

#include "benchmark/benchmark.h"

#include "middleware/box_service.h"
#include "middleware/builder.h"
#include "middleware/circuit_breaker.h"
#include "middleware/retry.h"
#include "middleware/timeout.h"
#include "runtime/runtime.h"

// Counted by the operator new in allocation_counter.cc.
long allocations() noexcept;

namespace ferry {
namespace {

// The innermost service: a coroutine, as every real handler is.
struct AddOne {
  using Response = int;
  Task<Result<int>> call(Context&, int x) { co_return x + 1; }
};

// Decorates nothing: forwards the call and its Task as they are.
template <class S>
struct PassThrough {
  using Response = typename S::Response;
  S inner;
  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    return inner.call(cx, std::move(req));
  }
};

struct PassThroughLayer {
  template <class S>
  PassThrough<S> layer(S inner) const {
    return {std::move(inner)};
  }
};

template <int N, class Builder>
auto add_pass_through(Builder b) {
  if constexpr (N == 0) {
    return b;
  } else {
    return add_pass_through<N - 1>(std::move(b).layer(PassThroughLayer{}));
  }
}

template <class S>
Task<void> call_loop(benchmark::State& state, S& svc, bool idempotent) {
  Context cx;
  cx.method = "Echo";
  cx.peer = SocketAddress::loopback_v4(9000);
  cx.idempotent = idempotent;
  int x = 0;
  // Warm the frame pools, the timer heap and the breaker's key table, so
  // the count below is the steady state.
  for (int i = 0; i < 1000; ++i) (void)co_await svc.call(cx, 0);
  const long before = allocations();
  for (auto _ : state) {
    Result<int> r = co_await svc.call(cx, x);
    benchmark::DoNotOptimize(r);
    x = *r;
  }
  state.counters["allocs_per_call"] =
      benchmark::Counter(static_cast<double>(allocations() - before),
                         benchmark::Counter::kAvgIterations);
}

template <class S>
void run(benchmark::State& state, S svc, bool idempotent = false) {
  block_on(call_loop(state, svc, idempotent));
}

void BM_Stack_Bare(benchmark::State& state) { run(state, AddOne{}); }
BENCHMARK(BM_Stack_Bare);

template <int N>
void BM_Stack_PassThrough(benchmark::State& state) {
  run(state, add_pass_through<N>(ServiceBuilder()).service(AddOne{}));
}
BENCHMARK_TEMPLATE(BM_Stack_PassThrough, 0)->Name("BM_Stack_PassThrough/0");
BENCHMARK_TEMPLATE(BM_Stack_PassThrough, 1)->Name("BM_Stack_PassThrough/1");
BENCHMARK_TEMPLATE(BM_Stack_PassThrough, 5)->Name("BM_Stack_PassThrough/5");
BENCHMARK_TEMPLATE(BM_Stack_PassThrough, 10)->Name("BM_Stack_PassThrough/10");

// A per-call timeout: one timer insert/remove and one coroutine frame.
void BM_Stack_Timeout(benchmark::State& state) {
  run(state, ServiceBuilder()
                 .layer(TimeoutLayer(std::chrono::seconds(10)))
                 .service(AddOne{}));
}
BENCHMARK(BM_Stack_Timeout);

// The default client stack, not tripping: a per-call timeout, retries
// (the call is idempotent, so Retry takes its retrying path) and a circuit
// breaker keyed by method and peer.
void BM_Stack_DefaultClient(benchmark::State& state) {
  run(state,
      ServiceBuilder()
          .layer(TimeoutLayer(std::chrono::seconds(10)))
          .layer(RetryLayer(RetryPolicy{}))
          .layer(CircuitBreakerLayer(CircuitBreakerPolicy{}))
          .service(AddOne{}),
      /*idempotent=*/true);
}
BENCHMARK(BM_Stack_DefaultClient);

// Type erasure: one indirect call per call.
void BM_Stack_Boxed(benchmark::State& state) {
  run(state, BoxService<int, int>(AddOne{}));
}
BENCHMARK(BM_Stack_Boxed);

}  // namespace
}  // namespace ferry

BENCHMARK_MAIN();
