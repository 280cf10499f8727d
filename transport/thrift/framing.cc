#include "transport/thrift/framing.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "codec/decode_error.h"
#include "codec/internal/wire.h"

namespace ferry::thrift {
namespace {

using codec::TType;

constexpr std::uint8_t kBinaryVersionByte0 = 0x80;  // 0x80010000 | type
constexpr std::uint8_t kBinaryVersionByte1 = 0x01;
constexpr std::uint32_t kBinaryVersionMask = 0xffff0000u;
constexpr std::uint32_t kBinaryVersion1 = 0x80010000u;
constexpr std::uint8_t kCompactProtocolId = 0x82;
constexpr std::uint8_t kCompactVersion = 1;
constexpr std::uint8_t kCompactVersionMask = 0x1f;
constexpr int kCompactTypeShift = 5;
// Frame lengths are i32 on the wire.
constexpr std::uint32_t kMaxFrameLength =
    static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max());
constexpr std::size_t kMaxVarint32 = 5;
constexpr std::size_t kMaxVarint64 = 10;

using internal::load_be32;
using internal::parse_varint;

bool is_message_type(std::uint32_t type) noexcept {
  return type >= static_cast<std::uint8_t>(codec::MessageType::kCall) &&
         type <= static_cast<std::uint8_t>(codec::MessageType::kOneway);
}

std::uint32_t frame_limit(std::uint32_t max_message_size) noexcept {
  return std::min(max_message_size, kMaxFrameLength);
}

// ---- Type tables ------------------------------------------------------------

// Binary: smallest encoding of a value of each TType (0: not a value type),
// as in BinaryReader, and the size of the fixed-size ones (0 otherwise).
constexpr std::uint8_t kBinaryMinSize[17] = {0, 0, 1, 1, 8, 0, 2, 0, 4,
                                             0, 8, 4, 1, 6, 5, 5, 16};
constexpr std::uint8_t kBinaryFixedSize[17] = {0, 0, 1, 1, 8, 0, 2, 0, 4,
                                               0, 8, 0, 0, 0, 0, 0, 16};
std::uint32_t binary_min_size(std::uint8_t type) noexcept {
  return type < 17 ? kBinaryMinSize[type] : 0;
}
std::uint32_t binary_fixed_size(std::uint8_t type) noexcept {
  return type < 17 ? kBinaryFixedSize[type] : 0;
}

// Compact: type nibble -> TType (0xff for the invalid 14 and 15), smallest
// encoding per TType (varints are at least a byte), and the element types a
// container can skip in one step (a bool element must be checked, a varint
// has no fixed size).
constexpr std::uint8_t kInvalidType = 0xff;
constexpr std::uint8_t kCompactToTType[16] = {
    0,  2,  2,  3,  6,  8,  10,           4,
    11, 15, 14, 13, 12, 16, kInvalidType, kInvalidType};
constexpr std::uint8_t kCompactMinSize[17] = {0, 0, 1, 1, 8, 0, 1, 0, 1,
                                              0, 1, 1, 1, 1, 1, 1, 16};
constexpr std::uint8_t kCompactFixedSize[17] = {0, 0, 0, 1, 8, 0, 0, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0, 16};
TType compact_ttype(std::uint8_t nibble) noexcept {
  return static_cast<TType>(kCompactToTType[nibble & 0x0f]);
}
std::uint32_t compact_min_size(TType type) noexcept {
  const auto t = static_cast<std::uint8_t>(type);
  return t < 17 ? kCompactMinSize[t] : 0;
}
std::uint32_t compact_fixed_size(TType type) noexcept {
  const auto t = static_cast<std::uint8_t>(type);
  return t < 17 ? kCompactFixedSize[t] : 0;
}

// Name of a value type in "message exceeds size limit" errors.
std::string_view type_name(TType type) noexcept {
  switch (type) {
    case TType::kBool:
      return "bool";
    case TType::kByte:
      return "byte";
    case TType::kDouble:
      return "double";
    case TType::kI16:
      return "i16";
    case TType::kI32:
      return "i32";
    case TType::kI64:
      return "i64";
    case TType::kUuid:
      return "uuid";
    default:
      return "value";
  }
}

// The length of the varint at `d` (at most `max_bytes`, all readable), or 0
// if none of them ends it.
std::size_t varint_length(const std::uint8_t* d, std::size_t max_bytes) {
  for (std::size_t i = 0; i < max_bytes; ++i) {
    if (d[i] < 0x80) return i + 1;
  }
  return 0;
}

// ---- Error text (cold) ------------------------------------------------------

[[gnu::cold, gnu::noinline]] Status at_offset(const Status& leaf,
                                              std::size_t offset) {
  return absl::InvalidArgumentError(
      fmt::format("{} at offset {}", message_of(leaf), offset));
}

[[gnu::cold, gnu::noinline]] Status varint_too_long(std::size_t max_bytes) {
  return codec::invalid_error(
      max_bytes == kMaxVarint32 ? "varint longer than 5 bytes (32-bit value)"
                                : "varint longer than 10 bytes (64-bit value)");
}

// "47 45 54 20 (\"GET \")": the first bytes in hex and as text.
[[gnu::cold, gnu::noinline]] std::string describe_bytes(const std::uint8_t* b,
                                                        std::size_t n) {
  n = std::min<std::size_t>(n, 8);
  std::string hex, text;
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) hex += ' ';
    hex += fmt::format("{:02x}", b[i]);
    text += b[i] >= 0x20 && b[i] < 0x7f ? static_cast<char>(b[i]) : '.';
  }
  return fmt::format("{} (\"{}\")", hex, text);
}

