#pragma once

// Pieces the binary and compact protocols share: byte order, zigzag, the
// readers' bounds and limit checks, and the compact protocol's field-id
// stack. Not API; included by the protocol headers.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "codec/decode_error.h"
#include "codec/protocol.h"
#include "runtime/status.h"

namespace ferry::internal {

// ---- Byte order ----------------------------------------------------------

template <class T>
constexpr T byteswap(T v) noexcept {
  if constexpr (sizeof(T) == 1) {
    return v;
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<T>(__builtin_bswap16(static_cast<std::uint16_t>(v)));
  } else if constexpr (sizeof(T) == 4) {
    return static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(v)));
  } else {
    static_assert(sizeof(T) == 8);
    return static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(v)));
  }
}

// Unsigned integer `v` in big-endian byte order (and back: it is its own
// inverse).
template <class T>
constexpr T big_endian(T v) noexcept {
  if constexpr (std::endian::native == std::endian::little) return byteswap(v);
  return v;
}
template <class T>
constexpr T little_endian(T v) noexcept {
  if constexpr (std::endian::native == std::endian::big) return byteswap(v);
  return v;
}

// The 4 bytes at `p` (any alignment) as a big-endian u32.
inline std::uint32_t load_be32(const void* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return big_endian(v);
}

// Parses a varint of at most `max_bytes` from [d, d + n), the way
// CompactReader does (bits past the type's width are dropped). Returns the
// bytes it takes, or 0 when no terminating byte is among the first
// min(n, max_bytes): more bytes are needed if n < max_bytes, else it is too
// long. For code that looks at raw bytes before or instead of a reader.
template <class U>
std::size_t parse_varint(const std::uint8_t* d, std::size_t n,
                         std::size_t max_bytes, U& v) noexcept {
  const std::size_t end = std::min(n, max_bytes);
  U result = 0;
  for (std::size_t i = 0; i < end; ++i) {
    result |= static_cast<U>(d[i] & 0x7f) << (7 * i);
    if (d[i] < 0x80) {
      v = result;
      return i + 1;
    }
  }
  return 0;
}

// Stores 8 bytes at `p` (any alignment): `word`'s bytes from the least
// significant up, so a writer composes what it writes in a register and
// commits only the bytes it means (1 to 8); the rest are overwritten by the
// next write. A writer needs `ensure(8)` for any write that goes through
// here.
//
// Why not memcpy: a memcpy (or any char store) may alias anything, so the
// compiler reloads the output cursor from memory after every store and
// each write waits on the previous one. A `uint64_t`-typed store cannot
// alias the cursor (a pointer), so a run of writes keeps it in a register.
// Every such store uses this one type, so overlapping ones stay in program
// order.
inline void store_word(char* p, std::uint64_t word) noexcept {
  struct [[gnu::packed]] Unaligned {
    std::uint64_t value;
  };
  reinterpret_cast<Unaligned*>(p)->value = little_endian(word);
}

// Loads 8 bytes from `p` (any alignment) as `store_word` stores them.
inline std::uint64_t load_word(const char* p) noexcept {
  struct [[gnu::packed]] Unaligned {
    std::uint64_t value;
  };
  return little_endian(reinterpret_cast<const Unaligned*>(p)->value);
}

// Copies `n` bytes to `dst`, which has room for at least `n + 8`. Strings
// of up to 64 bytes (most field values) are copied inline with
// `store_word`, so the cursor stays in a register; longer ones by memcpy.
// Reads nothing outside [src, src + n).
inline void copy_to_output(char* dst, const char* src, std::size_t n) noexcept {
  if (n > 64) {
    std::memcpy(dst, src, n);
  } else if (n >= 8) {
    for (std::size_t i = 0; i + 8 < n; i += 8)
      store_word(dst + i, load_word(src + i));
    store_word(dst + n - 8, load_word(src + n - 8));
  } else if (n >= 4) {
    std::uint32_t lo, hi;  // overlapping halves
    std::memcpy(&lo, src, 4);
    std::memcpy(&hi, src + n - 4, 4);
    store_word(dst, little_endian(lo) | std::uint64_t{little_endian(hi)}
                                            << (8 * (n - 4)));
  } else if (n != 0) {
    const auto byte = [src](std::size_t i) {
      return std::uint64_t{static_cast<unsigned char>(src[i])} << (8 * i);
    };
    store_word(dst, byte(0) | byte(n / 2) | byte(n - 1));
  }
}

