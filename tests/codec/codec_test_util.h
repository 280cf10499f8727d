#pragma once

// Helpers for the codec tests: hex vectors, encoding through a writer,
// IoBuf chains split at chosen offsets, and `Sample` / `Inner`, hand-written
// structs shaped like idlgen's output (every field kind, path annotation on
// errors, unknown fields skipped).

#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codec/binary_protocol.h"
#include "codec/buffer.h"
#include "codec/compact_protocol.h"
#include "codec/decode_error.h"
#include "codec/protocol.h"
#include "runtime/io_buf.h"
#include "runtime/status.h"

namespace ferry::codec::testing {

// "80 01 00 01" -> bytes (spaces ignored).
inline std::string unhex(std::string_view hex) {
  std::string out;
  int nibbles = 0;
  unsigned acc = 0;
  for (char c : hex) {
    unsigned v;
    if (c >= '0' && c <= '9') {
      v = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v = static_cast<unsigned>(c - 'A' + 10);
    } else {
      continue;
    }
    acc = acc * 16 + v;
    if (++nibbles == 2) {
      out.push_back(static_cast<char>(acc));
      nibbles = 0;
      acc = 0;
    }
  }
  return out;
}

// bytes -> "80 01 00 01" (for readable failure messages).
inline std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Runs `body(writer)` on a fresh writer of type W; returns the bytes.
template <class W, class F>
std::string encode(F&& body) {
  WriteBuffer buf;
  W w(buf);
  body(w);
  return std::string(buf.view());
}

// An IoBuf over `bytes`, with a slice boundary at each offset in `cuts`
// (ascending, within (0, size)).
inline IoBuf chain_split_at(std::string_view bytes,
                            const std::vector<std::size_t>& cuts) {
  IoBuf out;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    out.append(IoBuf::copy_from(bytes.substr(from, cut - from)));
    from = cut;
  }
  out.append(IoBuf::copy_from(bytes.substr(from)));
  return out;
}

// One single-byte slice per byte.
inline IoBuf chain_of_single_bytes(std::string_view bytes) {
  IoBuf out;
  for (char c : bytes) out.append(IoBuf::copy_from(std::string_view(&c, 1)));
  return out;
}

// ---- Generated-code stand-ins --------------------------------------------

struct Inner {
  std::string name;
  bool ok = false;

  template <ProtocolWriter W>
  void write(W& w) const;
  template <ProtocolReader R>
  Status read(R& r);
  friend bool operator==(const Inner&, const Inner&) = default;
  friend auto operator<=>(const Inner&, const Inner&) = default;
};

// Type of a value, as generated code knows it statically.
template <class T>
struct TypeOf;
template <>
struct TypeOf<bool> {
  static constexpr TType value = TType::kBool;
};
template <>
struct TypeOf<std::int8_t> {
  static constexpr TType value = TType::kByte;
};
template <>
struct TypeOf<std::int16_t> {
  static constexpr TType value = TType::kI16;
};
template <>
struct TypeOf<std::int32_t> {
  static constexpr TType value = TType::kI32;
};
template <>
struct TypeOf<std::int64_t> {
  static constexpr TType value = TType::kI64;
};
template <>
struct TypeOf<double> {
  static constexpr TType value = TType::kDouble;
};
template <>
struct TypeOf<std::string> {
  static constexpr TType value = TType::kString;
};
template <>
struct TypeOf<Uuid> {
  static constexpr TType value = TType::kUuid;
};
template <>
struct TypeOf<Inner> {
  static constexpr TType value = TType::kStruct;
};
template <class T>
struct TypeOf<std::vector<T>> {
  static constexpr TType value = TType::kList;
};
template <class T>
struct TypeOf<std::set<T>> {
  static constexpr TType value = TType::kSet;
};
template <class K, class V>
struct TypeOf<std::map<K, V>> {
  static constexpr TType value = TType::kMap;
};