// What other protocol `b` looks like, for error hints; empty if none.
[[gnu::cold, gnu::noinline]] std::string_view foreign_protocol(
    const std::uint8_t* b, std::size_t n) {
  static constexpr std::string_view kHttpStarts[] = {
      "GET ", "POST", "PUT ", "HEAD", "DELE",
      "OPTI", "PATC", "CONN", "TRAC", "PRI "};
  if (n >= 4) {
    const std::string_view head(reinterpret_cast<const char*>(b), 4);
    for (std::string_view start : kHttpStarts) {
      if (head == start) return "HTTP";
    }
  }
  if (n >= 2 && b[0] == 0x16 && b[1] == 0x03) return "a TLS handshake";
  return {};
}

[[gnu::cold, gnu::noinline]] Status frame_length_error(
    std::uint32_t length, std::uint32_t max_message_size,
    const std::uint8_t* header) {
  std::string message =
      length == 0 ? std::string("invalid frame length 0")
                  : fmt::format("frame length {} exceeds limit {}", length,
                                frame_limit(max_message_size));
  if (header[0] == kBinaryVersionByte0 && header[1] == kBinaryVersionByte1) {
    message +=
        " (looks like an unframed binary message: the peer uses buffered "
        "framing)";
  } else if (header[0] == kCompactProtocolId) {
    message +=
        " (looks like an unframed compact message: the peer uses buffered "
        "framing)";
  } else if (std::string_view other = foreign_protocol(header, 4);
             !other.empty()) {
    message += fmt::format(" (looks like {})", other);
  }
  return absl::InvalidArgumentError(message);
}

[[gnu::cold, gnu::noinline]] Detection unrecognized(const std::uint8_t* b,
                                                    std::size_t n,
                                                    std::string_view reason) {
  Detection d;
  d.result = Detect::kUnrecognized;
  const std::string_view other = foreign_protocol(b, n);
  d.error = fmt::format("unrecognized Thrift wire format: first bytes {} {}",
                        describe_bytes(b, n),
                        other.empty()
                            ? std::string(reason)
                            : fmt::format("look like {}, not Thrift", other));
  return d;
}

Detection found(Framing framing, codec::ProtocolId protocol) {
  Detection d;
  d.result = Detect::kFound;
  d.format = {framing, protocol};
  return d;
}

// Detection of a message start at b[at], framed or not (nullopt: need
// more bytes).
std::optional<Detection> detect_message_start(const std::uint8_t* b,
                                              std::size_t n, std::size_t at,
                                              Framing framing) {
  if (n < at + 2) return std::nullopt;
  if (b[at] == kBinaryVersionByte0 && b[at + 1] == kBinaryVersionByte1)
    return found(framing, codec::ProtocolId::kBinary);
  if (b[at] == kCompactProtocolId &&
      (b[at + 1] & kCompactVersionMask) == kCompactVersion)
    return found(framing, codec::ProtocolId::kCompact);
  return std::nullopt;
}

}  // namespace

// ---- Names ------------------------------------------------------------------

std::string_view framing_name(Framing framing) noexcept {
  switch (framing) {
    case Framing::kFramed:
      return "framed";
    case Framing::kBuffered:
      return "buffered";
  }
  return "unknown";
}

std::string_view protocol_name(codec::ProtocolId protocol) noexcept {
  switch (protocol) {
    case codec::ProtocolId::kBinary:
      return "binary";
    case codec::ProtocolId::kCompact:
      return "compact";
  }
  return "unknown";
}

Result<Framing> parse_framing(std::string_view name) {
  if (name == "framed") return Framing::kFramed;
  if (name == "buffered") return Framing::kBuffered;
  return absl::InvalidArgumentError(fmt::format(
      "unknown Thrift framing \"{}\" (expected \"framed\" or \"buffered\")",
      name));
}

Result<codec::ProtocolId> parse_protocol(std::string_view name) {
  if (name == "binary") return codec::ProtocolId::kBinary;
  if (name == "compact") return codec::ProtocolId::kCompact;
  return absl::InvalidArgumentError(fmt::format(
      "unknown Thrift protocol \"{}\" (expected \"binary\" or \"compact\")",
      name));
}

// ---- Detection --------------------------------------------------------------

Detection detect_wire_format(const IoBuf& first_bytes,
                             std::uint32_t max_message_size) {
  std::uint8_t b[16];
  const std::size_t n = first_bytes.copy_to(b, sizeof b);
  if (n == 0) return Detection{};

  // Unframed: the message header itself. (A frame length never has the top
  // bit set, so these cannot be framed.)
  if (b[0] == kBinaryVersionByte0 || b[0] == kCompactProtocolId) {
    if (n < 2) return Detection{};
    if (auto d = detect_message_start(b, n, 0, Framing::kBuffered)) return *d;
    return b[0] == kBinaryVersionByte0
               ? unrecognized(b, n,
                              "start a binary message with a bad version (a "
                              "strict binary message starts 80 01)")
               : unrecognized(
                     b, n,
                     fmt::format("start a compact message with version {} "
                                 "(expected 1)",
                                 b[1] & kCompactVersionMask));
  }
  if ((b[0] & 0x80) != 0) {
    return unrecognized(b, n,
                        "are neither a strict binary (80 01) or compact (82) "
                        "message start nor a frame length");
  }

  // Framed: a length, then a message header. A prefix of the length that
  // already exceeds the limit is rejected at once.
  const std::uint32_t limit = frame_limit(max_message_size);
  if (n < 4) {
    std::uint32_t lowest = 0;
    for (std::size_t i = 0; i < 4; ++i)
      lowest = lowest << 8 | (i < n ? b[i] : 0);
    if (lowest > limit) {
      return unrecognized(
          b, n,
          fmt::format("start a frame length of at least {}, above the limit {}",
                      lowest, limit));
    }
    return Detection{};
  }
  const std::uint32_t length = load_be32(b);
  if (length == 0) return unrecognized(b, n, "hold a frame length of 0");
  if (length > limit) {
    return unrecognized(
        b, n,
        fmt::format("hold a frame length of {}, above the limit {}", length,
                    limit));
  }
  if (n < 5) return Detection{};
  if (b[4] == kBinaryVersionByte0 || b[4] == kCompactProtocolId) {
    if (n < 6) return Detection{};
    if (auto d = detect_message_start(b, n, 4, Framing::kFramed)) return *d;
  }
  if (b[4] >= 0x20 && b[4] < 0x7f) {
    // A non-strict binary message starts with the name's length and the
    // name: here a "frame length" followed by text.
    return unrecognized(
        b, n,
        "look like non-strict (unversioned) binary, which is not supported: "
        "the client must send strict binary");
  }
  return unrecognized(
      b, n,
      fmt::format("hold a frame length of {}, but no strict binary (80 01) or "
                  "compact (82) message start follows (non-strict binary is "
                  "not supported)",
                  length));
}

