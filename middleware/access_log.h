#pragma once

// `AccessLog<S>` / `AccessLogLayer`: a structured, sampled access log. One
// logfmt line per logged call, handed to a sink the user supplies (stderr by
// default):
//
//   method=Echo peer=10.0.0.7:51544 code=UNAVAILABLE latency_us=1500
//   attempts=2 md.trace-id=abc123 error="backend: connection refused"
//
// (one line; wrapped here). Fields, in this order: method, peer ("-" when
// unknown), code (absl status code name), latency_us (integer microseconds
// from entering the layer to completion, on clock_now()), attempts
// (Context::stats.attempts as left by inner Retry/BackupRequest layers), one
// `md.<key>` per configured request metadata key present on the call, and
// `error` (the status message) for non-OK results. Values are quoted when
// empty or when they contain a space, `=`, `"` or a control character;
// inside quotes `\` and `"` are escaped, newline/CR/tab become \n, \r, \t
// and other control bytes \xNN. No timestamp: the sink (journald, a log
// shipper) adds one if wanted.
//
//   AccessLogOptions opts;
//   opts.sample_rate = 0.01;          // every 100th call
//   opts.always_log_errors = true;    // plus every failed call
//   opts.metadata_keys = {"trace-id"};
//   auto svc = ServiceBuilder()
//                  .layer(AccessLogLayer(std::move(opts)))
//                  .service(Handler());
//
// Sampling is deterministic, not random: with rate r the layer logs every
// N-th call it sees (N = round(1/r): the N-th, 2N-th, ...), counted per
// stack (one stack per worker). Errors are logged regardless when
// `always_log_errors` is set (which costs every call a coroutine frame and
// two clock reads, since any call may fail). Only logged calls are
// formatted, into a stack buffer (the peer address and code name are the
// only strings built). Calls that cannot be logged (not sampled, and errors
// not wanted) go straight to the inner service: the inner Task is returned
// as is, with no coroutine frame and no clock read. With rate 0 and errors
// off the layer is a pass-through.
//
// The layer only reads the Context; it never writes it.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "middleware/service.h"
#include "runtime/time.h"

namespace ferry {

// Where access log lines go: a function pointer and its argument. `line`
// has no trailing newline and is valid only during the call. Called on the
// worker that served the call; a sink shared between workers must be
// thread-safe (the default, stderr, is: one fwrite per line).
struct AccessLogSink {
  using Fn = void (*)(void* user, std::string_view line);

  // Writes `line` and a newline to stderr.
  static void write_stderr(void* user, std::string_view line);

  // A sink calling `f(line)`; `f` must outlive every stack using the sink.
  template <class F>
  static AccessLogSink to(F& f) {
    return {[](void* u, std::string_view line) { (*static_cast<F*>(u))(line); },
            &f};
  }

  void operator()(std::string_view line) const { fn(user, line); }

  Fn fn = &write_stderr;
  void* user = nullptr;
};

struct AccessLogOptions {
  // Fraction of calls to log, 0..1 (clamped). Quantised to 1/N: every N-th
  // call is logged, N = round(1 / sample_rate).
  double sample_rate = 1.0;
  // Log every call that ends with a non-OK status, sampled or not.
  bool always_log_errors = true;
  // Request metadata keys to include as `md.<key>=<value>` when present.
  std::vector<std::string> metadata_keys;
  AccessLogSink sink;
};

namespace internal {

// N for a sample rate (0: never sample).
uint64_t access_log_every(double sample_rate) noexcept;

// Formats the access log line of a finished call and hands it to the sink.
[[gnu::noinline]] void write_access_log(const AccessLogOptions& options,
                                        const Context& cx, const Status& status,
                                        Clock::duration latency);

}  // namespace internal

// Logs sampled calls (and, if configured, failed ones) to the options'
// sink; see the file comment. Results pass through unchanged. Concurrent
// calls are fine; the sampling counter belongs to this stack.
template <class S>
class AccessLog {
 public:
  using Response = typename S::Response;

  AccessLog(S inner, AccessLogOptions options)
      : inner_(std::move(inner)),
        options_(std::move(options)),
        every_(internal::access_log_every(options_.sample_rate)) {}

  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    bool sampled = false;
    if (every_ != 0 && ++seen_ == every_) {
      seen_ = 0;
      sampled = true;
    }
    if (!sampled && !options_.always_log_errors) {
      return inner_.call(cx, std::move(req));
    }
    return logged(cx, std::move(req), sampled);
  }

  // Whether this layer does nothing (rate 0 and errors off).
  bool disabled() const noexcept {
    return every_ == 0 && !options_.always_log_errors;
  }
  S& inner() noexcept { return inner_; }

 private:
  template <class Req>
  Task<Result<Response>> logged(Context& cx, Req req, bool sampled) {
    const Clock::time_point start = clock_now();
    Result<Response> r = co_await inner_.call(cx, std::move(req));
    if (sampled || !r.ok()) {
      internal::write_access_log(options_, cx, r.status(), clock_now() - start);
    }
    co_return r;
  }

  S inner_;
  AccessLogOptions options_;
  uint64_t every_;     // log every every_-th call; 0 = none
  uint64_t seen_ = 0;  // calls since the last sampled one
};

// Builds `AccessLog<S>` stacks; each stack gets a copy of the options and
// its own sampling counter.
class AccessLogLayer {
 public:
  AccessLogLayer() = default;
  explicit AccessLogLayer(AccessLogOptions options)
      : options_(std::move(options)) {}

  template <class S>
  AccessLog<S> layer(S inner) const {
    return AccessLog<S>(std::move(inner), options_);
  }

 private:
  AccessLogOptions options_;
};

}  // namespace ferry
