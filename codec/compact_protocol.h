#pragma once

// Apache Thrift's compact protocol (THRIFT-110,
// doc/specs/thrift-compact-protocol.md): `CompactWriter<Out>` and
// `CompactReader<In>`, models of `ProtocolWriter` / `ProtocolReader`
// (codec/protocol.h).
//
// Wire format:
//   message  0x82, (type << 5) | version 1, varint seqid, string name
//   field    (id delta 1..15 << 4) | compact type, or compact type followed
//            by the id as a zigzag varint; stop: 0x00
//   bool     field: no value, the type nibble says it (1 = true,
//            2 = false); element: one byte, 1 = true, 2 = false (0 is read
//            as false too, as the spec words it)
//   i16/i32/i64  zigzag varints; byte: one byte
//   double   the IEEE-754 bits, little-endian
//   string   varint length, bytes (binary the same)
//   list/set (size << 4) | element type for size <= 14, else 0xF0 | type
//            and a varint size
//   map      0x00 when empty, else varint size, (key type << 4) | value type
//   uuid     16 bytes, compact type 0x0D
//
//   WriteBuffer buf;
//   CompactWriter<> w(buf);
//   value.write(w);
//   CompactReader<> r{SpanInput(buf.view())};
//   FERRY_RETURN_IF_ERROR(decoded.read(r));
//
// Field ids are written as deltas from the previous field of the same
// struct, so both sides keep one "last id" per open struct: an array of 64
// levels inside the object, spilling to the heap only beyond that.

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "codec/buffer.h"
#include "codec/decode_error.h"
#include "codec/internal/wire.h"
#include "codec/protocol.h"
#include "codec/protocol_fwd.h"
#include "runtime/status.h"

namespace ferry::codec {

// The compact protocol's 4-bit type codes.
enum class CompactType : std::uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
  kUuid = 13,
};

// TType -> compact type. Bool maps to kBoolTrue, which is what Apache's
// writers put in container headers (the reader takes 1 or 2). Stop, void
// and unassigned ids map to 0: generated code never passes them.
constexpr std::uint8_t compact_type_of(TType type) noexcept {
  constexpr std::uint8_t kTable[17] = {0, 0, 1, 3,  7,  0,  4, 0, 5,
                                       0, 6, 8, 12, 11, 10, 9, 13};
  const auto t = static_cast<std::uint8_t>(type);
  return t < 17 ? kTable[t] : 0;
}

// Writes the compact protocol into `Out` (a `ByteOutput`, usually
// `WriteBuffer`). Holds a pointer to the output, which must outlive the
// writer. Never fails. A writer carries the field-id state of the structs
// it is inside, so use one writer per message (or per top-level value) and
// call begin/end in matching pairs, as generated code does.
template <class Out>
class CompactWriter {
 public:
  using Reader = CompactReader<>;
  using Output = Out;
  static constexpr ProtocolId kProtocolId = ProtocolId::kCompact;
  static constexpr std::uint8_t kProtocolIdByte = 0x82;
  static constexpr std::uint8_t kVersion = 1;
  static constexpr std::uint8_t kVersionMask = 0x1f;
  static constexpr int kTypeShift = 5;

  explicit CompactWriter(Out& out) noexcept : out_(&out) {}
  Out& output() noexcept { return *out_; }