// ---- The buffered walk ------------------------------------------------------

namespace {

enum class Outcome : std::uint8_t { kDone, kNeedMore, kError };

// Where the buffered walk is in a message.
enum Step : std::uint8_t {
  kAtBinaryHeader,       // i32 0x8001 | type
  kAtBinaryNameLength,   // i32, then the name
  kAtBinarySeqid,        // i32
  kAtCompactProtocolId,  // 0x82
  kAtCompactVersion,     // type << 5 | version
  kAtCompactSeqid,       // varint
  kAtCompactNameLength,  // varint, then the name
  kAtBodyStart,          // the argument/result struct begins
  kInBody,               // inside it: see `stack_`
};

enum Kind : std::uint8_t { kStruct, kList, kMap };

}  // namespace

// One call's walk over `pending`. The cursor (`p_`, `end_`, `index_`)
// reads a view of `pending` that stops at the message size limit, so no
// token is ever read past it; when a token needs bytes beyond the view, that
// is "read more" if the view ended with the data, or a size error if it
// ended at the limit. Tokens (headers, lengths, varints) are at most 16
// bytes and are read whole or not at all: one that straddles slices is
// copied into `buf_`. Payloads (strings, runs of fixed-size elements) are
// skipped by count through `skip_left_`, which survives across calls.
class MessageSplitter::Scanner {
 public:
  Scanner(MessageSplitter& s, const IoBuf& pending) : s_(s) {
    const IoBuf::Slices& slices = pending.slices();
    slices_ = slices.data();
    count_ = slices.size();
    pos_ = s.pos_;
    const std::size_t data_left = pending.size() - pos_;
    const std::size_t cap_left = s.limits_.max_message_size - pos_;
    left_ = std::min(data_left, cap_left);
    capped_ = cap_left <= data_left;
    if (count_ == 0) return;
    index_ = s.slice_index_;
    std::size_t offset = s.slice_offset_;
    if (index_ >= count_ || offset > slices_[index_].size) {
      // Only if the caller broke the contract on `pending`; walk from the
      // front rather than read out of bounds.
      index_ = 0;
      offset = pos_;
      while (index_ + 1 < count_ && offset >= slices_[index_].size) {
        offset -= slices_[index_].size;
        ++index_;
      }
    }
    const IoBuf::Slice& slice = slices_[index_];
    p_ = reinterpret_cast<const std::uint8_t*>(slice.data) + offset;
    end_ = p_ + std::min(slice.size - offset, left_);
    if (p_ == end_ && left_ != 0) next_slice();
  }

  // Walks on until the message ends (kDone, at pos_), the bytes run out
  // (kNeedMore) or an error (kError, in s_.error_).
  Outcome run();

  // Stores the position for the next call.
  void save() noexcept {
    s_.pos_ = pos_;
    if (count_ != 0) {
      s_.slice_index_ = index_;
      s_.slice_offset_ = static_cast<std::size_t>(
          p_ - reinterpret_cast<const std::uint8_t*>(slices_[index_].data));
    }
  }

 private:
  // ---- Cursor ----

  std::size_t contiguous() const noexcept {
    return static_cast<std::size_t>(end_ - p_);
  }
  // Bytes the message may still grow by.
  std::size_t cap_left() const noexcept {
    return s_.limits_.max_message_size - pos_;
  }
  // Moves to the next slice with bytes (left_ > 0, the current one used up).
  void next_slice() noexcept {
    do {
      ++index_;
    } while (slices_[index_].size == 0);
    p_ = reinterpret_cast<const std::uint8_t*>(slices_[index_].data);
    end_ = p_ + std::min(slices_[index_].size, left_);
  }
  // Consumes `n` <= left_ bytes. Keeps p_ < end_ while bytes are left.
  void advance(std::size_t n) noexcept {
    pos_ += n;
    for (;;) {
      const std::size_t in = contiguous();
      if (n < in) {
        p_ += n;
        left_ -= n;
        return;
      }
      p_ = end_;
      left_ -= in;
      n -= in;
      if (left_ == 0) return;
      next_slice();
      if (n == 0) return;
    }
  }
  // Points `d` at the next min(want, left_) bytes (want <= 16) and returns
  // how many: in place when they are in the current slice, else copied.
  std::size_t peek(std::size_t want, const std::uint8_t*& d) noexcept {
    const std::size_t n = std::min(want, left_);
    std::size_t got = contiguous();
    if (got >= n) {
      d = p_;
      return n;
    }
    std::memcpy(buf_, p_, got);
    for (std::size_t i = index_ + 1; got < n; ++i) {
      const std::size_t take = std::min(slices_[i].size, n - got);
      std::memcpy(buf_ + got, slices_[i].data, take);
      got += take;
    }
    d = buf_;
    return n;
  }
  // Skips what it can of skip_left_; true when it is all skipped.
  bool skip() noexcept {
    const std::size_t n = std::min(s_.skip_left_, left_);
    if (n <= contiguous()) {
      p_ += n;
      pos_ += n;
      left_ -= n;
      if (p_ == end_ && left_ != 0) next_slice();
    } else {
      advance(n);
    }
    s_.skip_left_ -= n;
    return s_.skip_left_ == 0;
  }
  // Moves the cursor to `p`, within the current slice.
  void move_in_slice(const std::uint8_t* p) noexcept {
    const auto n = static_cast<std::size_t>(p - p_);
    p_ = p;
    pos_ += n;
    left_ -= n;
    if (p_ == end_ && left_ != 0) next_slice();
  }

