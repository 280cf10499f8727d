#pragma once

// Apache Thrift's binary protocol: `BinaryWriter<Out>` and
// `BinaryReader<In>`, models of `ProtocolWriter` / `ProtocolReader`
// (codec/protocol.h).
//
// Wire format (all integers big-endian):
//   message  strict:   i32 0x80010000 | type, string name, i32 seqid
//            old form: string name, byte type, i32 seqid (read only)
//   field    byte type, i16 id            stop: byte 0
//   list/set byte element type, i32 size
//   map      byte key type, byte value type, i32 size
//   bool     byte 1/0 (any non-zero byte reads as true)
//   double   the IEEE-754 bits as i64
//   string   i32 length, bytes (binary the same)
//   uuid     16 bytes
//
//   WriteBuffer buf;
//   BinaryWriter<> w(buf);
//   w.write_i32(42);
//   BinaryReader<> r{SpanInput(buf.view())};
//   std::int32_t v;  FERRY_RETURN_IF_ERROR(r.read_i32(v));
//
// The writer always writes the strict (versioned) message header. The
// reader accepts both forms unless constructed with `strict_read = true`,
// as Apache's TBinaryProtocol does by default.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "codec/buffer.h"
#include "codec/decode_error.h"
#include "codec/internal/wire.h"
#include "codec/protocol.h"
#include "codec/protocol_fwd.h"
#include "runtime/status.h"

namespace ferry::codec {

// Writes the binary protocol into `Out` (a `ByteOutput`, usually
// `WriteBuffer`). Holds a pointer to the output, which must outlive the
// writer. Never fails; every call is inline and appends with one capacity
// check.
template <class Out>
class BinaryWriter {
 public:
  using Reader = BinaryReader<>;
  using Output = Out;
  static constexpr ProtocolId kProtocolId = ProtocolId::kBinary;
  // The strict header's high half: the sign bit plus version 1.
  static constexpr std::uint32_t kVersion1 = 0x80010000u;

  explicit BinaryWriter(Out& out) noexcept : out_(&out) {}
  Out& output() noexcept { return *out_; }

  void write_message_begin(std::string_view name, MessageType type,
                           std::int32_t seqid) {
    write_u32(kVersion1 | static_cast<std::uint32_t>(type));
    write_string(name);
    write_i32(seqid);
  }
  void write_message_end() {}
  void write_struct_begin(std::string_view /*name*/) {}
  void write_struct_end() {}
  void write_field_begin(std::string_view /*name*/, TType type,
                         std::int16_t id) {
    put(3, std::uint64_t{static_cast<std::uint8_t>(type)} |
               std::uint64_t{swapped(static_cast<std::uint16_t>(id))} << 8);
  }
  void write_field_end() {}
  void write_field_stop() { write_u8(0); }
  void write_list_begin(TType element, std::uint32_t size) {
    put(5, std::uint64_t{static_cast<std::uint8_t>(element)} |
               std::uint64_t{swapped(size)} << 8);
  }
  void write_list_end() {}
  void write_set_begin(TType element, std::uint32_t size) {
    write_list_begin(element, size);
  }
  void write_set_end() {}
  void write_map_begin(TType key, TType value, std::uint32_t size) {
    put(6, std::uint64_t{static_cast<std::uint8_t>(key)} |
               std::uint64_t{static_cast<std::uint8_t>(value)} << 8 |
               std::uint64_t{swapped(size)} << 16);
  }
  void write_map_end() {}

  void write_bool(bool v) { write_u8(v ? 1 : 0); }
  void write_byte(std::int8_t v) { write_u8(static_cast<std::uint8_t>(v)); }
  void write_i16(std::int16_t v) { write_fixed(static_cast<std::uint16_t>(v)); }
  void write_i32(std::int32_t v) { write_u32(static_cast<std::uint32_t>(v)); }
  void write_i64(std::int64_t v) { write_fixed(static_cast<std::uint64_t>(v)); }
  void write_double(double v) { write_fixed(std::bit_cast<std::uint64_t>(v)); }
  // Lengths are i32 on the wire; a string over 2 GiB is a caller bug.
  void write_string(std::string_view s) {
    const std::size_t n = s.size();
    char* p = out_->ensure(n + 12);  // room for word stores (store_word)
    internal::store_word(p, swapped(static_cast<std::uint32_t>(n)));
    internal::copy_to_output(p + 4, s.data(), n);
    out_->commit(4 + n);
  }
  void write_binary(std::string_view b) { write_string(b); }
  void write_uuid(const Uuid& u) { out_->append(u.bytes.data(), 16); }

