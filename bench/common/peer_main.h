#pragma once

// The main() plumbing of the reference peers: the programs ferry is
// benchmarked (bench/rpc) and interop-tested (tests/interop) against, which
// use none of ferry's code, only the reference library and this header
// (the C++ standard library and POSIX signals, nothing else).
//
//   PeerFlags    `--name value` / `--name=value` flags, checked against the
//                program's known names, with numeric getters
//                (parse_number, flags.h)
//   StopSignals  SIGINT/SIGTERM blocked before any thread starts, then
//                waited for (or a time limit)
//   announce_listening  the `LISTENING <port>` line the scripts wait for

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "bench/common/flags.h"

namespace ferry::bench_common {

// A program's flags, each written --name value or --name=value (a value
// may start with "--": `--name --x` gives name the value "--x"). Only the
// names the constructor is given are accepted; a flag given twice keeps its
// last value. The first error (a malformed or unknown flag, a bad value)
// sticks: check ok() once every value has been read.
//
//   PeerFlags flags(argc, argv, {"port", "max-seconds"});
//   flags.number("port", 0, 65535, &port);
//   if (!flags.ok()) return flags.usage_error("prog", "usage: prog ...\n");
class PeerFlags {
 public:
  // Parses argv[1..argc) against the `known` flag names (without "--").
  PeerFlags(int argc, char** argv,
            std::initializer_list<std::string_view> known) {
    for (int i = 1; i < argc; ++i) {
      std::string_view name, value;
      if (std::string why = split_flag(argc, argv, &i, &name, &value);
          !why.empty()) {
        fail(std::move(why));
        return;
      }
      bool is_known = false;
      for (std::string_view k : known) is_known = is_known || k == name;
      if (!is_known) {
        fail("unknown flag --" + std::string(name));
        return;
      }
      values_.insert_or_assign(std::string(name), std::string(value));
    }
  }

  bool has(std::string_view name) const {
    return values_.find(name) != values_.end();
  }

  // The flag's value, or `fallback` when it was not given.
  std::string get(std::string_view name, std::string fallback = "") const {
    const auto it = values_.find(name);
    return it == values_.end() ? std::move(fallback) : it->second;
  }

  // Sets *out to the flag's value, a T in [min, max], when it was given;
  // else leaves *out alone. A value that is not one is an error.
  template <class T>
  void number(std::string_view name, T min, T max, T* out) {
    const auto it = values_.find(name);
    if (it == values_.end() || parse_number(it->second, min, max, out)) return;
    std::ostringstream os;
    os << "--" << name << ": '" << it->second << "' is not a number in [" << min
       << ", " << max << "]";
    fail(os.str());
  }

  // Records an error of the caller's (a value it rejects); the first one
  // is kept.
  void fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Prints `<program>: <error>` and `usage` on stderr; returns 2, the exit
  // code for bad flags.
  int usage_error(std::string_view program, std::string_view usage) const {
    std::fprintf(stderr, "%.*s: %s\n%.*s", static_cast<int>(program.size()),
                 program.data(), error_.c_str(), static_cast<int>(usage.size()),
                 usage.data());
    return 2;
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::string error_;
};

// SIGINT and SIGTERM, blocked on the constructing thread. Construct it
// before starting any thread: threads inherit the mask, so the signals stay
// pending for wait() instead of killing the process or landing on a
// library's thread.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }

  // Returns once SIGINT or SIGTERM arrives, or once `max_seconds` have
  // passed when it is positive.
  void wait(double max_seconds = 0) const {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration<double>(max_seconds);
    for (;;) {
      if (max_seconds <= 0) {
        if (sigwaitinfo(&set_, nullptr) > 0) return;
        continue;
      }
      const std::chrono::duration<double> left =
          deadline - std::chrono::steady_clock::now();
      if (left.count() <= 0) return;
      timespec ts{};
      ts.tv_sec = static_cast<time_t>(left.count());
      ts.tv_nsec = static_cast<long>(
          (left.count() - static_cast<double>(ts.tv_sec)) * 1e9);
      if (sigtimedwait(&set_, nullptr, &ts) > 0) return;
    }
  }

 private:
  sigset_t set_;
};

// Prints `LISTENING <port>` on stdout, flushed: the line scripts and
// run_interop.py wait for before connecting.
inline void announce_listening(int port) {
  std::printf("LISTENING %d\n", port);
  std::fflush(stdout);
}

}  // namespace ferry::bench_common