  void write_message_begin(std::string_view name, MessageType type,
                           std::int32_t seqid) {
    char* p = out_->ensure(2 + kMaxVarint32 + kWordSlack);
    internal::store_word(
        p, kProtocolIdByte |
               (kVersion | (static_cast<std::uint8_t>(type) << kTypeShift))
                   << 8);
    // The seqid is a plain (not zigzag) varint of its 32 bits.
    char* end = put_varint(p + 2, static_cast<std::uint32_t>(seqid));
    out_->commit(static_cast<std::size_t>(end - p));
    write_string(name);
  }
  void write_message_end() {}
  void write_struct_begin(std::string_view /*name*/) {
    last_ids_.push(last_id_);
    last_id_ = 0;
  }
  void write_struct_end() { last_id_ = last_ids_.pop(); }
  // A bool field's header is written by the `write_bool` that follows,
  // because the value goes into the header's type nibble.
  void write_field_begin(std::string_view /*name*/, TType type,
                         std::int16_t id) {
    if (type == TType::kBool) {
      pending_bool_id_ = id;
      bool_pending_ = true;
      return;
    }
    write_field_header(compact_type_of(type), id);
  }
  void write_field_end() {}
  void write_field_stop() { write_u8(0); }
  void write_list_begin(TType element, std::uint32_t size) {
    char* p = out_->ensure(1 + kMaxVarint32 + kWordSlack);
    const std::uint8_t type = compact_type_of(element);
    if (size <= 14) {
      internal::store_word(p, (size << 4) | type);
      out_->commit(1);
    } else {
      internal::store_word(p, 0xf0 | type);
      out_->commit(static_cast<std::size_t>(put_varint(p + 1, size) - p));
    }
  }
  void write_list_end() {}
  void write_set_begin(TType element, std::uint32_t size) {
    write_list_begin(element, size);
  }
  void write_set_end() {}
  void write_map_begin(TType key, TType value, std::uint32_t size) {
    if (size == 0) {
      write_u8(0);
      return;
    }
    char* p = out_->ensure(kMaxVarint32 + 1 + kWordSlack);
    char* end = put_varint(p, size);
    internal::store_word(end,
                         (compact_type_of(key) << 4) | compact_type_of(value));
    out_->commit(static_cast<std::size_t>(end + 1 - p));
  }
  void write_map_end() {}

  void write_bool(bool v) {
    const auto type = static_cast<std::uint8_t>(v ? CompactType::kBoolTrue
                                                  : CompactType::kBoolFalse);
    if (bool_pending_) {
      bool_pending_ = false;
      write_field_header(type, pending_bool_id_);
    } else {
      write_u8(type);
    }
  }
  void write_byte(std::int8_t v) { write_u8(static_cast<std::uint8_t>(v)); }
  void write_i16(std::int16_t v) { write_varint32(internal::zigzag32(v)); }
  void write_i32(std::int32_t v) { write_varint32(internal::zigzag32(v)); }
  [[gnu::always_inline]] void write_i64(std::int64_t v) {
    char* p = out_->ensure(kMaxVarint64 + kWordSlack);
    out_->commit(
        static_cast<std::size_t>(put_varint(p, internal::zigzag64(v)) - p));
  }
  void write_double(double v) {
    internal::store_word(out_->ensure(8), std::bit_cast<std::uint64_t>(v));
    out_->commit(8);
  }
  [[gnu::always_inline]] void write_string(std::string_view s) {
    const std::size_t n = s.size();
    char* p = out_->ensure(kMaxVarint32 + n + kWordSlack);
    char* body = put_varint(p, static_cast<std::uint32_t>(n));
    internal::copy_to_output(body, s.data(), n);
    out_->commit(static_cast<std::size_t>(body - p) + n);
  }
  void write_binary(std::string_view b) { write_string(b); }
  void write_uuid(const Uuid& u) { out_->append(u.bytes.data(), 16); }

 private:
  static constexpr std::size_t kMaxVarint32 = 5;
  static constexpr std::size_t kMaxVarint64 = 10;

  // Every store is an 8-byte `internal::store_word` (it says why), so each
  // `ensure` asks for this much beyond the bytes it will commit.
  static constexpr std::size_t kWordSlack = 8;

  // By a value's bit width: its varint length, and the continuation bits
  // (0x80 in every byte but the last). Tables, because computing them
  // (a division by 7, a variable shift) was the longest step of the
  // encoder's critical path.
  static constexpr auto kVarintLength = [] {
    std::array<std::uint8_t, 65> t{};
    for (int bits = 0; bits <= 64; ++bits)
      t[bits] = static_cast<std::uint8_t>(bits == 0 ? 1 : (bits + 6) / 7);
    return t;
  }();
  static constexpr auto kContinuation = [] {
    std::array<std::uint64_t, 65> t{};
    for (int bits = 0; bits <= 64; ++bits) {
      const int len = bits == 0 ? 1 : (bits + 6) / 7;
      for (int i = 0; i < len - 1 && i < 8; ++i) t[bits] |= 0x80ull << (8 * i);
    }
    return t;
  }();

