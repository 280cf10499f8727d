#pragma once

// `service_fn(f)`: a Service from a callable `f(Context&, Req)` returning
// `Task<Result<Resp>>` (a lambda coroutine, a function pointer, ...).
//
//   auto echo = service_fn([](Context&, std::string s) ->
//   Task<Result<std::string>> {
//     co_return s;
//   });
//
// The callable is stored by value and called as an lvalue; a lambda
// coroutine must not capture anything the returned Task outlives (capture
// nothing, or pointers to state that lives longer than the call).

#include <type_traits>
#include <utility>

#include "middleware/service.h"

namespace ferry {

namespace internal {
template <class T>
struct ResultValue;
template <class T>
struct ResultValue<Task<Result<T>>> {
  using type = T;
};
template <class F>
struct CallableTraits : CallableTraits<decltype(&F::operator())> {};
template <class C, class R, class Cx, class Req>
struct CallableTraits<R (C::*)(Cx, Req) const> {
  using Return = R;
  using Request = std::decay_t<Req>;
};
template <class C, class R, class Cx, class Req>
struct CallableTraits<R (C::*)(Cx, Req)>
    : CallableTraits<R (C::*)(Cx, Req) const> {};
template <class R, class Cx, class Req>
struct CallableTraits<R (*)(Cx, Req)> {
  using Return = R;
  using Request = std::decay_t<Req>;
};
}  // namespace internal

template <class F>
class ServiceFn {
 public:
  using Request = typename internal::CallableTraits<F>::Request;
  using Response = typename internal::ResultValue<
      typename internal::CallableTraits<F>::Return>::type;

  explicit ServiceFn(F f) : f_(std::move(f)) {}
  Task<Result<Response>> call(Context& cx, Request req) {
    return f_(cx, std::move(req));
  }

 private:
  F f_;
};

template <class F>
ServiceFn<F> service_fn(F f) {
  return ServiceFn<F>(std::move(f));
}

}  // namespace ferry
