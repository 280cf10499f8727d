#pragma once

// `Outcome<T, Es...>`: what a Thrift function with `throws` produces — its
// return value or one of its declared exceptions — as a value, never a
// throw. Handlers return it; generated clients hand it back inside the
// call's `Result` (transport and framework failures stay in the Status).
//
//   // service Calc { i32 div(1: i32 a, 2: i32 b) throws (1: DivByZero e) }
//   Task<Outcome<int32_t, DivByZero>> div(int32_t a, int32_t b) {
//     if (b == 0) co_return DivByZero{.message = "b is 0"};
//     co_return a / b;
//   }
//
//   Result<Outcome<int32_t, DivByZero>> r = co_await client.div(1, 0);
//   if (!r.ok()) { /* transport or TApplicationException */ }
//   else if (const DivByZero* e = r->exception<DivByZero>()) { ... }
//   else use(r->value());

#include <cstddef>
#include <type_traits>
#include <utility>
#include <variant>

namespace ferry::thrift {

template <class T, class... Es>
class Outcome {
 public:
  // `void` functions hold std::monostate as their value.
  using Value = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

  // Success (void functions), or a value-initialised T.
  Outcome() = default;
  // Success with `value`.
  template <class U = Value>
  requires(!std::is_void_v<T> && std::is_constructible_v<Value, U&&> &&
           !std::is_same_v<std::remove_cvref_t<U>, Outcome>)
      Outcome(U&& value)  // NOLINT: implicit, so handlers `co_return value;`
      : v_(std::in_place_index<0>, std::forward<U>(value)) {}
  // One of the declared exceptions.
  template <class E>
  requires(std::is_same_v<std::remove_cvref_t<E>, Es> || ...)
      Outcome(E&& e)  // NOLINT: implicit, so handlers `co_return Boom{...};`
      : v_(std::in_place_type<std::remove_cvref_t<E>>, std::forward<E>(e)) {}

  // True when the function returned normally.
  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  // The return value; only when has_value() (checked by std::get).
  decltype(auto) value() & { return std::get<0>(v_); }
  decltype(auto) value() const& { return std::get<0>(v_); }
  decltype(auto) value() && { return std::get<0>(std::move(v_)); }

  // The exception of type E, or nullptr if the outcome is something else.
  template <class E>
  const E* exception() const noexcept {
    return v_.index() == 0 ? nullptr : std::get_if<E>(&v_);
  }
  template <class E>
  E* exception() noexcept {
    return v_.index() == 0 ? nullptr : std::get_if<E>(&v_);
  }

  // 0 for the value, 1 + i for the i-th declared exception.
  std::size_t index() const noexcept { return v_.index(); }
  // For std::visit.
  const std::variant<Value, Es...>& variant() const& noexcept { return v_; }
  std::variant<Value, Es...>& variant() & noexcept { return v_; }

  friend bool operator==(const Outcome&, const Outcome&) = default;

 private:
  std::variant<Value, Es...> v_;
};

}  // namespace ferry::thrift
