#pragma once

// Test helpers for middleware layers: a scripted inner service whose every
// call follows a script (delay on the ManualClock, then a status), and
// `start_call`, which runs one call in a TaskGroup so a test can move the
// clock while it is in flight.

#include <fmt/core.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "middleware/service.h"
#include "runtime/task_group.h"
#include "runtime/time.h"

namespace ferry::testing {

// One scripted outcome: after `delay` (none when zero), `code`.
struct Step {
  absl::StatusCode code = absl::StatusCode::kOk;
  Clock::duration delay{};
};

// Shared by the copies of a Scripted service.
struct Script {
  std::vector<Step> steps;                             // one per call, in order
  absl::StatusCode otherwise = absl::StatusCode::kOk;  // once steps run out
  int calls = 0;
  int live = 0;  // calls started and not finished
  int cancelled = 0;
  std::vector<Clock::time_point> started;
  std::vector<std::string> requests;
};

// Call n (1-based) answers "<req>#n" or fails with "attempt n", per the
// script; it also writes response metadata "attempt" = n.
struct Scripted {
  using Response = std::string;
  Script* script;
  Task<Result<std::string>> call(Context& cx, std::string req) {
    const int n = ++script->calls;
    ++script->live;
    script->started.push_back(clock_now());
    script->requests.push_back(req);
    const Step step = static_cast<size_t>(n) <= script->steps.size()
                          ? script->steps[n - 1]
                          : Step{script->otherwise};
    cx.response_metadata.add("attempt", std::to_string(n));
    Status s;
    if (step.delay > Clock::duration::zero())
      s = co_await sleep_for(step.delay);
    --script->live;
    if (!s.ok()) {
      ++script->cancelled;
      co_return s;
    }
    if (step.code != absl::StatusCode::kOk) {
      co_return Status(step.code, fmt::format("attempt {}", n));
    }
    co_return fmt::format("{}#{}", req, n);
  }
};

static_assert(Service<Scripted, std::string>);

// A backend whose every call answers the same way until the test changes
// it: after `nap` (on the ManualClock), `next`, or an echo of the request
// when `next` is OK.
struct Backend {
  int calls = 0;
  Status next;
  Clock::duration nap{};
};

struct BackendService {
  using Response = std::string;
  Backend* b;
  Task<Result<std::string>> call(Context&, std::string req) {
    ++b->calls;
    const Status s = b->next;
    if (b->nap > Clock::duration::zero()) {
      FERRY_CO_RETURN_IF_ERROR(co_await sleep_for(b->nap));
    }
    if (!s.ok()) co_return s;
    co_return req;
  }
};

static_assert(Service<BackendService, std::string>);

// Starts `svc.call(cx, req)` in `g`, storing the result in `*out`. `svc`
// and `cx` must outlive the call.
template <class S, class Req>
void start_call(TaskGroup& g, S& svc, Context& cx, Req req,
                std::optional<Result<typename S::Response>>* out) {
  g.spawn([](S* s, Context* c, Req r,
             std::optional<Result<typename S::Response>>* o) -> Task<void> {
    o->emplace(co_await s->call(*c, std::move(r)));
  }(&svc, &cx, std::move(req), out));
}

}  // namespace ferry::testing
