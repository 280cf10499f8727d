#pragma once

// Composing layers: `ServiceBuilder`, `Stack`, `Identity`.
//
//   auto svc = ServiceBuilder()
//                  .layer(TimeoutLayer(100ms))   // outermost: sees calls first
//                  .layer(MyLoggingLayer())
//                  .service(Handler());          // innermost
//   // decltype(svc) == Timeout<MyLogging<Handler>>: one concrete type.
//
// The first `.layer()` is the outermost, as in tower and motore. Each layer
// is stored by value; `.service(s)` applies them innermost-first. Nothing is
// type-erased: wrap the result in a `BoxService` if a runtime-chosen stack
// is needed.

#include <tuple>
#include <utility>

#include "middleware/service.h"

namespace ferry {

// The layer that adds nothing: `Identity{}.layer(s)` is `s`.
struct Identity {
  template <class S>
  S layer(S inner) const {
    return inner;
  }
};

// Two layers as one: `Stack<Outer, Inner>{o, i}.layer(s)` is
// `o.layer(i.layer(s))`.
template <class Outer, class Inner>
struct Stack {
  Outer outer;
  Inner inner;
  template <class S>
  auto layer(S s) const {
    return outer.layer(inner.layer(std::move(s)));
  }
};

template <class... Layers>
class ServiceBuilder {
 public:
  ServiceBuilder() = default;
  explicit ServiceBuilder(std::tuple<Layers...> layers)
      : layers_(std::move(layers)) {}

  // Adds `l` inside every layer added so far.
  template <class L>
  ServiceBuilder<Layers..., L> layer(L l) && {
    return ServiceBuilder<Layers..., L>(
        std::tuple_cat(std::move(layers_), std::tuple<L>(std::move(l))));
  }
  template <class L>
  ServiceBuilder<Layers..., L> layer(L l) const& {
    return ServiceBuilder<Layers..., L>(
        std::tuple_cat(layers_, std::tuple<L>(std::move(l))));
  }

  // Wraps `s` in every layer; the first layer added ends up outermost.
  template <class S>
  auto service(S s) const {
    return apply<0>(std::move(s));
  }

 private:
  template <std::size_t I, class S>
  auto apply(S s) const {
    if constexpr (I == sizeof...(Layers)) {
      return s;
    } else {
      return std::get<I>(layers_).layer(apply<I + 1>(std::move(s)));
    }
  }

  std::tuple<Layers...> layers_;
};

}  // namespace ferry
