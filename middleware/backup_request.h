#pragma once

// `BackupRequest<S>` / `BackupRequestLayer`: request hedging. The call starts
// as usual; if it has not finished after `delay`, a second (backup) attempt
// starts alongside it, and whichever *succeeds* first answers. It trims the
// latency tail caused by one slow server at the price of a few duplicate
// requests (pick `delay` near the p95 latency so ~5% of calls hedge).
//
//   auto svc = ServiceBuilder()
//                  .layer(TimeoutLayer(200ms))
//                  .layer(BackupRequestLayer(15ms))
//                  .service(client);
//   Context cx;
//   cx.idempotent = true;  // only idempotent calls are hedged by default
//
// The rules, exactly:
// - The first attempt finishing before `delay` (success or failure) is the
//   answer; no backup starts.
// - Otherwise the backup starts at `delay`. The first attempt to succeed
//   wins: the other one is cancelled (its CancelSource, chained to the
//   caller's) and *awaited* before the call returns, so nothing either
//   attempt owns outlives the call. A failure does not end the race while
//   the other attempt is running; if both fail, the answer is the failure
//   that came last.
// - Cancelling the caller cancels both attempts (and the pending backup).
// - Only `cx.idempotent` calls are hedged, unless the layer was built with
//   `hedge_all = true`; other calls go straight to the inner service (no
//   coroutine frame, no copy).
// - `cx.stats.attempts` counts calls of the inner service: set to 1 on entry
//   if still 0, plus one when the backup starts.
//
// Both attempts share the caller's one `Context` (no copy per call). So:
// - `response_metadata` holds whatever either attempt wrote, in write
//   order: the winner's entries, but also any the loser wrote before it was
//   cancelled (with `Metadata::set`, the last writer wins). `peer` and
//   `stats.sent`/`stats.received` are the last writer's too, which is
//   usually but not always the winner.
// - A layer inside BackupRequest that narrows `cx.deadline` narrows it for
//   both attempts: the backup does not get a fresh per-attempt timeout. Put
//   per-attempt timeouts outside BackupRequest (the backup then shares the
//   first attempt's deadline, which is what hedging wants).
// - Inner layers must tolerate two concurrent calls on one Context.
//
// Cost of a hedged-eligible call: one copy of the request (the backup may
// need it after the first attempt consumed its own, so `Req` must be
// copy-constructible) and a handful of pooled coroutine frames; no heap
// allocation of its own.

#include <chrono>
#include <concepts>
#include <optional>
#include <utility>

#include "middleware/service.h"
#include "runtime/cancel.h"
#include "runtime/combinators.h"
#include "runtime/time.h"

namespace ferry {

// Hedges calls of `S` after a delay. Contract: see the header comment; in
// short, first success wins, the loser is cancelled and awaited, a failure
// before the delay is returned unhedged, and if both fail the last failure
// is returned.
template <class S>
class BackupRequest {
 public:
  using Response = typename S::Response;

  BackupRequest(S inner, Clock::duration delay, bool hedge_all)
      : inner_(std::move(inner)), delay_(delay), hedge_all_(hedge_all) {}

  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    static_assert(std::copy_constructible<Req>,
                  "BackupRequest may send the request twice: Req must be "
                  "copy-constructible");
    if (cx.stats.attempts == 0) cx.stats.attempts = 1;
    if (!cx.idempotent && !hedge_all_) return inner_.call(cx, std::move(req));
    return hedged(cx, std::move(req));
  }

  S& inner() noexcept { return inner_; }

 private:
  // The two attempts' shared state; lives in hedged()'s frame.
  struct Race {
    explicit Race(CancelSource* parent) noexcept
        : first_source(parent), backup_source(parent) {}
    // Keeps the first success, else the latest failure.
    void record(Result<Response> r) {
      if (!answer || !answer->ok()) answer.emplace(std::move(r));
    }
    CancelSource first_source;
    CancelSource backup_source;  // also cancels the pending delay
    bool backup_started = false;
    std::optional<Result<Response>> answer;
  };

  template <class Req>
  Task<Result<Response>> hedged(Context& cx, Req req) {
    Race race(co_await current_cancel_source());
    co_await when_all(run_first(cx, Req(req), &race),
                      run_backup(cx, &req, &race));
    co_return std::move(*race.answer);
  }

  template <class Req>
  Task<void> run_first(Context& cx, Req req, Race* race) {
    Result<Response> r = co_await run_under(&race->first_source,
                                            inner_.call(cx, std::move(req)));
    const bool ok = r.ok();
    race->record(std::move(r));
    // A success ends the race; a failure before the delay ends it too (the
    // backup never starts). A later failure leaves the backup running.
    if (ok || !race->backup_started) race->backup_source.cancel();
  }

  template <class Req>
  Task<void> run_backup(Context& cx, Req* req, Race* race) {
    // Under backup_source: cancelled when the first attempt ends the race.
    Status slept = co_await run_under(&race->backup_source, nap(delay_));
    if (!slept.ok()) co_return;
    race->backup_started = true;
    ++cx.stats.attempts;
    Result<Response> r = co_await run_under(&race->backup_source,
                                            inner_.call(cx, std::move(*req)));
    const bool ok = r.ok();
    race->record(std::move(r));
    if (ok) race->first_source.cancel();
  }

  static Task<Status> nap(Clock::duration d) {
    co_return co_await sleep_for(d);
  }

  S inner_;
  Clock::duration delay_;
  bool hedge_all_;
};

// Builds `BackupRequest<S>` services: hedge after `delay`; with
// `hedge_all`, non-idempotent calls too.
class BackupRequestLayer {
 public:
  template <class Rep, class Period>
  explicit BackupRequestLayer(std::chrono::duration<Rep, Period> delay,
                              bool hedge_all = false)
      : delay_(std::chrono::duration_cast<Clock::duration>(delay)),
        hedge_all_(hedge_all) {}

  template <class S>
  BackupRequest<S> layer(S inner) const {
    return BackupRequest<S>(std::move(inner), delay_, hedge_all_);
  }

 private:
  Clock::duration delay_;
  bool hedge_all_;
};

}  // namespace ferry