  // ---- Fast paths ----
  //
  // Runs of fields and list elements that lie whole in the current slice
  // and need no check beyond what is tested here are skipped in a tight
  // loop; they stop at anything else (a stop, a nested struct or container,
  // an invalid or straddling token), which the general path then handles
  // with all its checks. Nothing here can exceed the size limit: the view
  // (`end_`) ends at it.
  void binary_fields_in_slice() noexcept;
  void binary_items_in_slice(Frame& f) noexcept;  // list and map items
  void compact_fields_in_slice() noexcept;
  void compact_items_in_slice(Frame& f) noexcept;

  // In the open list, set or map `f`: sets value_type_ to the next item's
  // type and returns true, or pops `f` once it has no items left.
  bool next_item(Frame& f) noexcept {
    if (f.remaining == 0) {
      s_.stack_.pop_back();
      return false;
    }
    // Map items alternate key, value; `remaining` starts even.
    s_.value_type_ = f.kind == kMap && (f.remaining & 1) != 0 ? f.value : f.key;
    --f.remaining;
    return true;
  }

  // ---- Outcomes ----

  // A token (`what`) needs more bytes than the view has.
  Outcome need_more(std::string_view what) {
    if (!capped_) return Outcome::kNeedMore;
    return too_big(what);
  }
  // The token or value `what` at pos_ does not fit in the size limit.
  [[gnu::cold, gnu::noinline]] Outcome too_big(std::string_view what) {
    return fail(absl::InvalidArgumentError(
        fmt::format("message exceeds size limit {}: {}",
                    s_.limits_.max_message_size, what)));
  }
  // A length or count ("list" "size" 20) makes the message too large.
  [[gnu::cold, gnu::noinline]] Outcome too_big(std::string_view what,
                                               std::string_view measure,
                                               std::uint64_t size) {
    return fail(absl::InvalidArgumentError(
        fmt::format("message exceeds size limit {}: {} {} {}",
                    s_.limits_.max_message_size, what, measure, size)));
  }
  // Fails with `leaf` at the current offset (the start of the token at
  // fault: nothing of it has been consumed).
  [[gnu::cold, gnu::noinline]] Outcome fail(const Status& leaf) {
    s_.error_ = at_offset(leaf, pos_);
    return Outcome::kError;
  }
  bool depth_full() const noexcept {
    return s_.stack_.size() >= s_.limits_.max_depth;
  }
  Outcome depth_exceeded() {
    return fail(codec::depth_error(s_.limits_.max_depth));
  }

  // A fixed-size value or run of them: `size` bytes, skipped.
  Outcome skip_fixed(std::size_t size, std::string_view what) {
    if (size > cap_left()) [[unlikely]]
      return too_big(what);
    s_.skip_left_ = size;
    return skip() ? Outcome::kDone : Outcome::kNeedMore;
  }
  // Checks a string length (`n` after a `header`-byte length) and starts
  // skipping it.
  Outcome start_string(std::size_t header, std::uint64_t n) {
    if (n > s_.limits_.max_string_length) [[unlikely]]
      return fail(
          codec::limit_error("string", n, s_.limits_.max_string_length));
    if (header + n > cap_left()) [[unlikely]]
      return too_big("string", "length", n);
    advance(header);
    s_.skip_left_ = n;
    return Outcome::kDone;
  }
  // Checks a container's size (`n` elements of at least `min_element`
  // bytes each, after a `header`-byte header) and the nesting depth.
  Outcome check_container(std::string_view what, std::size_t header,
                          std::uint64_t n, std::uint32_t min_element) {
    if (n > s_.limits_.max_container_size) [[unlikely]]
      return fail(codec::limit_error(what, n, s_.limits_.max_container_size));
    if (header + n * min_element > cap_left()) [[unlikely]]
      return too_big(what, "size", n);
    if (depth_full()) [[unlikely]]
      return depth_exceeded();
    return Outcome::kDone;
  }
  // After a list or set header: skips a run of `n` fixed-size elements
  // (`fixed` bytes each) or opens a frame for them.
  void enter_list(std::uint32_t n, TType element, std::uint32_t fixed) {
    if (fixed != 0) {
      s_.skip_left_ = std::size_t{n} * fixed;
    } else if (n != 0) {
      s_.stack_.push_back(Frame{n, kList, element, TType::kStop});
    }
  }
  // After a map header: the same for `n` entries, whose key and value are
  // `kf` and `vf` bytes when fixed-size (else 0).
  void enter_map(std::uint32_t n, TType key, TType value, std::uint32_t kf,
                 std::uint32_t vf) {
    if (kf != 0 && vf != 0) {
      s_.skip_left_ = std::size_t{n} * (kf + vf);
    } else if (n != 0) {
      s_.stack_.push_back(Frame{2 * n, kMap, key, value});
    }
  }
  void push_struct() { s_.stack_.push_back(Frame{0, kStruct, {}, {}}); }

  Outcome envelope();
  Outcome binary_body();
  Outcome binary_value(TType type);
  Outcome compact_body();
  Outcome compact_value(TType type);
  // A compact varint of at most `max_bytes` (`what` for errors): sets `v`
  // and returns its length in `used` (not consumed).
  template <class U>
  Outcome compact_varint(std::size_t max_bytes, std::string_view what, U& v,
                         std::size_t& used);
  // A compact string or binary length: checked, then the payload skipped.
  Outcome compact_string();