 private:
  // `v`'s bytes swapped, so that stored least significant byte first (see
  // `put`) they come out big-endian.
  template <class U>
  static U swapped(U v) noexcept {
    return internal::byteswap(v);
  }
  // Writes the `n` low-order bytes of `word`, least significant first, with
  // one 8-byte store (internal::store_word says why).
  void put(std::size_t n, std::uint64_t word) {
    internal::store_word(out_->ensure(8), word);
    out_->commit(n);
  }
  template <class U>
  void write_fixed(U v) {
    put(sizeof v, swapped(v));
  }
  void write_u32(std::uint32_t v) { write_fixed(v); }
  void write_u8(std::uint8_t v) { put(1, v); }

  Out* out_;
};

// Reads the binary protocol from `In` (a `ByteInput`: `SpanInput` or
// `ChainInput`), which the reader owns by value. Bytes that string views
// point to belong to the input (see codec/buffer.h).
//
// Every read returns `Status`: OK, or `kInvalidArgument` with the reason
// (truncation, a limit, a negative size, an unknown type, a bad header).
// After an error the reader's position is unspecified; discard it.
template <class In>
class BinaryReader {
 public:
  using Writer = BinaryWriter<>;
  using Input = In;
  static constexpr ProtocolId kProtocolId = ProtocolId::kBinary;
  static constexpr std::uint32_t kVersion1 = BinaryWriter<>::kVersion1;
  static constexpr std::uint32_t kVersionMask = 0xffff0000u;

  // `strict_read`: reject the old unversioned message header.
  explicit BinaryReader(In input, const DecodeLimits& limits = {},
                        bool strict_read = false)
      : in_(std::move(input)),
        limits_(limits),
        depth_(limits.max_depth),
        strict_read_(strict_read) {}

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
  Status read_struct_begin() { return depth_.enter(); }
  Status read_struct_end() {
    depth_.leave();
    return absl::OkStatus();
  }
  Status read_field_begin(TType& type, std::int16_t& id) {
    const std::size_t n = in_.contiguous();
    // The stop byte needs just itself: a message's last byte is one.
    if (n >= 1) [[likely]] {
      const char* p = in_.data();
      if (static_cast<TType>(p[0]) == TType::kStop) {
        type = TType::kStop;
        in_.advance(1);
        return absl::OkStatus();
      }
      if (n >= 3) [[likely]] {
        type = static_cast<TType>(p[0]);
        id = static_cast<std::int16_t>(load<std::uint16_t>(p + 1));
        in_.advance(3);
        return absl::OkStatus();
      }
    }
    return read_field_begin_slow(type, id);
  }
  Status read_field_end() { return absl::OkStatus(); }
  Status read_list_begin(TType& element, std::uint32_t& size) {
    char header[5];
    FERRY_RETURN_IF_ERROR(internal::read_bytes<5>(in_, header));
    element = static_cast<TType>(header[0]);
    const auto raw_size = load<std::uint32_t>(header + 1);
    if (min_size(element) == 0 && raw_size != 0) [[unlikely]]
      return invalid_value_error("invalid list element type",
                                 static_cast<std::uint8_t>(element));
    return container_begin("list", raw_size, min_size(element), size);
  }
  Status read_list_end() {
    depth_.leave();
    return absl::OkStatus();
  }
  Status read_set_begin(TType& element, std::uint32_t& size) {
    char header[5];
    FERRY_RETURN_IF_ERROR(internal::read_bytes<5>(in_, header));
    element = static_cast<TType>(header[0]);
    const auto raw_size = load<std::uint32_t>(header + 1);
    if (min_size(element) == 0 && raw_size != 0) [[unlikely]]
      return invalid_value_error("invalid set element type",
                                 static_cast<std::uint8_t>(element));
    return container_begin("set", raw_size, min_size(element), size);
  }
  Status read_set_end() { return read_list_end(); }
  Status read_map_begin(TType& key, TType& value, std::uint32_t& size) {
    char header[6];
    FERRY_RETURN_IF_ERROR(internal::read_bytes<6>(in_, header));
    key = static_cast<TType>(header[0]);
    value = static_cast<TType>(header[1]);
    const auto raw_size = load<std::uint32_t>(header + 2);
    const std::uint32_t k = min_size(key), v = min_size(value);
    if ((k == 0 || v == 0) && raw_size != 0) [[unlikely]]
      return k == 0 ? invalid_value_error("invalid map key type",
                                          static_cast<std::uint8_t>(key))
                    : invalid_value_error("invalid map value type",
                                          static_cast<std::uint8_t>(value));
    return container_begin("map", raw_size, k + v, size);
  }
  Status read_map_end() { return read_list_end(); }