  // Stores `v` as a varint at `p` (room for its maximum size plus
  // kWordSlack ensured); returns the end. Values below 2^56 (up to 8 bytes)
  // are spread into 7-bit groups without a per-byte branch and go out in
  // one word store.
  [[gnu::always_inline]] static char* put_varint(char* p,
                                                 std::uint64_t v) noexcept {
    if (v < 0x80) {
      internal::store_word(p, v);
      return p + 1;
    }
    if (v < (std::uint64_t{1} << 56)) [[likely]] {
      const int bits = std::bit_width(v);
      // The 7-bit groups, one per byte, in three halving steps: 28-bit
      // halves into 32-bit lanes, 14-bit halves into 16-bit lanes, 7-bit
      // halves into bytes.
      std::uint64_t word = (v & 0xfffffff) | (v & 0xfffffff0000000) << 4;
      word = (word & 0x00003fff00003fff) | (word & 0x0fffc0000fffc000) << 2;
      word = (word & 0x007f007f007f007f) | (word & 0x3f803f803f803f80) << 1;
      internal::store_word(p, word | kContinuation[bits]);
      return p + kVarintLength[bits];  // 2 to 8
    }
    // 9 or 10 bytes.
    std::uint64_t word = 0;
    for (int i = 0; i < 8; ++i) {
      word |= ((v & 0x7f) | 0x80) << (8 * i);
      v >>= 7;
    }
    internal::store_word(p, word);
    if (v < 0x80) {
      internal::store_word(p + 8, v);
      return p + 9;
    }
    internal::store_word(p + 8, ((v & 0x7f) | 0x80) | (v >> 7) << 8);
    return p + 10;
  }
  [[gnu::always_inline]] void write_varint32(std::uint32_t v) {
    char* p = out_->ensure(kMaxVarint32 + kWordSlack);
    out_->commit(static_cast<std::size_t>(put_varint(p, v) - p));
  }
  [[gnu::always_inline]] void write_u8(std::uint8_t v) {
    internal::store_word(out_->ensure(1 + kWordSlack), v);
    out_->commit(1);
  }
  [[gnu::always_inline]] void write_field_header(std::uint8_t type,
                                                 std::int16_t id) {
    const int delta = int{id} - int{last_id_};
    if (delta > 0 && delta <= 15) {
      write_u8(static_cast<std::uint8_t>((delta << 4) | type));
    } else {
      char* p = out_->ensure(1 + kMaxVarint32 + kWordSlack);
      internal::store_word(p, type);
      out_->commit(static_cast<std::size_t>(
          put_varint(p + 1, internal::zigzag32(id)) - p));
    }
    last_id_ = id;
  }

  Out* out_;
  std::int16_t last_id_ = 0;
  std::int16_t pending_bool_id_ = 0;
  bool bool_pending_ = false;
  internal::FieldIdStack last_ids_;
};

// Reads the compact protocol from `In` (a `ByteInput`: `SpanInput` or
// `ChainInput`), which the reader owns by value. Bytes that string views
// point to belong to the input (see codec/buffer.h).
//
// Every read returns `Status`: OK, or `kInvalidArgument` with the reason
// (truncation, a limit, an unknown type, an over-long varint, a bad
// header). After an error the reader's position is unspecified; discard it.
//
// An empty map carries no key/value types on the wire: `read_map_begin`
// then reports both as `TType::kStop` with size 0.
template <class In>
class CompactReader {
 public:
  using Writer = CompactWriter<>;
  using Input = In;
  static constexpr ProtocolId kProtocolId = ProtocolId::kCompact;

  explicit CompactReader(In input, const DecodeLimits& limits = {})
      : in_(std::move(input)), limits_(limits), depth_(limits.max_depth) {}

  In& input() noexcept { return in_; }
  const In& input() const noexcept { return in_; }
  // Bytes not consumed yet.
  std::size_t remaining() const noexcept { return in_.remaining(); }
  const DecodeLimits& limits() const noexcept { return limits_; }