  MessageSplitter& s_;
  const IoBuf::Slice* slices_ = nullptr;
  std::size_t count_ = 0;
  std::size_t index_ = 0;
  const std::uint8_t* p_ = nullptr;
  const std::uint8_t* end_ = nullptr;
  std::size_t pos_ = 0;   // message offset of p_
  std::size_t left_ = 0;  // bytes in the view from p_ on
  bool capped_ = false;   // the view ends at the size limit
  std::uint8_t buf_[16];  // a token that straddles slices
};

Outcome MessageSplitter::Scanner::run() {
  for (;;) {
    // A pending skip never runs past the size limit (checked when it began),
    // so running out here only means more bytes are needed.
    if (s_.skip_left_ != 0 && !skip()) return Outcome::kNeedMore;
    if (s_.step_ == kInBody) {
      return s_.format_.protocol == codec::ProtocolId::kBinary ? binary_body()
                                                               : compact_body();
    }
    if (Outcome o = envelope(); o != Outcome::kDone) return o;
  }
}

// One step of the message header, up to the start of its struct.
Outcome MessageSplitter::Scanner::envelope() {
  const std::uint8_t* d;
  switch (s_.step_) {
    case kAtBinaryHeader: {
      if (left_ == 0) return need_more("message header");
      // The top bit tells the strict header from an old-style name length.
      if ((*p_ & 0x80) == 0)
        return fail(codec::invalid_error(
            "missing version in binary message header (non-strict binary is "
            "not supported)"));
      if (peek(4, d) < 4) return need_more("message header");
      const std::uint32_t word = load_be32(d);
      if ((word & kBinaryVersionMask) != kBinaryVersion1)
        return fail(
            codec::invalid_value_error("bad binary protocol version", word));
      if (!is_message_type(word & 0xff))
        return fail(
            codec::invalid_value_error("invalid message type", word & 0xff));
      advance(4);
      s_.step_ = kAtBinaryNameLength;
      return Outcome::kDone;
    }
    case kAtBinaryNameLength: {
      if (peek(4, d) < 4) return need_more("message name length");
      const auto n = static_cast<std::int32_t>(load_be32(d));
      if (n < 0) return fail(codec::negative_size_error("string", n));
      s_.step_ = kAtBinarySeqid;
      return start_string(4, static_cast<std::uint32_t>(n));
    }
    case kAtBinarySeqid:
      s_.step_ = kAtBodyStart;
      return skip_fixed(4, "seqid");
    case kAtCompactProtocolId:
      if (left_ == 0) return need_more("message header");
      if (*p_ != kCompactProtocolId)
        return fail(
            codec::invalid_value_error("invalid compact protocol id", *p_));
      advance(1);
      s_.step_ = kAtCompactVersion;
      return Outcome::kDone;
    case kAtCompactVersion: {
      if (left_ == 0) return need_more("message header");
      const std::uint8_t version = *p_ & kCompactVersionMask;
      if (version != kCompactVersion)
        return fail(codec::invalid_value_error("bad compact protocol version",
                                               version));
      const std::uint8_t type = *p_ >> kCompactTypeShift;
      if (!is_message_type(type))
        return fail(codec::invalid_value_error("invalid message type", type));
      advance(1);
      s_.step_ = kAtCompactSeqid;
      return Outcome::kDone;
    }
    case kAtCompactSeqid: {
      std::uint32_t seqid;
      std::size_t used;
      if (Outcome o = compact_varint(kMaxVarint32, "seqid", seqid, used);
          o != Outcome::kDone)
        return o;
      advance(used);
      s_.step_ = kAtCompactNameLength;
      return Outcome::kDone;
    }
    case kAtCompactNameLength:
      if (Outcome o = compact_string(); o != Outcome::kDone) return o;
      s_.step_ = kAtBodyStart;
      return Outcome::kDone;
    case kAtBodyStart:
      if (depth_full()) return depth_exceeded();
      push_struct();
      s_.step_ = kInBody;
      return Outcome::kDone;
    default:
      return fail(absl::InternalError("MessageSplitter: bad step"));
  }
}

// ---- Binary -----------------------------------------------------------------

Outcome MessageSplitter::Scanner::binary_body() {
  for (;;) {
    if (s_.skip_left_ != 0 && !skip()) return Outcome::kNeedMore;
    if (s_.value_pending_) {
      if (Outcome o = binary_value(s_.value_type_); o != Outcome::kDone)
        return o;
      continue;
    }
    if (s_.stack_.empty()) return Outcome::kDone;
    Frame& f = s_.stack_.back();
    if (f.kind == kStruct) {
      binary_fields_in_slice();
      // Field header: type byte, i16 id; a stop is the type byte 0 alone.
      if (left_ == 0) return need_more("field header");
      const std::uint8_t type = *p_;
      if (type == 0) {
        advance(1);
        s_.stack_.pop_back();
        continue;
      }
      if (binary_min_size(type) == 0)
        return fail(codec::invalid_value_error("invalid type", type));
      if (left_ < 3) return need_more("field header");
      advance(3);
      s_.value_type_ = static_cast<TType>(type);
    } else {
      binary_items_in_slice(f);
      if (!next_item(f)) continue;
    }
    s_.value_pending_ = true;
  }
}

