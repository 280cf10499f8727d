#pragma once

// `CircuitBreaker<S>` / `CircuitBreakerLayer`: stops sending calls to a
// method or instance that keeps failing, so a broken backend gets room to
// recover and callers fail fast instead of queueing behind timeouts.
//
//   auto svc = ServiceBuilder()
//                  .layer(CircuitBreakerLayer(CircuitBreakerPolicy{
//                      .min_requests = 50, .threshold = 0.3}))
//                  .layer(TimeoutLayer(100ms))  // inside: timeouts count
//                  .service(transport);
//   // open: "circuit open for Echo@127.0.0.1:9000; retry in 2.3 s"
//
// Every key (by default the pair `Context::method`, `Context::peer`) has its
// own breaker with the classic three states:
// - closed: calls pass; outcomes land in a rolling window of `buckets`
//   buckets spanning `window`. A failure that leaves the window holding
//   >= `min_requests` outcomes with a failure share >= `threshold` opens
//   the key (a success never does, even with `threshold` 0).
// - open: calls fail at once with kUnavailable naming the key, without
//   reaching the inner service, for `open_duration`.
// - half-open: up to `half_open_probes` calls go through concurrently (the
//   rest fail fast). `probes_to_close` probe successes close the key with a
//   fresh window; one probe failure opens it again for `open_duration`.
//
// Which outcomes are failures is the `failure_codes` bit set (default:
// kUnavailable, kDeadlineExceeded, kInternal, kUnknown, kDataLoss). Other
// errors (kNotFound, kInvalidArgument, ...) say the backend is alive and
// count as successes. kCancelled never counts either way, nor does a call
// whose task is destroyed before it finished: the caller gave up, the backend
// said nothing. Consequently a Timeout layer *outside* the breaker (which
// cancels the inner call) is invisible to it; put timeouts inside.
//
// Keys are created on first use and kept: a small vector searched linearly,
// comparing the method text and the peer's raw sockaddr bytes (so
// 127.0.0.1 and ::ffff:127.0.0.1 are different keys). No string is built
// per call; the steady state allocates nothing beyond the call's pooled
// coroutine frame. At most `max_keys` keys exist: a new key then recycles
// the least recently used closed key with no call in flight, and if none
// qualifies the call passes untracked. (On a server, keying by peer makes
// one key per client connection; use `KeyBy::kMethod` there.)
//
// Threading: the state lives in the service object, without atomics. A
// stack is built per worker (one `layer()` call each) and a service object is
// used only from the worker that built it; copies have independent state.
// The service object must stay put (not be moved or destroyed) while calls
// through it are in flight.

#include <fmt/core.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "middleware/service.h"
#include "runtime/time.h"

namespace ferry {

enum class CircuitState : uint8_t { kClosed, kOpen, kHalfOpen };

inline std::string_view to_string(CircuitState s) noexcept {
  switch (s) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half-open";
  }
  return "?";
}

// A set of status codes as a bit mask: bit `c` stands for code `c`.
constexpr uint32_t status_code_bit(absl::StatusCode code) noexcept {
  const auto c = static_cast<unsigned>(code);
  return c < 32 ? uint32_t{1} << c : 0;
}
constexpr uint32_t status_code_set(
    std::initializer_list<absl::StatusCode> codes) noexcept {
  uint32_t bits = 0;
  for (absl::StatusCode c : codes) bits |= status_code_bit(c);
  return bits;
}

struct CircuitBreakerPolicy {
  // What identifies one breaker.
  enum class KeyBy : uint8_t { kMethodAndPeer, kMethod, kPeer };

  static constexpr uint32_t kDefaultFailureCodes = status_code_set(
      {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
       absl::StatusCode::kInternal, absl::StatusCode::kUnknown,
       absl::StatusCode::kDataLoss});

  Clock::duration window = std::chrono::seconds(10);
  uint32_t buckets = 10;  // window resolution: outcomes age out per bucket
  uint32_t min_requests = 20;
  double threshold = 0.5;  // failure share that opens the circuit
  Clock::duration open_duration = std::chrono::seconds(5);
  uint32_t half_open_probes = 1;  // concurrent probes while half-open
  uint32_t probes_to_close = 1;   // probe successes that close it
  // status_code_set({...}); kCancelled is ignored even if present.
  uint32_t failure_codes = kDefaultFailureCodes;
  KeyBy key_by = KeyBy::kMethodAndPeer;
  std::size_t max_keys = 64;
};

