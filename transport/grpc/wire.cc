#include "transport/grpc/wire.h"

#include <fmt/core.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/escaping.h"

namespace ferry::grpc {
namespace {

// ---- Error text (cold) ------------------------------------------------------

[[gnu::cold, gnu::noinline]] Status bad_flag(std::uint8_t flag,
                                             std::uint64_t message) {
  return absl::InternalError(fmt::format(
      "grpc message: compressed flag {} is neither 0 nor 1 (message {})", flag,
      message));
}

[[gnu::cold, gnu::noinline]] Status too_long(std::uint64_t message,
                                             std::uint32_t length,
                                             std::size_t limit) {
  return absl::ResourceExhaustedError(fmt::format(
      "grpc message {}: length {} exceeds limit {}", message, length, limit));
}

[[gnu::cold, gnu::noinline]] Status zlib_error(std::string_view op, int ret,
                                               const z_stream& z) {
  if (ret == Z_MEM_ERROR) {
    return absl::ResourceExhaustedError(
        fmt::format("gzip: {}: out of memory", op));
  }
  return absl::InternalError(
      fmt::format("gzip: {}: {} (zlib error {}, after {} input bytes)", op,
                  z.msg != nullptr ? z.msg : "failed", ret, z.total_in));
}

[[gnu::cold, gnu::noinline]] Status truncated(const z_stream& z) {
  return absl::InternalError(
      fmt::format("gzip: decompress: compressed message truncated after {} "
                  "input bytes ({} bytes decompressed)",
                  z.total_in, z.total_out));
}

[[gnu::cold, gnu::noinline]] Status bomb(std::size_t limit) {
  return absl::ResourceExhaustedError(
      fmt::format("decompressed message exceeds limit {}", limit));
}

// ---- zlib plumbing ----------------------------------------------------------

// Collects zlib's output in chunks: `room(cap)` makes sure the current chunk
// has free space (allocating one of `cap` bytes when it is full), `commit`
// records what zlib wrote, `finish` hands the chunks over as an IoBuf.
class ChunkSink {
 public:
  ChunkSink() = default;
  ChunkSink(const ChunkSink&) = delete;
  ChunkSink& operator=(const ChunkSink&) = delete;
  ~ChunkSink() {
    if (chunk_ != nullptr) internal::chunk_unref(chunk_);
  }

  bool full() const noexcept {
    return chunk_ == nullptr || chunk_->used == chunk_->capacity;
  }

  // Precondition: full().
  void next_chunk(std::size_t cap) {
    flush();
    chunk_ = internal::allocate_chunk(cap);
  }

  Bytef* data() const noexcept {
    return reinterpret_cast<Bytef*>(chunk_->data + chunk_->used);
  }
  uInt space() const noexcept {
    return static_cast<uInt>(chunk_->capacity - chunk_->used);
  }
  void commit(std::size_t n) noexcept {
    chunk_->used += static_cast<std::uint32_t>(n);
    total_ += n;
  }
  std::size_t total() const noexcept { return total_; }

  IoBuf finish() {
    flush();
    return std::move(out_);
  }

 private:
  void flush() {
    if (chunk_ == nullptr) return;
    internal::ChunkHeader* c = std::exchange(chunk_, nullptr);
    out_.append(IoBuf::adopt(c, c->data, c->used));  // unrefs an empty chunk
  }

  internal::ChunkHeader* chunk_ = nullptr;
  IoBuf out_;
  std::size_t total_ = 0;
};

// Walks an IoBuf's slices as zlib input, in pieces zlib's uInt can hold.
class SliceSource {
 public:
  explicit SliceSource(const IoBuf& in) : slices_(in.slices()) {}

  // Loads the next non-empty piece into `z` when its input is used up;
  // false when there is none left.
  bool refill(z_stream& z) noexcept {
    while (z.avail_in == 0) {
      if (index_ == slices_.size()) return false;
      const IoBuf::Slice& s = slices_[index_];
      const std::size_t left = s.size - offset_;
      const std::size_t take =
          std::min<std::size_t>(left, std::numeric_limits<uInt>::max());
      z.next_in = reinterpret_cast<Bytef*>(s.data + offset_);
      z.avail_in = static_cast<uInt>(take);
      offset_ += take;
      if (offset_ == s.size) {
        ++index_;
        offset_ = 0;
      }
    }
    return true;
  }

  bool exhausted(const z_stream& z) const noexcept {
    if (z.avail_in != 0) return false;
    for (std::size_t i = index_; i < slices_.size(); ++i) {
      if (slices_[i].size > offset_) return false;
    }
    return true;
  }