Outcome MessageSplitter::Scanner::binary_value(TType type) {
  const auto t = static_cast<std::uint8_t>(type);
  if (const std::uint32_t fixed = binary_fixed_size(t); fixed != 0) {
    s_.value_pending_ = false;
    return skip_fixed(fixed, type_name(type));
  }
  const std::uint8_t* d;
  switch (type) {
    case TType::kString: {
      if (peek(4, d) < 4) return need_more("string length");
      const auto n = static_cast<std::int32_t>(load_be32(d));
      if (n < 0) return fail(codec::negative_size_error("string", n));
      if (Outcome o = start_string(4, static_cast<std::uint32_t>(n));
          o != Outcome::kDone)
        return o;
      break;
    }
    case TType::kStruct:
      if (depth_full()) return depth_exceeded();
      push_struct();
      break;
    case TType::kList:
    case TType::kSet: {
      const bool set = type == TType::kSet;
      if (peek(5, d) < 5) return need_more(set ? "set header" : "list header");
      const std::uint8_t element = d[0];
      const auto n = static_cast<std::int32_t>(load_be32(d + 1));
      const std::uint32_t min = binary_min_size(element);
      if (min == 0 && n != 0)
        return fail(codec::invalid_value_error(
            set ? "invalid set element type" : "invalid list element type",
            element));
      if (n < 0)
        return fail(codec::negative_size_error(set ? "set" : "list", n));
      if (Outcome o = check_container(set ? "set" : "list", 5,
                                      static_cast<std::uint32_t>(n), min);
          o != Outcome::kDone)
        return o;
      advance(5);
      enter_list(static_cast<std::uint32_t>(n), static_cast<TType>(element),
                 binary_fixed_size(element));
      break;
    }
    case TType::kMap: {
      if (peek(6, d) < 6) return need_more("map header");
      const std::uint8_t key = d[0], value = d[1];
      const auto n = static_cast<std::int32_t>(load_be32(d + 2));
      const std::uint32_t k = binary_min_size(key), v = binary_min_size(value);
      if ((k == 0 || v == 0) && n != 0)
        return fail(
            k == 0
                ? codec::invalid_value_error("invalid map key type", key)
                : codec::invalid_value_error("invalid map value type", value));
      if (n < 0) return fail(codec::negative_size_error("map", n));
      if (Outcome o =
              check_container("map", 6, static_cast<std::uint32_t>(n), k + v);
          o != Outcome::kDone)
        return o;
      advance(6);
      enter_map(static_cast<std::uint32_t>(n), static_cast<TType>(key),
                static_cast<TType>(value), binary_fixed_size(key),
                binary_fixed_size(value));
      break;
    }
    default:  // field and element types were checked on the way in
      return fail(codec::invalid_value_error("invalid type", t));
  }
  s_.value_pending_ = false;
  return Outcome::kDone;
}

void MessageSplitter::Scanner::binary_fields_in_slice() noexcept {
  const std::uint32_t max_string = s_.limits_.max_string_length;
  const std::uint8_t* p = p_;
  while (end_ - p >= 3) {
    const std::uint8_t type = p[0];
    std::size_t n = binary_fixed_size(type);
    if (n != 0) {
      n += 3;
    } else if (type == static_cast<std::uint8_t>(TType::kString) &&
               end_ - p >= 7) {
      const std::uint32_t length = load_be32(p + 3);
      if (length > max_string || length > kMaxFrameLength) break;
      n = 7 + std::size_t{length};
    } else {
      break;
    }
    if (static_cast<std::size_t>(end_ - p) < n) break;
    p += n;
  }
  move_in_slice(p);
}

void MessageSplitter::Scanner::binary_items_in_slice(Frame& f) noexcept {
  const std::uint32_t max_string = s_.limits_.max_string_length;
  const std::uint8_t* p = p_;
  std::uint32_t remaining = f.remaining;
  while (remaining != 0 && end_ - p >= 4) {
    const TType type = f.kind == kMap && (remaining & 1) != 0 ? f.value : f.key;
    std::size_t n = binary_fixed_size(static_cast<std::uint8_t>(type));
    if (n == 0) {
      if (type != TType::kString) break;
      const std::uint32_t length = load_be32(p);
      if (length > max_string || length > kMaxFrameLength) break;
      n = 4 + std::size_t{length};
    }
    if (static_cast<std::size_t>(end_ - p) < n) break;
    p += n;
    --remaining;
  }
  f.remaining = remaining;
  move_in_slice(p);
}

// ---- Compact ----------------------------------------------------------------

template <class U>
Outcome MessageSplitter::Scanner::compact_varint(std::size_t max_bytes,
                                                 std::string_view what, U& v,
                                                 std::size_t& used) {
  const std::uint8_t* d;
  const std::size_t got = peek(max_bytes, d);
  used = parse_varint(d, got, max_bytes, v);
  if (used != 0) [[likely]]
    return Outcome::kDone;
  if (got >= max_bytes) return fail(varint_too_long(max_bytes));
  return need_more(what);
}

Outcome MessageSplitter::Scanner::compact_string() {
  std::uint32_t n;
  std::size_t used;
  if (Outcome o = compact_varint(kMaxVarint32, "string length", n, used);
      o != Outcome::kDone)
    return o;
  // Lengths are i32 on the wire, as in CompactReader.
  if (n > kMaxFrameLength)
    return fail(
        codec::negative_size_error("string", static_cast<std::int32_t>(n)));
  return start_string(used, n);
}