namespace internal {

// The non-template state machine behind CircuitBreaker<S>: keys, windows
// and transitions. Single-threaded (see the header comment).
class CircuitBreakerCore {
 public:
  static constexpr uint32_t kUntracked = ~uint32_t{0};

  // What a call holds between `admit` and `finish`.
  struct Ticket {
    uint32_t key = kUntracked;
    uint32_t generation = 0;
    bool probe = false;
  };

  explicit CircuitBreakerCore(CircuitBreakerPolicy p) : policy_(p) {
    if (policy_.buckets == 0) policy_.buckets = 1;
    if (policy_.half_open_probes == 0) policy_.half_open_probes = 1;
    if (policy_.probes_to_close == 0) policy_.probes_to_close = 1;
    if (policy_.max_keys == 0) policy_.max_keys = 1;
    policy_.failure_codes &= ~status_code_bit(absl::StatusCode::kCancelled);
    bucket_ns_ =
        std::chrono::duration_cast<std::chrono::nanoseconds>(policy_.window)
            .count() /
        policy_.buckets;
    if (bucket_ns_ <= 0) bucket_ns_ = 1;
  }

  // Decides whether a call for `cx` at `now` may go ahead. On true, `*t`
  // must later be passed to `finish` exactly once. On false, `t->key` names
  // the key that rejected it (for `rejection`).
  bool admit(const Context& cx, Clock::time_point now, Ticket* t) {
    const uint32_t i = find_or_add(cx.method, cx.peer, now);
    t->key = i;
    if (i == kUntracked) [[unlikely]]
      return true;
    Key& k = keys_[i];
    k.last_used = now;
    switch (k.state) {
      case CircuitState::kClosed:
        break;
      case CircuitState::kOpen:
        if (now < k.open_until) return false;
        k.state = CircuitState::kHalfOpen;
        ++k.generation;
        k.probes_in_flight = 0;
        k.probe_successes = 0;
        [[fallthrough]];
      case CircuitState::kHalfOpen:
        if (k.probes_in_flight >= policy_.half_open_probes) return false;
        ++k.probes_in_flight;
        t->probe = true;
        break;
    }
    ++k.in_flight;
    t->generation = k.generation;
    return true;
  }

  // Records the outcome of an admitted call: `s` is its status, or null
  // when the call was abandoned (its task destroyed before it finished).
  void finish(const Ticket& t, const Status* s, Clock::time_point now) {
    if (t.key == kUntracked) return;
    Key& k = keys_[t.key];
    --k.in_flight;
    // A transition since admission makes the outcome stale: a call admitted
    // while closed says nothing about a half-open backend, and a probe from
    // an earlier half-open period no longer holds a slot.
    if (t.generation != k.generation) return;
    if (t.probe) --k.probes_in_flight;
    if (s == nullptr || absl::IsCancelled(*s)) return;
    const bool failed =
        (policy_.failure_codes & status_code_bit(s->code())) != 0;
    if (t.probe) {
      if (failed) {
        open(k, now);
      } else if (++k.probe_successes >= policy_.probes_to_close) {
        close(k, now);
      }
      return;
    }
    roll(k, epoch_of(now));
    Bucket& b =
        k.buckets[static_cast<std::size_t>(k.head_epoch % policy_.buckets)];
    if (failed) {
      ++b.failures;
      ++k.failures;
    } else {
      ++b.successes;
      ++k.successes;
    }
    const uint64_t total = k.successes + k.failures;
    if (failed && total >= policy_.min_requests &&
        static_cast<double>(k.failures) >=
            policy_.threshold * static_cast<double>(total)) {
      open(k, now);
    }
  }

  // The fast-fail status for a call `admit` turned down.
  [[gnu::cold, gnu::noinline]] Status rejection(const Ticket& t,
                                                Clock::time_point now) const {
    const Key& k = keys_[t.key];
    if (k.state == CircuitState::kOpen) {
      const double left =
          std::chrono::duration<double>(k.open_until - now).count();
      return absl::UnavailableError(fmt::format(
          "circuit open for {}; retry in {:.1f} s", name_of(k), left));
    }
    return absl::UnavailableError(
        fmt::format("circuit half-open for {}; {} probe(s) in flight",
                    name_of(k), k.probes_in_flight));
  }