template <class W>
void write_value(W& w, bool v) {
  w.write_bool(v);
}
template <class W>
void write_value(W& w, std::int8_t v) {
  w.write_byte(v);
}
template <class W>
void write_value(W& w, std::int16_t v) {
  w.write_i16(v);
}
template <class W>
void write_value(W& w, std::int32_t v) {
  w.write_i32(v);
}
template <class W>
void write_value(W& w, std::int64_t v) {
  w.write_i64(v);
}
template <class W>
void write_value(W& w, double v) {
  w.write_double(v);
}
template <class W>
void write_value(W& w, const std::string& v) {
  w.write_string(v);
}
template <class W>
void write_value(W& w, const Uuid& v) {
  w.write_uuid(v);
}
template <class W>
void write_value(W& w, const Inner& v) {
  v.write(w);
}
template <class W, class T>
void write_value(W& w, const std::vector<T>& v) {
  w.write_list_begin(TypeOf<T>::value, static_cast<std::uint32_t>(v.size()));
  for (const auto& e : v) write_value(w, static_cast<T>(e));
  w.write_list_end();
}
template <class W, class T>
void write_value(W& w, const std::set<T>& v) {
  w.write_set_begin(TypeOf<T>::value, static_cast<std::uint32_t>(v.size()));
  for (const auto& e : v) write_value(w, e);
  w.write_set_end();
}
template <class W, class K, class V>
void write_value(W& w, const std::map<K, V>& v) {
  w.write_map_begin(TypeOf<K>::value, TypeOf<V>::value,
                    static_cast<std::uint32_t>(v.size()));
  for (const auto& [k, val] : v) {
    write_value(w, k);
    write_value(w, val);
  }
  w.write_map_end();
}

template <class R>
Status read_value(R& r, bool& v) {
  return r.read_bool(v);
}
template <class R>
Status read_value(R& r, std::int8_t& v) {
  return r.read_byte(v);
}
template <class R>
Status read_value(R& r, std::int16_t& v) {
  return r.read_i16(v);
}
template <class R>
Status read_value(R& r, std::int32_t& v) {
  return r.read_i32(v);
}
template <class R>
Status read_value(R& r, std::int64_t& v) {
  return r.read_i64(v);
}
template <class R>
Status read_value(R& r, double& v) {
  return r.read_double(v);
}
template <class R>
Status read_value(R& r, std::string& v) {
  return r.read_string(v);
}
template <class R>
Status read_value(R& r, Uuid& v) {
  return r.read_uuid(v);
}
template <class R>
Status read_value(R& r, Inner& v) {
  return v.read(r);
}
template <class R, class T>
Status read_value(R& r, std::vector<T>& v) {
  TType element;
  std::uint32_t n;
  FERRY_RETURN_IF_ERROR(r.read_list_begin(element, n));
  if (n != 0 && element != TypeOf<T>::value)
    return invalid_error("unexpected list element type");
  v.clear();
  v.reserve(n);  // bounded: the reader checked n against the bytes left
  for (std::uint32_t i = 0; i < n; ++i) {
    T e{};
    if (Status s = read_value(r, e); !s.ok())
      return at_element(std::move(s), i);
    v.push_back(std::move(e));
  }
  return r.read_list_end();
}
template <class R, class T>
Status read_value(R& r, std::set<T>& v) {
  TType element;
  std::uint32_t n;
  FERRY_RETURN_IF_ERROR(r.read_set_begin(element, n));
  if (n != 0 && element != TypeOf<T>::value)
    return invalid_error("unexpected set element type");
  v.clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    T e{};
    if (Status s = read_value(r, e); !s.ok())
      return at_element(std::move(s), i);
    v.insert(std::move(e));
  }
  return r.read_set_end();
}
template <class R, class K, class V>
Status read_value(R& r, std::map<K, V>& v) {
  TType key, value;
  std::uint32_t n;
  FERRY_RETURN_IF_ERROR(r.read_map_begin(key, value, n));
  if (n != 0 && (key != TypeOf<K>::value || value != TypeOf<V>::value))
    return invalid_error("unexpected map key/value type");
  v.clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    K k{};
    V val{};
    if (Status s = read_value(r, k); !s.ok())
      return at_map_key(std::move(s), i);
    if (Status s = read_value(r, val); !s.ok())
      return at_map_value(std::move(s), i);
    v.emplace(std::move(k), std::move(val));
  }
  return r.read_map_end();
}

template <class W, class T>
void write_field(W& w, const char* name, std::int16_t id, const T& v) {
  w.write_field_begin(name, TypeOf<T>::value, id);
  write_value(w, v);
  w.write_field_end();
}