  Status read_bool(bool& v) {
    std::uint8_t b;
    FERRY_RETURN_IF_ERROR(internal::read_bytes<1>(in_, &b));
    v = b != 0;
    return absl::OkStatus();
  }
  Status read_byte(std::int8_t& v) { return internal::read_bytes<1>(in_, &v); }
  Status read_i16(std::int16_t& v) { return read_fixed(v); }
  Status read_i32(std::int32_t& v) { return read_fixed(v); }
  Status read_i64(std::int64_t& v) { return read_fixed(v); }
  Status read_double(double& v) {
    std::uint64_t bits;
    FERRY_RETURN_IF_ERROR(read_fixed(bits));
    v = std::bit_cast<double>(bits);
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
  template <class U>
  static U load(const char* p) noexcept {
    U v;
    std::memcpy(&v, p, sizeof v);
    return internal::big_endian(v);
  }
  template <class T>
  Status read_fixed(T& v) {
    using U = std::make_unsigned_t<T>;
    U raw;
    FERRY_RETURN_IF_ERROR(internal::read_bytes<sizeof(U)>(in_, &raw));
    v = static_cast<T>(internal::big_endian(raw));
    return absl::OkStatus();
  }
  // Smallest encoding of one value of `type`; 0 for a byte that is not a
  // value type (stop, void, unassigned ids).
  static std::uint32_t min_size(TType type) noexcept {
    static constexpr std::uint8_t kMinSize[17] = {0, 0, 1, 1, 8, 0, 2, 0, 4,
                                                  0, 8, 4, 1, 6, 5, 5, 16};
    const auto t = static_cast<std::uint8_t>(type);
    return t < 17 ? kMinSize[t] : 0;
  }
  [[gnu::always_inline]] Status read_length(std::string_view what,
                                            std::uint32_t& n) {
    std::int32_t len;
    FERRY_RETURN_IF_ERROR(read_fixed(len));
    if (len < 0) [[unlikely]]
      return negative_size_error(what, len);
    FERRY_RETURN_IF_ERROR(internal::check_length(
        in_, static_cast<std::uint32_t>(len), limits_.max_string_length, what));
    n = static_cast<std::uint32_t>(len);
    return absl::OkStatus();
  }
  Status read_bytes_as(std::string_view what, std::string& s) {
    std::uint32_t n;
    FERRY_RETURN_IF_ERROR(read_length(what, n));
    internal::read_into_string(in_, s, n);
    return absl::OkStatus();
  }
  Status container_begin(std::string_view what, std::uint32_t raw_size,
                         std::uint32_t min_element_size, std::uint32_t& size) {
    const auto n = static_cast<std::int32_t>(raw_size);
    if (n < 0) [[unlikely]]
      return negative_size_error(what, n);
    FERRY_RETURN_IF_ERROR(internal::check_count(
        in_, raw_size, min_element_size, limits_.max_container_size, what));
    size = raw_size;
    return depth_.enter();
  }
  Status read_field_begin_slow(TType& type, std::int16_t& id);
  Status skip_bytes(std::size_t n) {
    if (in_.remaining() < n) [[unlikely]]
      return truncated_error(n, in_.remaining());
    in_.skip(n);
    return absl::OkStatus();
  }
  Status skip_elements(TType element, std::uint32_t count);

  In in_;
  DecodeLimits limits_;
  internal::DepthCounter depth_;
  bool strict_read_;
};

}  // namespace ferry::codec

#include "codec/binary_protocol-inl.h"  // IWYU pragma: export