namespace {

// The size of the compact field at `p` (header and value, before `end`;
// `end - p` > 10) when it needs no check beyond these, else 0.
std::size_t compact_field_size(const std::uint8_t* p, const std::uint8_t* end,
                               std::uint32_t max_string) noexcept {
  const std::uint8_t header = p[0];
  if ((header >> 4) == 0) return 0;  // a stop, or an id that follows
  std::size_t n = 0;
  switch (header & 0x0f) {
    case 1:  // bool field: the value is the type
    case 2:
      return 1;
    case 3:  // byte
      return 2;
    case 4:  // i16, i32
    case 5:
      n = varint_length(p + 1, kMaxVarint32);
      return n == 0 ? 0 : 1 + n;
    case 6:  // i64
      n = varint_length(p + 1, kMaxVarint64);
      return n == 0 ? 0 : 1 + n;
    case 7:  // double
      n = 9;
      break;
    case 8: {  // string, binary
      std::uint32_t length;
      const std::size_t used =
          parse_varint(p + 1, kMaxVarint32, kMaxVarint32, length);
      if (used == 0 || length > max_string || length > kMaxFrameLength)
        return 0;
      n = 1 + used + length;
      break;
    }
    case 13:  // uuid
      n = 17;
      break;
    default:  // structs, containers, invalid types
      return 0;
  }
  return static_cast<std::size_t>(end - p) >= n ? n : 0;
}

// The same for a container item of type `type` (`end - p` >= 10).
std::size_t compact_item_size(TType type, const std::uint8_t* p,
                              const std::uint8_t* end,
                              std::uint32_t max_string) noexcept {
  std::size_t n = 0;
  switch (type) {
    case TType::kBool:
      return p[0] <= 2 ? 1 : 0;
    case TType::kByte:
      return 1;
    case TType::kDouble:
      return 8;
    case TType::kUuid:
      n = 16;
      break;
    case TType::kI16:
    case TType::kI32:
      return varint_length(p, kMaxVarint32);
    case TType::kI64:
      return varint_length(p, kMaxVarint64);
    case TType::kString: {
      std::uint32_t length;
      const std::size_t used =
          parse_varint(p, kMaxVarint32, kMaxVarint32, length);
      if (used == 0 || length > max_string || length > kMaxFrameLength)
        return 0;
      n = used + length;
      break;
    }
    default:
      return 0;
  }
  return static_cast<std::size_t>(end - p) >= n ? n : 0;
}

}  // namespace

void MessageSplitter::Scanner::compact_fields_in_slice() noexcept {
  const std::uint32_t max_string = s_.limits_.max_string_length;
  const std::uint8_t* p = p_;
  while (end_ - p > static_cast<std::ptrdiff_t>(kMaxVarint64)) {
    const std::size_t n = compact_field_size(p, end_, max_string);
    if (n == 0) break;
    p += n;
  }
  move_in_slice(p);
}

void MessageSplitter::Scanner::compact_items_in_slice(Frame& f) noexcept {
  const std::uint32_t max_string = s_.limits_.max_string_length;
  const std::uint8_t* p = p_;
  std::uint32_t remaining = f.remaining;
  while (remaining != 0 &&
         end_ - p >= static_cast<std::ptrdiff_t>(kMaxVarint64)) {
    const TType type = f.kind == kMap && (remaining & 1) != 0 ? f.value : f.key;
    const std::size_t n = compact_item_size(type, p, end_, max_string);
    if (n == 0) break;
    p += n;
    --remaining;
  }
  f.remaining = remaining;
  move_in_slice(p);
}

Outcome MessageSplitter::Scanner::compact_body() {
  const std::uint8_t* d;
  for (;;) {
    if (s_.skip_left_ != 0 && !skip()) return Outcome::kNeedMore;
    if (s_.value_pending_) {
      if (Outcome o = compact_value(s_.value_type_); o != Outcome::kDone)
        return o;
      continue;
    }
    if (s_.stack_.empty()) return Outcome::kDone;
    Frame& f = s_.stack_.back();
    if (f.kind == kStruct) {
      compact_fields_in_slice();
      // Field header: (delta << 4) | type, or type then a zigzag varint id;
      // a stop is any byte with type 0. A bool field's value is its type.
      if (left_ == 0) return need_more("field header");
      const std::uint8_t header = *p_;
      const std::uint8_t compact = header & 0x0f;
      if (compact == 0) {
        advance(1);
        s_.stack_.pop_back();
        continue;
      }
      const TType type = compact_ttype(compact);
      if (static_cast<std::uint8_t>(type) == kInvalidType)
        return fail(
            codec::invalid_value_error("invalid compact type", compact));
      if ((header >> 4) != 0) {
        advance(1);
      } else {
        const std::size_t got = peek(1 + kMaxVarint32, d);
        std::uint32_t id;
        const std::size_t used = parse_varint(d + 1, got - 1, kMaxVarint32, id);
        if (used == 0) {
          if (got - 1 >= kMaxVarint32)
            return fail(varint_too_long(kMaxVarint32));
          return need_more("field header");
        }
        advance(1 + used);
      }
      if (type == TType::kBool) continue;
      s_.value_type_ = type;
    } else {
      compact_items_in_slice(f);
      if (!next_item(f)) continue;
    }
    s_.value_pending_ = true;
  }
}