// One field's read as generated code does it: a type mismatch is skipped
// like an unknown field; a failure gets "Struct.field" prefixed.
template <class R, class T>
Status read_field(R& r, TType type, T& v, const char* struct_name,
                  const char* field_name) {
  if (type != TypeOf<T>::value) return r.skip(type);
  if (Status s = read_value(r, v); !s.ok())
    return in_field(std::move(s), struct_name, field_name);
  return absl::OkStatus();
}

template <ProtocolWriter W>
void Inner::write(W& w) const {
  w.write_struct_begin("Inner");
  write_field(w, "name", 1, name);
  write_field(w, "ok", 2, ok);
  w.write_field_stop();
  w.write_struct_end();
}

template <ProtocolReader R>
Status Inner::read(R& r) {
  FERRY_RETURN_IF_ERROR(r.read_struct_begin());
  for (;;) {
    TType type;
    std::int16_t id;
    FERRY_RETURN_IF_ERROR(r.read_field_begin(type, id));
    if (type == TType::kStop) break;
    switch (id) {
      case 1:
        FERRY_RETURN_IF_ERROR(read_field(r, type, name, "Inner", "name"));
        break;
      case 2:
        FERRY_RETURN_IF_ERROR(read_field(r, type, ok, "Inner", "ok"));
        break;
      default:
        FERRY_RETURN_IF_ERROR(r.skip(type));
    }
    FERRY_RETURN_IF_ERROR(r.read_field_end());
  }
  return r.read_struct_end();
}

// Every field kind, ids chosen to exercise compact deltas: 1..18 in order
// (short form), 40 (delta > 15, long form), -3 (negative, long form).
struct Sample {
  bool flag = false;                              // 1
  std::int8_t b = 0;                              // 2
  std::int16_t s = 0;                             // 3
  std::int32_t i = 0;                             // 4
  std::int64_t l = 0;                             // 5
  double d = 0;                                   // 6
  std::string name;                               // 7
  std::string data;                               // 8 (binary)
  Uuid id;                                        // 9
  std::vector<std::int32_t> numbers;              // 10
  std::vector<bool> bits;                         // 11
  std::set<std::string> tags;                     // 12
  std::map<std::string, std::int64_t> counts;     // 13
  Inner inner;                                    // 14
  std::vector<Inner> items;                       // 15
  std::map<std::int32_t, Inner> by_id;            // 16
  bool flag2 = false;                             // 17
  std::vector<std::vector<std::int32_t>> nested;  // 18
  std::vector<double> doubles;                    // 19
  std::int32_t far = 0;                           // 40
  std::int32_t neg = 0;                           // -3

  template <ProtocolWriter W>
  void write(W& w) const {
    w.write_struct_begin("Sample");
    write_field(w, "flag", 1, flag);
    write_field(w, "b", 2, b);
    write_field(w, "s", 3, s);
    write_field(w, "i", 4, i);
    write_field(w, "l", 5, l);
    write_field(w, "d", 6, d);
    write_field(w, "name", 7, name);
    w.write_field_begin("data", TType::kString, 8);
    w.write_binary(data);
    w.write_field_end();
    write_field(w, "id", 9, id);
    write_field(w, "numbers", 10, numbers);
    write_field(w, "bits", 11, bits);
    write_field(w, "tags", 12, tags);
    write_field(w, "counts", 13, counts);
    write_field(w, "inner", 14, inner);
    write_field(w, "items", 15, items);
    write_field(w, "by_id", 16, by_id);
    write_field(w, "flag2", 17, flag2);
    write_field(w, "nested", 18, nested);
    write_field(w, "doubles", 19, doubles);
    write_field(w, "far", 40, far);
    write_field(w, "neg", -3, neg);
    w.write_field_stop();
    w.write_struct_end();
  }