 private:
  const IoBuf::Slices& slices_;
  std::size_t index_ = 0;
  std::size_t offset_ = 0;
};

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper
constexpr std::size_t kOutputChunk = 16 * 1024;

std::array<bool, 256> make_table(bool (*pred)(unsigned char)) {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[c] = pred(static_cast<unsigned char>(c));
  return t;
}

// Bytes `percent_encode` writes as they are.
const std::array<bool, 256> kPlain = make_table(
    [](unsigned char c) { return c >= 0x20 && c <= 0x7e && c != '%'; });
const std::array<bool, 256> kKeyChar = make_table([](unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
});

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---- MessageDeframer --------------------------------------------------------

Status MessageDeframer::fail(Status status) {
  error_ = std::move(status);
  pending_.clear();
  have_prefix_ = false;
  return error_;
}

void MessageDeframer::feed(IoBuf data) {
  if (!error_.ok()) return;  // `data` is released here
  pending_.append(std::move(data));
}

Result<std::optional<Frame>> MessageDeframer::next() {
  if (!error_.ok()) [[unlikely]]
    return error_;
  if (!have_prefix_) {
    if (pending_.empty()) return std::nullopt;
    // The flag byte alone is enough to reject a stream.
    const auto flag = static_cast<std::uint8_t>(pending_.slices()[0].data[0]);
    if (flag > 1) [[unlikely]]
      return fail(bad_flag(flag, messages_ + 1));
    if (pending_.size() < kMessagePrefixSize) return std::nullopt;
    unsigned char prefix[kMessagePrefixSize];
    pending_.copy_to(prefix, kMessagePrefixSize);
    const std::uint32_t length = std::uint32_t{prefix[1]} << 24 |
                                 std::uint32_t{prefix[2]} << 16 |
                                 std::uint32_t{prefix[3]} << 8 | prefix[4];
    if (length > max_message_size_) [[unlikely]]
      return fail(too_long(messages_ + 1, length, max_message_size_));
    pending_.trim_front(kMessagePrefixSize);
    compressed_ = flag == 1;
    length_ = length;
    have_prefix_ = true;
  }
  if (pending_.size() < length_) return std::nullopt;
  have_prefix_ = false;
  ++messages_;
  return Frame{compressed_, pending_.split_front(length_)};
}

IoBuf frame_message(IoBuf payload, bool compressed) {
  assert(payload.size() <= std::numeric_limits<std::uint32_t>::max());
  const auto length = static_cast<std::uint32_t>(payload.size());
  const char prefix[kMessagePrefixSize] = {
      static_cast<char>(compressed ? 1 : 0), static_cast<char>(length >> 24),
      static_cast<char>(length >> 16), static_cast<char>(length >> 8),
      static_cast<char>(length)};
  IoBuf out = IoBuf::copy_from(std::string_view(prefix, kMessagePrefixSize));
  out.append(std::move(payload));
  return out;
}

// ---- grpc-timeout -----------------------------------------------------------

std::optional<std::chrono::nanoseconds> parse_timeout(
    std::string_view value) noexcept {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  std::int64_t n = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  std::int64_t unit;
  switch (value.back()) {
    case 'H':
      unit = 3'600'000'000'000;
      break;
    case 'M':
      unit = 60'000'000'000;
      break;
    case 'S':
      unit = 1'000'000'000;
      break;
    case 'm':
      unit = 1'000'000;
      break;
    case 'u':
      unit = 1'000;
      break;
    case 'n':
      unit = 1;
      break;
    default:
      return std::nullopt;
  }
  std::int64_t ns;
  if (__builtin_mul_overflow(n, unit, &ns)) {
    return std::chrono::nanoseconds::max();
  }
  return std::chrono::nanoseconds(ns);
}

std::string format_timeout(std::chrono::nanoseconds timeout) {
  static constexpr struct {
    std::int64_t ns;
    char unit;
  } kUnits[] = {{1, 'n'},
                {1'000, 'u'},
                {1'000'000, 'm'},
                {1'000'000'000, 'S'},
                {60'000'000'000, 'M'},
                {3'600'000'000'000, 'H'}};
  constexpr std::int64_t kMaxValue = 99'999'999;
  const std::int64_t ns = timeout.count();
  if (ns <= 0) return "1n";
  // Hours always fit: int64 nanoseconds are at most ~2.6 million hours.
  for (const auto& u : kUnits) {
    const std::int64_t value = (ns - 1) / u.ns + 1;  // rounded up
    if (value <= kMaxValue || u.unit == 'H') {
      char buf[10];
      char* end = std::to_chars(buf, buf + 8, value).ptr;
      *end++ = u.unit;
      return std::string(buf, end);
    }
  }
  return "1n";  // not reached
}

// ---- grpc-message -----------------------------------------------------------

std::string percent_encode(std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t extra = 0;
  for (char c : message) extra += kPlain[static_cast<unsigned char>(c)] ? 0 : 2;
  if (extra == 0) return std::string(message);
  std::string out;
  out.reserve(message.size() + extra);
  for (char c : message) {
    const auto b = static_cast<unsigned char>(c);
    if (kPlain[b]) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  }
  return out;
}

std::string percent_decode(std::string_view value) {
  if (value.find('%') == std::string_view::npos) return std::string(value);
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 2 < value.size()) {
      const int hi = hex_value(value[i + 1]);
      const int lo = hex_value(value[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(value[i]);
  }
  return out;
}

// ---- Custom metadata --------------------------------------------------------

bool is_binary_header(std::string_view key) noexcept {
  return key.ends_with("-bin");
}

std::string encode_binary_header(std::string_view value) {
  std::string out =
      absl::Base64Escape(absl::string_view(value.data(), value.size()));
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::optional<std::string> decode_binary_header(std::string_view value) {
  std::string out;
  if (!absl::Base64Unescape(absl::string_view(value.data(), value.size()),
                            &out)) {
    return std::nullopt;
  }
  return out;
}

bool is_valid_header_key(std::string_view key) noexcept {
  if (key.empty()) return false;
  for (char c : key) {
    if (!kKeyChar[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

bool is_valid_ascii_header_value(std::string_view value) noexcept {
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// ---- gzip -------------------------------------------------------------------

Result<IoBuf> gzip_compress(const IoBuf& in) {
  z_stream z{};
  int ret = deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits,
                         /*memLevel=*/8, Z_DEFAULT_STRATEGY);
  if (ret != Z_OK) [[unlikely]]
    return zlib_error("compress", ret, z);
  struct End {
    z_stream* z;
    ~End() { deflateEnd(z); }
  } end{&z};

  ChunkSink sink;
  // One chunk of deflate's worst case for the whole input, so the output is
  // usually one slice; more chunks only if the bound is ever off.
  const std::size_t bound =
      in.size() <= std::numeric_limits<uLong>::max() / 2
          ? deflateBound(&z, static_cast<uLong>(in.size()))
          : kOutputChunk;
  std::size_t next_cap =
      std::min<std::size_t>(bound, std::numeric_limits<std::uint32_t>::max());
  SliceSource source(in);
  for (;;) {
    const bool more = source.refill(z);
    if (sink.full()) {
      sink.next_chunk(next_cap);
      next_cap = kOutputChunk;
    }
    z.next_out = sink.data();
    z.avail_out = sink.space();
    const uInt before = z.avail_out;
    ret = deflate(&z, more ? Z_NO_FLUSH : Z_FINISH);
    sink.commit(before - z.avail_out);
    if (ret == Z_STREAM_END) break;
    if (ret != Z_OK && ret != Z_BUF_ERROR) [[unlikely]]
      return zlib_error("compress", ret, z);
  }
  return sink.finish();
}

Result<IoBuf> gzip_decompress(const IoBuf& in, std::size_t max_output) {
  z_stream z{};
  int ret = inflateInit2(&z, kGzipWindowBits);
  if (ret != Z_OK) [[unlikely]]
    return zlib_error("decompress", ret, z);
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};

  ChunkSink sink;
  SliceSource source(in);
  for (;;) {
    const bool more = source.refill(z);
    if (sink.full()) {
      // Room for at most one byte past the limit: enough to tell that the
      // message is too large without producing (or allocating) more.
      const std::size_t left = max_output - sink.total();
      sink.next_chunk(left >= kOutputChunk ? kOutputChunk : left + 1);
    }
    z.next_out = sink.data();
    z.avail_out = sink.space();
    const uInt before = z.avail_out;
    ret = inflate(&z, Z_NO_FLUSH);
    sink.commit(before - z.avail_out);
    if (sink.total() > max_output) [[unlikely]]
      return bomb(max_output);
    if (ret == Z_STREAM_END) {
      if (source.exhausted(z)) break;
      // Another gzip member follows (RFC 1952 allows several).
      ret = inflateReset(&z);
      if (ret != Z_OK) [[unlikely]]
        return zlib_error("decompress", ret, z);
      continue;
    }
    if (ret == Z_BUF_ERROR || ret == Z_OK) {
      // No progress with input left means output space ran out (a new
      // chunk comes next round); with none left the stream is cut short.
      if (!more && z.avail_out != 0) [[unlikely]]
        return truncated(z);
      continue;
    }
    return zlib_error("decompress", ret, z);
  }
  return sink.finish();
}

}  // namespace ferry::grpc