  // The state of the key for (`method`, `peer`) as a call now would see it
  // (open past its open_duration reads as half-open); kClosed if unknown.
  CircuitState state(std::string_view method, const SocketAddress& peer,
                     Clock::time_point now) const {
    const uint32_t i = find(method, peer);
    if (i == kUntracked) return CircuitState::kClosed;
    const Key& k = keys_[i];
    if (k.state == CircuitState::kOpen && now >= k.open_until) {
      return CircuitState::kHalfOpen;
    }
    return k.state;
  }

  std::size_t key_count() const noexcept { return keys_.size(); }
  const CircuitBreakerPolicy& policy() const noexcept { return policy_; }

 private:
  struct Bucket {
    uint32_t successes = 0;
    uint32_t failures = 0;
  };
  struct Key {
    std::string method;  // empty unless keyed by method
    SocketAddress peer;  // empty unless keyed by peer
    CircuitState state = CircuitState::kClosed;
    uint32_t generation = 0;  // bumped on every transition
    uint32_t in_flight = 0;
    uint32_t probes_in_flight = 0;
    uint32_t probe_successes = 0;
    Clock::time_point open_until{};
    Clock::time_point last_used{};
    // The window: buckets[e % buckets] holds epoch e for the `buckets`
    // epochs up to head_epoch; successes/failures are their sums.
    int64_t head_epoch = 0;
    uint64_t successes = 0;
    uint64_t failures = 0;
    std::vector<Bucket> buckets;
  };

  bool by_method() const noexcept {
    return policy_.key_by != CircuitBreakerPolicy::KeyBy::kPeer;
  }
  bool by_peer() const noexcept {
    return policy_.key_by != CircuitBreakerPolicy::KeyBy::kMethod;
  }

  static bool same_peer(const SocketAddress& a,
                        const SocketAddress& b) noexcept {
    return a.size() == b.size() &&
           std::memcmp(a.data(), b.data(), a.size()) == 0;
  }

  uint32_t find(std::string_view method,
                const SocketAddress& peer) const noexcept {
    const bool m = by_method(), p = by_peer();
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      const Key& k = keys_[i];
      if ((!m || k.method == method) && (!p || same_peer(k.peer, peer))) {
        return static_cast<uint32_t>(i);
      }
    }
    return kUntracked;
  }

  uint32_t find_or_add(std::string_view method, const SocketAddress& peer,
                       Clock::time_point now) {
    const uint32_t found = find(method, peer);
    if (found != kUntracked) [[likely]]
      return found;
    return add(method, peer, now);
  }

  // Cold: runs once per key (or per recycling).
  [[gnu::noinline]] uint32_t add(std::string_view method,
                                 const SocketAddress& peer,
                                 Clock::time_point now) {
    uint32_t slot = kUntracked;
    if (keys_.size() < policy_.max_keys) {
      slot = static_cast<uint32_t>(keys_.size());
      keys_.emplace_back();
      keys_.back().buckets.resize(policy_.buckets);
    } else {
      for (std::size_t i = 0; i < keys_.size(); ++i) {
        const Key& k = keys_[i];
        if (k.state != CircuitState::kClosed || k.in_flight != 0) continue;
        if (slot == kUntracked || k.last_used < keys_[slot].last_used) {
          slot = static_cast<uint32_t>(i);
        }
      }
      if (slot == kUntracked) return kUntracked;
    }
    Key& k = keys_[slot];
    k.method.assign(by_method() ? method : std::string_view());
    k.peer = by_peer() ? peer : SocketAddress();
    k.state = CircuitState::kClosed;
    ++k.generation;
    k.last_used = now;
    reset_window(k, now);
    return slot;
  }