  template <ProtocolReader R>
  Status read(R& r) {
    FERRY_RETURN_IF_ERROR(r.read_struct_begin());
    for (;;) {
      TType type;
      std::int16_t fid;
      FERRY_RETURN_IF_ERROR(r.read_field_begin(type, fid));
      if (type == TType::kStop) break;
      switch (fid) {
#define SAMPLE_FIELD(ID, NAME)                                         \
  case ID:                                                             \
    FERRY_RETURN_IF_ERROR(read_field(r, type, NAME, "Sample", #NAME)); \
    break;
        SAMPLE_FIELD(1, flag)
        SAMPLE_FIELD(2, b)
        SAMPLE_FIELD(3, s)
        SAMPLE_FIELD(4, i)
        SAMPLE_FIELD(5, l)
        SAMPLE_FIELD(6, d)
        SAMPLE_FIELD(7, name)
        case 8:
          if (type != TType::kString) {
            FERRY_RETURN_IF_ERROR(r.skip(type));
          } else if (Status st = r.read_binary(data); !st.ok()) {
            return in_field(std::move(st), "Sample", "data");
          }
          break;
          SAMPLE_FIELD(9, id)
          SAMPLE_FIELD(10, numbers)
          SAMPLE_FIELD(11, bits)
          SAMPLE_FIELD(12, tags)
          SAMPLE_FIELD(13, counts)
          SAMPLE_FIELD(14, inner)
          SAMPLE_FIELD(15, items)
          SAMPLE_FIELD(16, by_id)
          SAMPLE_FIELD(17, flag2)
          SAMPLE_FIELD(18, nested)
          SAMPLE_FIELD(19, doubles)
          SAMPLE_FIELD(40, far)
          SAMPLE_FIELD(-3, neg)
#undef SAMPLE_FIELD
        default:
          FERRY_RETURN_IF_ERROR(r.skip(type));
      }
      FERRY_RETURN_IF_ERROR(r.read_field_end());
    }
    return r.read_struct_end();
  }

  friend bool operator==(const Sample&, const Sample&) = default;
};

// A struct with no fields: reading anything into it skips every field.
struct Empty {
  template <ProtocolWriter W>
  void write(W& w) const {
    w.write_struct_begin("Empty");
    w.write_field_stop();
    w.write_struct_end();
  }
  template <ProtocolReader R>
  Status read(R& r) {
    FERRY_RETURN_IF_ERROR(r.read_struct_begin());
    for (;;) {
      TType type;
      std::int16_t id;
      FERRY_RETURN_IF_ERROR(r.read_field_begin(type, id));
      if (type == TType::kStop) break;
      FERRY_RETURN_IF_ERROR(r.skip(type));
      FERRY_RETURN_IF_ERROR(r.read_field_end());
    }
    return r.read_struct_end();
  }
};

// A Sample with every field set to something non-default.
inline Sample full_sample() {
  Sample s;
  s.flag = true;
  s.b = -7;
  s.s = -1234;
  s.i = 0x12345678;
  s.l = -0x123456789abcdefLL;
  s.d = 3.25;
  s.name = "h\xc3\xa9llo";  // "héllo" in UTF-8
  s.data = std::string("\x00\x01\xff", 3);
  for (int k = 0; k < 16; ++k)
    s.id.bytes[k] = static_cast<std::uint8_t>(k * 17);
  s.numbers = {0, -1, 1, 300, -300};
  s.bits = {true, false, true};
  s.tags = {"a", "bb", "ccc"};
  s.counts = {{"x", 1}, {"y", -2}};
  s.inner = {"in", true};
  s.items = {{"a", false}, {"b", true}, {"", false}, {"d", true}};
  s.by_id = {{1, {"one", true}}, {-2, {"minus two", false}}};
  s.flag2 = false;
  s.nested = {{}, {1}, {2, 3}};
  s.doubles = {1.5, -0.0};
  s.far = 40;
  s.neg = -3;
  return s;
}

// The two protocols as type parameters for typed tests.
struct Binary {
  using Writer = BinaryWriter<>;
  template <class In>
  using Reader = BinaryReader<In>;
  static constexpr const char* kName = "binary";
};
struct Compact {
  using Writer = CompactWriter<>;
  template <class In>
  using Reader = CompactReader<In>;
  static constexpr const char* kName = "compact";
};

// Encodes `value` as a whole call message through writer W.
template <class W, class T>
std::string encode_message(const T& value, std::string_view method = "method",
                           std::int32_t seqid = 1) {
  return encode<W>([&](W& w) {
    w.write_message_begin(method, MessageType::kCall, seqid);
    value.write(w);
    w.write_message_end();
  });
}

// Decodes a whole message through reader R.
template <class R, class T>
Status decode_message(R& r, T& value) {
  std::string method;
  MessageType type;
  std::int32_t seqid;
  FERRY_RETURN_IF_ERROR(r.read_message_begin(method, type, seqid));
  FERRY_RETURN_IF_ERROR(value.read(r));
  return r.read_message_end();
}

}  // namespace ferry::codec::testing