Outcome MessageSplitter::Scanner::compact_value(TType type) {
  const std::uint8_t* d;
  switch (type) {
    case TType::kBool: {
      // Only container elements get here: one byte, 1 true, 2 (or 0) false.
      if (left_ == 0) return need_more("bool");
      if (*p_ > 2)
        return fail(codec::invalid_value_error("invalid compact bool", *p_));
      advance(1);
      break;
    }
    case TType::kByte:
    case TType::kDouble:
    case TType::kUuid:
      s_.value_pending_ = false;
      return skip_fixed(compact_fixed_size(type), type_name(type));
    case TType::kI16:
    case TType::kI32:
    case TType::kI64: {
      const std::size_t max = type == TType::kI64 ? kMaxVarint64 : kMaxVarint32;
      std::uint64_t ignored;
      std::size_t used;
      if (Outcome o = compact_varint(max, type_name(type), ignored, used);
          o != Outcome::kDone)
        return o;
      advance(used);
      break;
    }
    case TType::kString:
      if (Outcome o = compact_string(); o != Outcome::kDone) return o;
      break;
    case TType::kStruct:
      if (depth_full()) return depth_exceeded();
      push_struct();
      break;
    case TType::kList:
    case TType::kSet: {
      // (size << 4) | element type, or 0xF_ then a varint size.
      const bool set = type == TType::kSet;
      const std::string_view what = set ? "set" : "list";
      const std::size_t got = peek(1 + kMaxVarint32, d);
      if (got == 0) return need_more(set ? "set header" : "list header");
      std::uint32_t n = d[0] >> 4;
      std::size_t used = 1;
      if (n == 15) {
        const std::size_t v = parse_varint(d + 1, got - 1, kMaxVarint32, n);
        if (v == 0) {
          if (got - 1 >= kMaxVarint32)
            return fail(varint_too_long(kMaxVarint32));
          return need_more(set ? "set header" : "list header");
        }
        used += v;
      }
      if (n > kMaxFrameLength)
        return fail(
            codec::negative_size_error(what, static_cast<std::int32_t>(n)));
      const std::uint8_t compact = d[0] & 0x0f;
      const TType element = compact_ttype(compact);
      const std::uint32_t min = compact_min_size(element);
      if (n != 0 && min == 0)
        return fail(codec::invalid_value_error("invalid compact element type",
                                               compact));
      if (Outcome o = check_container(what, used, n, min); o != Outcome::kDone)
        return o;
      advance(used);
      enter_list(n, element, compact_fixed_size(element));
      break;
    }
    case TType::kMap: {
      // 0x00 when empty, else a varint size and (key << 4) | value.
      const std::size_t got = peek(1 + kMaxVarint32, d);
      std::uint32_t n;
      const std::size_t used = parse_varint(d, got, kMaxVarint32, n);
      if (used == 0) {
        if (got >= kMaxVarint32) return fail(varint_too_long(kMaxVarint32));
        return need_more("map header");
      }
      if (n > kMaxFrameLength)
        return fail(
            codec::negative_size_error("map", static_cast<std::int32_t>(n)));
      if (n == 0) {
        if (depth_full()) return depth_exceeded();
        advance(used);
        break;
      }
      if (got < used + 1) return need_more("map header");
      const std::uint8_t types = d[used];
      const TType key = compact_ttype(types >> 4);
      const TType value = compact_ttype(types & 0x0f);
      const std::uint32_t k = compact_min_size(key),
                          v = compact_min_size(value);
      if (k == 0)
        return fail(codec::invalid_value_error("invalid compact map key type",
                                               types >> 4));
      if (v == 0)
        return fail(codec::invalid_value_error("invalid compact map value type",
                                               types & 0x0f));
      if (Outcome o = check_container("map", used + 1, n, k + v);
          o != Outcome::kDone)
        return o;
      advance(used + 1);
      enter_map(n, key, value, compact_fixed_size(key),
                compact_fixed_size(value));
      break;
    }
    default:  // field and element types were checked on the way in
      return fail(codec::invalid_value_error("invalid type",
                                             static_cast<std::uint8_t>(type)));
  }
  s_.value_pending_ = false;
  return Outcome::kDone;
}

// ---- MessageSplitter --------------------------------------------------------

MessageSplitter::MessageSplitter(WireFormat format,
                                 const codec::DecodeLimits& limits)
    : format_(format), limits_(limits) {
  reset_scan();
}

void MessageSplitter::reset_scan() noexcept {
  pos_ = 0;
  slice_index_ = 0;
  slice_offset_ = 0;
  skip_left_ = 0;
  step_ = format_.protocol == codec::ProtocolId::kBinary ? kAtBinaryHeader
                                                         : kAtCompactProtocolId;
  value_pending_ = false;
  stack_.clear();
}

Result<std::optional<IoBuf>> MessageSplitter::next(IoBuf& pending) {
  if (!error_.ok()) [[unlikely]]
    return error_;
  return format_.framing == Framing::kFramed ? next_framed(pending)
                                             : next_buffered(pending);
}

std::optional<std::string_view> MessageSplitter::contiguous_frame(
    const IoBuf& pending, std::size_t offset) const noexcept {
  if (format_.framing != Framing::kFramed || !error_.ok() || pending.empty()) {
    return {};
  }
  const IoBuf::Slice& first = pending.slices().front();
  if (first.size - offset < 4) return {};
  const char* frame = first.data + offset;
  const std::uint32_t length =
      load_be32(reinterpret_cast<const std::uint8_t*>(frame));
  if (length == 0 || length > frame_limit(limits_.max_message_size) ||
      first.size - offset - 4 < length) {
    return {};
  }
  return std::string_view(frame + 4, length);
}

Result<std::optional<IoBuf>> MessageSplitter::next_framed(IoBuf& pending) {
  std::uint8_t header[4];
  if (pending.copy_to(header, 4) < 4) {
    partial_ = pending.size();
    return std::nullopt;
  }
  const std::uint32_t length = load_be32(header);
  if (length == 0 || length > frame_limit(limits_.max_message_size))
      [[unlikely]] {
    error_ = frame_length_error(length, limits_.max_message_size, header);
    return error_;
  }
  if (pending.size() - 4 < length) {
    partial_ = pending.size();
    return std::nullopt;
  }
  pending.trim_front(4);
  partial_ = 0;
  return std::optional<IoBuf>(pending.split_front(length));
}

Result<std::optional<IoBuf>> MessageSplitter::next_buffered(IoBuf& pending) {
  if (pending.size() < pos_) [[unlikely]] {
    error_ = absl::FailedPreconditionError(
        "MessageSplitter: pending lost bytes between calls");
    return error_;
  }
  if (pending.empty()) {
    partial_ = 0;
    return std::nullopt;
  }
  Scanner scanner(*this, pending);
  const Outcome outcome = scanner.run();
  scanner.save();
  switch (outcome) {
    case Outcome::kDone: {
      IoBuf message = pending.split_front(pos_);
      reset_scan();
      partial_ = 0;
      return std::optional<IoBuf>(std::move(message));
    }
    case Outcome::kNeedMore:
      partial_ = pending.size();
      return std::nullopt;
    case Outcome::kError:
      break;
  }
  return error_;
}

}  // namespace ferry::thrift