  int64_t epoch_of(Clock::time_point now) const noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               now.time_since_epoch())
               .count() /
           bucket_ns_;
  }

  // Moves the window's head to epoch `e`, emptying the buckets it passes.
  void roll(Key& k, int64_t e) noexcept {
    if (e <= k.head_epoch) return;
    const int64_t n = policy_.buckets;
    const int64_t steps = e - k.head_epoch < n ? e - k.head_epoch : n;
    for (int64_t i = 1; i <= steps; ++i) {
      Bucket& b = k.buckets[static_cast<std::size_t>((k.head_epoch + i) % n)];
      k.successes -= b.successes;
      k.failures -= b.failures;
      b = Bucket{};
    }
    k.head_epoch = e;
  }

  void reset_window(Key& k, Clock::time_point now) noexcept {
    for (Bucket& b : k.buckets) b = Bucket{};
    k.successes = k.failures = 0;
    k.head_epoch = epoch_of(now);
  }

  void open(Key& k, Clock::time_point now) noexcept {
    k.state = CircuitState::kOpen;
    ++k.generation;
    k.open_until = now + policy_.open_duration;
    k.probes_in_flight = 0;
    k.probe_successes = 0;
  }

  void close(Key& k, Clock::time_point now) noexcept {
    k.state = CircuitState::kClosed;
    ++k.generation;
    k.probes_in_flight = 0;
    k.probe_successes = 0;
    reset_window(k, now);
  }

  std::string name_of(const Key& k) const {
    std::string name = by_method() ? std::string(k.method) : std::string();
    if (name.empty() && by_method()) name = "call";
    if (by_peer() && k.peer.size() != 0) {
      if (!name.empty()) name += '@';
      name += k.peer.to_string();
    }
    if (name.empty()) name = "call";
    return name;
  }

  CircuitBreakerPolicy policy_;
  int64_t bucket_ns_ = 1;
  std::vector<Key> keys_;
};

// Settles a ticket exactly once: with the call's status, or as abandoned
// when the calling coroutine's frame is destroyed first.
class CircuitTicketGuard {
 public:
  CircuitTicketGuard(CircuitBreakerCore* core,
                     CircuitBreakerCore::Ticket t) noexcept
      : core_(core), ticket_(t) {}
  CircuitTicketGuard(const CircuitTicketGuard&) = delete;
  CircuitTicketGuard& operator=(const CircuitTicketGuard&) = delete;
  ~CircuitTicketGuard() {
    if (core_ != nullptr) core_->finish(ticket_, nullptr, Clock::time_point());
  }
  void settle(const Status& s) {
    std::exchange(core_, nullptr)->finish(ticket_, &s, clock_now());
  }

 private:
  CircuitBreakerCore* core_;
  CircuitBreakerCore::Ticket ticket_;
};

}  // namespace internal

// The breaker around `S`. Contract: a call either reaches the inner service
// and its result is returned unchanged (and recorded), or fails with
// kUnavailable ("circuit open for <key>...") without touching the inner
// service. The decision is made when the returned Task starts, not when
// `call` is invoked, so a Task destroyed unawaited takes no probe slot.
template <class S>
class CircuitBreaker {
 public:
  using Response = typename S::Response;

  CircuitBreaker(S inner, const CircuitBreakerPolicy& policy)
      : inner_(std::move(inner)), core_(policy) {}

  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    internal::CircuitBreakerCore::Ticket t;
    const Clock::time_point now = clock_now();
    if (!core_.admit(cx, now, &t)) [[unlikely]]
      co_return core_.rejection(t, now);
    internal::CircuitTicketGuard guard(&core_, t);
    Result<Response> r = co_await inner_.call(cx, std::move(req));
    guard.settle(r.status());
    co_return std::move(r);
  }

  // The state of the breaker for (`method`, `peer`) at the current time;
  // kClosed for a key never seen. Only the parts of the key the policy's
  // `key_by` uses are compared.
  CircuitState state(std::string_view method,
                     const SocketAddress& peer = SocketAddress()) const {
    return core_.state(method, peer, clock_now());
  }
  // Keys tracked so far (at most `policy.max_keys`).
  std::size_t key_count() const noexcept { return core_.key_count(); }

  S& inner() noexcept { return inner_; }

 private:
  S inner_;
  internal::CircuitBreakerCore core_;
};

class CircuitBreakerLayer {
 public:
  CircuitBreakerLayer() = default;
  explicit CircuitBreakerLayer(CircuitBreakerPolicy policy) : policy_(policy) {}

  // Each stack built gets its own, empty breaker state.
  template <class S>
  CircuitBreaker<S> layer(S inner) const {
    return CircuitBreaker<S>(std::move(inner), policy_);
  }

 private:
  CircuitBreakerPolicy policy_;
};

}  // namespace ferry