  Status read_message_begin(std::string& name, MessageType& type,
                            std::int32_t& seqid) {
    return message_begin(name, type, seqid);
  }
  // The same with `name` a view of the input (see read_string_view).
  Status read_message_begin(std::string_view& name, MessageType& type,
                            std::int32_t& seqid) {
    return message_begin(name, type, seqid);
  }
  Status read_message_end() { return absl::OkStatus(); }
  Status read_struct_begin() {
    FERRY_RETURN_IF_ERROR(depth_.enter());
    last_ids_.push(last_id_);
    last_id_ = 0;
    return absl::OkStatus();
  }
  Status read_struct_end() {
    depth_.leave();
    last_id_ = last_ids_.pop();
    return absl::OkStatus();
  }
  // Inline for the common header (an id delta of 1-15 and a non-bool
  // type, or stop); long-form ids, bools and errors take the slow path.
  [[gnu::always_inline]] Status read_field_begin(TType& type,
                                                 std::int16_t& id) {
    if (in_.contiguous() != 0) [[likely]] {
      const auto header = static_cast<std::uint8_t>(*in_.data());
      const std::uint8_t compact = header & 0x0f;
      if (compact == 0) {
        in_.advance(1);
        type = TType::kStop;
        return absl::OkStatus();
      }
      // Compact types 1 and 2 are the bools; 14 and 15 are invalid.
      if ((header >> 4) != 0 && compact > 2 && compact < 14) [[likely]] {
        in_.advance(1);
        type = ttype_of(compact);
        last_id_ = static_cast<std::int16_t>(last_id_ + (header >> 4));
        id = last_id_;
        return absl::OkStatus();
      }
    }
    return read_field_begin_slow(type, id);
  }
  Status read_field_end() { return absl::OkStatus(); }
  Status read_list_begin(TType& element, std::uint32_t& size) {
    return read_list_header("list", element, size);
  }
  Status read_list_end() {
    depth_.leave();
    return absl::OkStatus();
  }
  Status read_set_begin(TType& element, std::uint32_t& size) {
    return read_list_header("set", element, size);
  }
  Status read_set_end() { return read_list_end(); }
  Status read_map_begin(TType& key, TType& value, std::uint32_t& size);
  Status read_map_end() { return read_list_end(); }

  // A bool field's value came with its header; an element's is one byte.
  Status read_bool(bool& v) {
    if (bool_pending_) {
      bool_pending_ = false;
      v = pending_bool_;
      return absl::OkStatus();
    }
    std::uint8_t b;
    FERRY_RETURN_IF_ERROR(internal::read_bytes<1>(in_, &b));
    if (b > 2) [[unlikely]]
      return invalid_value_error("invalid compact bool", b);
    v = b == static_cast<std::uint8_t>(CompactType::kBoolTrue);
    return absl::OkStatus();
  }
  Status read_byte(std::int8_t& v) { return internal::read_bytes<1>(in_, &v); }
  Status read_i16(std::int16_t& v) {
    std::uint32_t raw;
    FERRY_RETURN_IF_ERROR(read_varint32(raw));
    // Like Apache, an i16 is an i32 on the wire, truncated on the way in.
    v = static_cast<std::int16_t>(internal::unzigzag32(raw));
    return absl::OkStatus();
  }
  Status read_i32(std::int32_t& v) {
    std::uint32_t raw;
    FERRY_RETURN_IF_ERROR(read_varint32(raw));
    v = internal::unzigzag32(raw);
    return absl::OkStatus();
  }
  Status read_i64(std::int64_t& v) {
    std::uint64_t raw;
    FERRY_RETURN_IF_ERROR(read_varint64(raw));
    v = internal::unzigzag64(raw);
    return absl::OkStatus();
  }
  Status read_double(double& v) {
    std::uint64_t bits;
    FERRY_RETURN_IF_ERROR(internal::read_bytes<8>(in_, &bits));
    v = std::bit_cast<double>(internal::little_endian(bits));
    return absl::OkStatus();
  }
  Status read_string(std::string& s) { return read_bytes_as("string", s); }
  Status read_binary(std::string& s) { return read_bytes_as("binary", s); }
  [[gnu::always_inline]] Status read_string_view(std::string_view& s) {
    std::uint32_t n;
    FERRY_RETURN_IF_ERROR(read_length("string", n));
    s = in_.view(n);
    return absl::OkStatus();
  }
  Status read_uuid(Uuid& u) {
    return internal::read_bytes<16>(in_, u.bytes.data());
  }

