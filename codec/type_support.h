#pragma once

// Small runtime helpers that idlgen-generated code calls (STYLE.md 2.8):
//
// - `Box<T>`: the value-semantics, nullable heap box behind `&` / `cpp.ref`
//   fields, so recursive types compile.
// - `reserve_bounded(c, n)`: reserves room for a decoded container without
//   trusting the wire count for more than `kMaxDecodeReserve` elements.
// - `print(os, v)` and `StructPrinter`: the text form generated
//   `operator<<`s produce, e.g. `Xtruct{string_thing: "x", byte_thing: 1}`.
//
// User code rarely spells these directly, except `Box`:
//
//   RecList list;                       // list.nextitem is empty
//   list.nextitem.emplace().item = 7;   // allocate and fill the next node
//   if (list.nextitem) std::cout << list.nextitem->item;
//   std::cout << list;                  // RecList{nextitem: RecList{...},
//   item: 0}

#include <algorithm>
#include <charconv>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "codec/protocol.h"

namespace ferry::codec {

// A heap-allocated `T` with value semantics: copying a Box copies the `T`,
// comparing compares the `T`s. Empty by default (a recursive type can't
// default-construct its own child), so it reads like `std::optional<T>`
// without needing `T` complete where the Box is declared.
//
// Ownership: the Box owns its `T`; references from `*box` live until the box
// is reset, assigned or destroyed.
template <class T>
class Box {
 public:
  Box() noexcept = default;
  Box(const T& value) : ptr_(std::make_unique<T>(value)) {}        // NOLINT
  Box(T&& value) : ptr_(std::make_unique<T>(std::move(value))) {}  // NOLINT
  Box(const Box& other)
      : ptr_(other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& other) {
    if (this != &other) {
      ptr_ = other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr;
    }
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  bool has_value() const noexcept { return ptr_ != nullptr; }
  explicit operator bool() const noexcept { return ptr_ != nullptr; }

  // Precondition for the accessors: `has_value()`.
  T& operator*() noexcept { return *ptr_; }
  const T& operator*() const noexcept { return *ptr_; }
  T* operator->() noexcept { return ptr_.get(); }
  const T* operator->() const noexcept { return ptr_.get(); }

  // Replaces the content with a value-initialized `T` and returns it.
  T& emplace() {
    ptr_ = std::make_unique<T>();
    return *ptr_;
  }
  void reset() noexcept { ptr_.reset(); }

  // Two empty boxes are equal; an empty box orders before a full one.
  friend bool operator==(const Box& a, const Box& b) {
    if (!a.ptr_ || !b.ptr_) return !a.ptr_ && !b.ptr_;
    return *a.ptr_ == *b.ptr_;
  }

 private:
  std::unique_ptr<T> ptr_;
};

// The most elements a decoded container reserves up front. The reader has
// checked the count against its limits and the bytes left, but a count of
// small elements can still ask for far more memory than its encoding
// occupies; beyond this, the container grows as elements actually arrive.
inline constexpr std::uint32_t kMaxDecodeReserve = 4096;

// Reserves `min(count, kMaxDecodeReserve)` elements in containers that
// support it (vector, unordered_*); a no-op for the others.
template <class C>
void reserve_bounded(C& c, std::uint32_t count) {
  if constexpr (requires { c.reserve(std::size_t{}); }) {
    c.reserve(std::min(count, kMaxDecodeReserve));
  }
}

// The value of key `k` in a map being decoded: a new entry, or the existing
// one when a key repeats on the wire (the last value read wins, as in
// Apache's generated code). Ordered maps get the end as a hint: encoders
// iterate them in order, so keys arrive sorted and each insertion costs two
// key comparisons (`try_emplace` with a hint makes four).
template <class M, class K>
typename M::mapped_type& map_slot(M& m, K&& k) {
  if constexpr (requires { typename M::key_compare; }) {
    return m
        .emplace_hint(m.end(), std::piecewise_construct,
                      std::forward_as_tuple(std::forward<K>(k)),
                      std::forward_as_tuple())
        ->second;
  } else {
    return m.try_emplace(std::forward<K>(k)).first->second;
  }
}

// Container sizes on the wire are 32-bit.
template <class C>
std::uint32_t wire_size(const C& c) noexcept {
  return static_cast<std::uint32_t>(c.size());
}

// Not `internal`: a `ferry::codec::internal` would hide `ferry::internal`
// from code in `ferry::codec`.
namespace type_support_internal {
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsBox : std::false_type {};
template <class T>
struct IsBox<Box<T>> : std::true_type {};

template <class T>
concept MapLike = requires(const T& m) {
  typename T::key_type;
  typename T::mapped_type;
  m.begin()->second;
};
template <class T>
concept SetLike = requires {
  typename T::key_type;
}
&&!MapLike<T>;
template <class T>
concept ListLike = requires(const T& c) {
  c.begin();
  c.end();
  typename T::value_type;
}
&&!SetLike<T> && !MapLike<T> && !std::is_convertible_v<T, std::string_view>;

void print_string(std::ostream& os, std::string_view s);
void print_double(std::ostream& os, double d);
void print_uuid(std::ostream& os, const Uuid& u);
}  // namespace type_support_internal

// Writes `v` in the generated printers' text form: strings quoted and
// escaped, `i8` as a number, bools as `true`/`false`, doubles in their
// shortest round-trip form, lists `[a, b]`, sets `{a, b}`, maps
// `{k: v, ...}`, empty optionals and boxes as `null`; anything else
// (enums, structs) through its `operator<<`.
template <class T>
void print(std::ostream& os, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_same_v<T, std::int8_t>) {
    os << static_cast<int>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    type_support_internal::print_double(os, v);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    type_support_internal::print_string(os, v);
  } else if constexpr (std::is_same_v<T, Uuid>) {
    type_support_internal::print_uuid(os, v);
  } else if constexpr (type_support_internal::IsOptional<T>::value ||
                       type_support_internal::IsBox<T>::value) {
    if (v) {
      print(os, *v);
    } else {
      os << "null";
    }
  } else if constexpr (type_support_internal::MapLike<T>) {
    os << '{';
    const char* sep = "";
    for (const auto& [key, value] : v) {
      os << sep;
      print(os, key);
      os << ": ";
      print(os, value);
      sep = ", ";
    }
    os << '}';
  } else if constexpr (type_support_internal::SetLike<T> ||
                       type_support_internal::ListLike<T>) {
    os << (type_support_internal::SetLike<T> ? '{' : '[');
    const char* sep = "";
    for (const auto& e : v) {
      os << sep;
      print(os, static_cast<const typename T::value_type&>(e));
      sep = ", ";
    }
    os << (type_support_internal::SetLike<T> ? '}' : ']');
  } else {
    os << v;
  }
}

// Prints `Name{field: value, ...}`; generated `operator<<`s call `field`
// once per present field, then `finish`.
class StructPrinter {
 public:
  StructPrinter(std::ostream& os, std::string_view name) : os_(os) {
    os_ << name << '{';
  }
  template <class T>
  void field(std::string_view name, const T& value) {
    os_ << sep_ << name << ": ";
    print(os_, value);
    sep_ = ", ";
  }
  std::ostream& finish() { return os_ << '}'; }

 private:
  std::ostream& os_;
  const char* sep_ = "";
};

namespace type_support_internal {

inline void print_string(std::ostream& os, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  os << '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        os << "\\\"";
        break;
      case '\\':
        os << "\\\\";
        break;
      case '\n':
        os << "\\n";
        break;
      case '\r':
        os << "\\r";
        break;
      case '\t':
        os << "\\t";
        break;
      default:
        // UTF-8 bytes (>= 0x80) pass through so unicode text stays
        // readable; other control bytes are escaped.
        if (u < 0x20 || u == 0x7f) {
          os << "\\x" << kHex[u >> 4] << kHex[u & 0xf];
        } else {
          os << c;
        }
    }
  }
  os << '"';
}

inline void print_double(std::ostream& os, double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  os << std::string_view(buf, ec == std::errc() ? end - buf : 0);
}

inline void print_uuid(std::ostream& os, const Uuid& u) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < u.bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) os << '-';
    os << kHex[u.bytes[i] >> 4] << kHex[u.bytes[i] & 0xf];
  }
}

}  // namespace type_support_internal
}  // namespace ferry::codec