// ---- Zigzag (compact protocol) -------------------------------------------

constexpr std::uint32_t zigzag32(std::int32_t n) noexcept {
  return (static_cast<std::uint32_t>(n) << 1) ^
         static_cast<std::uint32_t>(n >> 31);
}
constexpr std::uint64_t zigzag64(std::int64_t n) noexcept {
  return (static_cast<std::uint64_t>(n) << 1) ^
         static_cast<std::uint64_t>(n >> 63);
}
constexpr std::int32_t unzigzag32(std::uint32_t n) noexcept {
  return static_cast<std::int32_t>((n >> 1) ^ (~(n & 1) + 1));
}
constexpr std::int64_t unzigzag64(std::uint64_t n) noexcept {
  return static_cast<std::int64_t>((n >> 1) ^ (~(n & 1) + 1));
}

// ---- Reader helpers ------------------------------------------------------

// Slow path of `read_bytes`: the value is not within the current slice.
// Not marked cold: a ChainInput takes it at every slice boundary.
template <class In>
[[gnu::noinline]] Status read_bytes_slow(In& in, void* dst, std::size_t n) {
  if (in.remaining() < n) [[unlikely]]
    return codec::truncated_error(n, in.remaining());
  in.copy_out(dst, n);
  return absl::OkStatus();
}

// Copies the next N bytes to `dst`: one bounds check when they are in the
// current slice.
template <std::size_t N, class In>
inline Status read_bytes(In& in, void* dst) {
  if (in.contiguous() >= N) [[likely]] {
    std::memcpy(dst, in.data(), N);
    in.advance(N);
    return absl::OkStatus();
  }
  return read_bytes_slow(in, dst, N);
}

// Checks a string/binary length against the limit and the bytes left,
// before anything is allocated for it.
template <class In>
inline Status check_length(const In& in, std::uint64_t n, std::uint32_t limit,
                           std::string_view what) {
  if (n > limit) [[unlikely]]
    return codec::limit_error(what, n, limit);
  if (n > in.remaining()) [[unlikely]]
    return codec::truncated_error(n, in.remaining());
  return absl::OkStatus();
}

// Checks an element count against the limit, and count times the smallest
// encoding of one element against the bytes left, so a hostile count cannot
// make the caller reserve memory the input could never fill.
template <class In>
inline Status check_count(const In& in, std::uint64_t count,
                          std::uint32_t min_element_bytes, std::uint32_t limit,
                          std::string_view what) {
  if (count > limit) [[unlikely]]
    return codec::limit_error(what, count, limit);
  const std::uint64_t needed = count * min_element_bytes;
  if (needed > in.remaining()) [[unlikely]]
    return codec::truncated_error(needed, in.remaining());
  return absl::OkStatus();
}

// Reads `n` bytes (n <= in.remaining(), already checked) into `out`.
template <class In>
inline void read_into_string(In& in, std::string& out, std::size_t n) {
  if (in.contiguous() >= n) [[likely]] {
    if (n > out.capacity()) {
      // Needs a new allocation anyway: construct in place. Cheaper than
      // `assign` (an out-of-line general replace) or moving a temporary in
      // (whose 16-byte reload stalls on store forwarding). noexcept: an
      // allocation failure terminates instead of leaving `out` destroyed.
      [&]() noexcept {
        out.~basic_string();
        ::new (static_cast<void*>(&out)) std::string(in.data(), n);
      }();
    } else {
      out.assign(in.data(), n);
    }
    in.advance(n);
  } else {
    out.resize(n);
    in.copy_out(out.data(), n);
  }
}