  // Skips one value of type `type`, however deeply nested, without
  // allocating. The recursion is bounded by `max_depth`, because every
  // struct and container level counts against it as in a normal read.
  Status skip(TType type);

 private:
  // `Name`: std::string or std::string_view.
  template <class Name>
  Status message_begin(Name& name, MessageType& type, std::int32_t& seqid);
  static constexpr std::size_t kMaxVarint32 = 5;
  static constexpr std::size_t kMaxVarint64 = 10;

  // Compact type -> TType; kInvalid for 14 and 15.
  static constexpr std::uint8_t kInvalid = 0xff;
  static TType ttype_of(std::uint8_t compact) noexcept {
    static constexpr std::uint8_t kTable[16] = {
        0, 2, 2, 3, 6, 8, 10, 4, 11, 15, 14, 13, 12, 16, kInvalid, kInvalid};
    return static_cast<TType>(kTable[compact & 0x0f]);
  }
  // Smallest encoding of one value of `type` (varints are at least a
  // byte); 0 for stop / invalid.
  static std::uint32_t min_size(TType type) noexcept {
    static constexpr std::uint8_t kMinSize[17] = {0, 0, 1, 1, 8, 0, 1, 0, 1,
                                                  0, 1, 1, 1, 1, 1, 1, 16};
    const auto t = static_cast<std::uint8_t>(type);
    return t < 17 ? kMinSize[t] : 0;
  }

  // Varints. The fast path decodes from the current slice without a bounds
  // check per byte when the longest encoding fits in it.
  template <class U, std::size_t kMaxBytes>
  Status read_varint(U& v) {
    if (in_.contiguous() >= kMaxBytes) [[likely]] {
      const auto* p = reinterpret_cast<const std::uint8_t*>(in_.data());
      U result = 0;
      for (std::size_t i = 0; i < kMaxBytes; ++i) {
        const U b = p[i];
        result |= (b & 0x7f) << (7 * i);
        if (b < 0x80) {
          in_.advance(i + 1);
          v = result;
          return absl::OkStatus();
        }
      }
      return varint_too_long(kMaxBytes);
    }
    return read_varint_slow<U, kMaxBytes>(v);
  }
  template <class U, std::size_t kMaxBytes>
  [[gnu::noinline]] Status read_varint_slow(U& v);
  [[gnu::cold, gnu::noinline]] static Status varint_too_long(
      std::size_t max_bytes);
  Status read_varint32(std::uint32_t& v) {
    return read_varint<std::uint32_t, kMaxVarint32>(v);
  }
  Status read_varint64(std::uint64_t& v) {
    return read_varint<std::uint64_t, kMaxVarint64>(v);
  }

  [[gnu::always_inline]] Status read_length(std::string_view what,
                                            std::uint32_t& n) {
    FERRY_RETURN_IF_ERROR(read_varint32(n));
    // Lengths are i32 on the wire (see read_list_header).
    if (n > static_cast<std::uint32_t>(
                std::numeric_limits<std::int32_t>::max())) [[unlikely]]
      return negative_size_error(what, static_cast<std::int32_t>(n));
    return internal::check_length(in_, n, limits_.max_string_length, what);
  }
  Status read_bytes_as(std::string_view what, std::string& s) {
    std::uint32_t n;
    FERRY_RETURN_IF_ERROR(read_length(what, n));
    internal::read_into_string(in_, s, n);
    return absl::OkStatus();
  }
  Status read_list_header(std::string_view what, TType& element,
                          std::uint32_t& size);
  [[gnu::noinline]] Status read_field_begin_slow(TType& type, std::int16_t& id);
  Status skip_bytes(std::size_t n) {
    if (in_.remaining() < n) [[unlikely]]
      return truncated_error(n, in_.remaining());
    in_.skip(n);
    return absl::OkStatus();
  }

  In in_;
  DecodeLimits limits_;
  internal::DepthCounter depth_;
  std::int16_t last_id_ = 0;
  bool bool_pending_ = false;
  bool pending_bool_ = false;
  internal::FieldIdStack last_ids_;
};

}  // namespace ferry::codec

#include "codec/compact_protocol-inl.h"  // IWYU pragma: export
