#pragma once

// `Context`: what travels with one request through the middleware stack,
// on client and server alike. One Context per call, owned by whoever starts
// the call (the generated client stub, the server's dispatcher) and passed
// by reference down the stack, so layers read and write it without copies.
//
//   Context cx;
//   cx.method = "Echo";
//   cx.deadline = Clock::now() + 100ms;       // Timeout layers narrow it
//   cx.request_metadata.set("trace-id", id);  // propagated by transports
//   Result<Reply> r = co_await stack.call(cx, request);
//
// What lives where:
// - identity: `method`, `caller`, `callee` are views of strings that outlive
//   the call (generated method tables, configured service names).
// - `peer`: the remote address once known (server: at accept; client: after
//   the connector picked an instance).
// - `deadline`: absolute; the tightest deadline wins as layers narrow it.
//   Transports send it (grpc-timeout) and servers restore it from the wire.
// - metadata: small ordered string maps for headers/trailers; a handful of
//   entries is the norm, so a flat vector beats a hash map.
// - `stats`: timestamps the stack fills in (for metrics and access logs).
// - `extensions`: one typed slot per C++ type for user data.

#include <any>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>
#include <vector>

#include "runtime/internal/timer_heap.h"
#include "runtime/net.h"

namespace ferry {

// An ordered multimap of string keys and values (request or response
// metadata). Keys compare case-sensitively; transports lower-case them.
class Metadata {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Replaces every value of `key` with `value`.
  void set(std::string_view key, std::string_view value) {
    erase(key);
    add(key, value);
  }
  // Adds another value for `key`.
  void add(std::string_view key, std::string_view value) {
    entries_.emplace_back(std::string(key), std::string(value));
  }
  // The first value of `key`, if any.
  std::optional<std::string_view> get(std::string_view key) const {
    for (const Entry& e : entries_) {
      if (e.first == key) return std::string_view(e.second);
    }
    return std::nullopt;
  }
  void erase(std::string_view key) {
    std::erase_if(entries_, [&](const Entry& e) { return e.first == key; });
  }
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  bool empty() const noexcept { return entries_.empty(); }
  void clear() noexcept { entries_.clear(); }

 private:
  std::vector<Entry> entries_;
};

// Timestamps of one call, filled in by the stack (zero when not reached).
struct CallStats {
  internal::Clock::time_point start{};     // entered the outermost layer
  internal::Clock::time_point sent{};      // request written (transport)
  internal::Clock::time_point received{};  // response read (transport)
  internal::Clock::time_point end{};       // left the outermost layer
  int attempts = 0;                        // Retry/BackupRequest bump it
};

struct Context {
  std::string_view method;
  std::string_view caller;
  std::string_view callee;
  SocketAddress peer;
  std::optional<internal::Clock::time_point> deadline;
  // Safe to send more than once (IDL-marked idempotent, or set by the
  // caller): Retry and BackupRequest only repeat such calls unless
  // configured otherwise.
  bool idempotent = false;
  Metadata request_metadata;
  Metadata response_metadata;
  // Trailing metadata (gRPC trailers; unused by Thrift).
  Metadata response_trailers;
  CallStats stats;

  // Readies this Context for another call from the same peer: every field
  // back to its default except `peer`, the metadata keeping their capacity.
  // (A server connection reuses one Context so for its synchronous calls.)
  // A field added to Context must be reset here too.
  void reset_for_next_call() noexcept {
    // Three stores each: chained `a = b = {}` would reload what it just
    // stored, a store-forwarding stall.
    method = {};
    caller = {};
    callee = {};
    deadline.reset();
    idempotent = false;
    request_metadata.clear();
    response_metadata.clear();
    response_trailers.clear();
    stats = CallStats{};
    extensions_.clear();
  }

  // Narrows `deadline` to `d` if `d` is earlier (or none was set).
  void narrow_deadline(internal::Clock::time_point d) noexcept {
    if (!deadline || d < *deadline) deadline = d;
  }

  // The typed extension slot: at most one value per type T.
  template <class T>
  T& extension() {
    for (auto& [type, value] : extensions_) {
      if (type == typeid(T)) return std::any_cast<T&>(value);
    }
    extensions_.emplace_back(typeid(T), std::any(T{}));
    return std::any_cast<T&>(extensions_.back().second);
  }
  template <class T>
  const T* find_extension() const {
    for (const auto& [type, value] : extensions_) {
      if (type == typeid(T)) return std::any_cast<T>(&value);
    }
    return nullptr;
  }

 private:
  std::vector<std::pair<std::type_index, std::any>> extensions_;
};

}  // namespace ferry