// Nesting counter shared by the readers: structs and containers each count
// one level.
class DepthCounter {
 public:
  explicit DepthCounter(std::uint32_t limit) noexcept : limit_(limit) {}
  Status enter() {
    if (++depth_ > limit_) [[unlikely]]
      return codec::depth_error(limit_);
    return absl::OkStatus();
  }
  void leave() noexcept {
    if (depth_ > 0) --depth_;
  }
  std::uint32_t depth() const noexcept { return depth_; }

 private:
  std::uint32_t depth_ = 0;
  std::uint32_t limit_;
};

// ---- Compact field-id stack ----------------------------------------------

// The last field id of each enclosing struct (compact field headers are
// deltas from it). The first kInline levels live in the object, so normal
// nesting never allocates; deeper levels (a writer has no depth limit, a
// reader may be configured above kInline) spill to a vector.
class FieldIdStack {
 public:
  static constexpr std::uint32_t kInline = 64;

  [[gnu::always_inline]] void push(std::int16_t id) {
    if (size_ < kInline) [[likely]] {
      inline_[size_++] = id;
    } else {
      push_spilled(id);
    }
  }
  // Returns the id pushed last; 0 when empty (an unbalanced end).
  std::int16_t pop() noexcept {
    if (size_ == 0) [[unlikely]]
      return 0;
    --size_;
    if (size_ < kInline) [[likely]]
      return inline_[size_];
    const std::int16_t id = spill_.back();
    spill_.pop_back();
    return id;
  }
  std::uint32_t size() const noexcept { return size_; }
  void clear() noexcept {
    size_ = 0;
    spill_.clear();
  }

 private:
  // Out of line: only nesting deeper than kInline structs gets here.
  [[gnu::noinline]] void push_spilled(std::int16_t id) {
    spill_.push_back(id);
    ++size_;
  }

  std::array<std::int16_t, kInline> inline_;
  std::uint32_t size_ = 0;
  std::vector<std::int16_t> spill_;
};

// Skips the rest of a struct through the reader's own calls, so depth limits
// and field-header decoding apply exactly as in a normal read. Both readers'
// `skip` use it and the two helpers below for nested values.
template <class Reader>
Status skip_struct(Reader& r) {
  FERRY_RETURN_IF_ERROR(r.read_struct_begin());
  for (;;) {
    codec::TType field_type;
    std::int16_t id;
    FERRY_RETURN_IF_ERROR(r.read_field_begin(field_type, id));
    if (field_type == codec::TType::kStop) break;
    FERRY_RETURN_IF_ERROR(r.skip(field_type));
  }
  return r.read_struct_end();
}

// Skips a list or set (`type`) through the reader's header calls, so a
// limit error names the right kind; `skip_elements(element, count)` is the
// reader's own element loop (each protocol knows which elements have a
// fixed size it can skip in one step).
template <class Reader, class SkipElements>
Status skip_list_or_set(Reader& r, codec::TType type,
                        SkipElements skip_elements) {
  codec::TType element;
  std::uint32_t count;
  FERRY_RETURN_IF_ERROR(type == codec::TType::kSet
                            ? r.read_set_begin(element, count)
                            : r.read_list_begin(element, count));
  FERRY_RETURN_IF_ERROR(skip_elements(element, count));
  return r.read_list_end();
}

template <class Reader>
Status skip_map(Reader& r) {
  codec::TType key, value;
  std::uint32_t count;
  FERRY_RETURN_IF_ERROR(r.read_map_begin(key, value, count));
  for (std::uint32_t i = 0; i < count; ++i) {
    FERRY_RETURN_IF_ERROR(r.skip(key));
    FERRY_RETURN_IF_ERROR(r.skip(value));
  }
  return r.read_map_end();
}

}  // namespace ferry::internal
