#pragma once

// The `Service` and `Layer` concepts: ferry's middleware model (after
// tower/motore). A Service turns a request into a `Task<Result<Response>>`;
// a Layer wraps a Service in another Service. Stacks are composed at compile
// time into one concrete type, so every call inlines through every layer and
// nothing is virtual unless the user asks for a `BoxService`.
//
//   struct Echo {
//     using Response = std::string;
//     Task<Result<std::string>> call(Context&, std::string req) {
//       co_return req;
//     }
//   };
//   static_assert(Service<Echo, std::string>);
//
// Guarantees a Service gives its callers:
// - `call` may be invoked again before earlier calls finish (concurrent
//   calls on one worker); a service that cannot allow that says so.
// - `call` does not throw; failures are `Result` errors. (A throwing user
//   handler is caught at the server boundary.)
// - The returned Task is lazy: nothing happens until it is awaited, and
//   destroying it unawaited cancels nothing because nothing started.
// - The `Context&` outlives the returned Task.
//
// A Layer's `layer(inner)` is const: one layer object can build many stacks
// (one per worker, one per connection). It takes the inner service by value.

#include <concepts>
#include <type_traits>
#include <utility>

#include "middleware/context.h"
#include "runtime/status.h"
#include "runtime/task.h"

namespace ferry {

// clang-format off
template <class S, class Req>
concept Service = requires(S& s, Context& cx, Req req) {
  typename S::Response;
  { s.call(cx, std::move(req)) }
      -> std::same_as<Task<Result<typename S::Response>>>;
};

template <class L, class S>
concept Layer = requires(const L& l, S inner) {
  { l.layer(std::move(inner)) };
};
// clang-format on

// The service type `L` makes around `S`.
template <class L, class S>
using LayeredService =
    decltype(std::declval<const L&>().layer(std::declval<S>()));

}  // namespace ferry
