#pragma once

// The byte containers the protocols read from and write to.
//
// - `WriteBuffer`: a growable contiguous output. Writers make room with
//   `ensure(n)`, store through the returned pointer and `commit(n)`. Its
//   storage is an `IoBuf` chunk, so `take()` hands the encoded bytes to a
//   transport as an `IoBuf` without copying.
// - `SpanInput`: a contiguous input (a pointer and an end).
// - `ChainInput`: an input over a received `IoBuf` (a chain of slices). A
//   value that lies within one slice is read in place; one that straddles a
//   slice boundary is copied (into the destination, or for a string view
//   into storage the ChainInput owns).
//
//   WriteBuffer buf;
//   BinaryWriter<> w(buf);
//   request.write(w);
//   IoBuf frame = buf.take();                        // no copy
//   BinaryReader<ChainInput> r{ChainInput(frame)};   // frame outlives r
//
// Readers only use the input members listed in the `ByteInput` concept
// below; writers only those in `ByteOutput`.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/io_buf.h"

namespace ferry::codec {

// What a protocol reader needs from its input. The reader's fast path is
// `contiguous() >= n`, then `data()` and `advance(n)`: one bounds check per
// primitive. The other members are its slow path and may cross slices.
//
// - `remaining()` is every byte left, across slices. Readers compare lengths
//   and element counts against it before allocating.
// - `copy_out(dst, n)`, `skip(n)` and `view(n)` require `n <= remaining()`.
// - `view(n)` returns the next `n` bytes as one string_view; it stays valid
//   while the input (and whatever the input reads from) lives.
// clang-format off
template <class In>
concept ByteInput = requires(In& in, const In& cin, void* dst, std::size_t n) {
  { cin.data() } -> std::same_as<const char*>;
  { cin.contiguous() } -> std::same_as<std::size_t>;
  { cin.remaining() } -> std::same_as<std::size_t>;
  { in.advance(n) } -> std::same_as<void>;
  { in.copy_out(dst, n) } -> std::same_as<void>;
  { in.skip(n) } -> std::same_as<void>;
  { in.view(n) } -> std::same_as<std::string_view>;
};

// What a protocol writer needs from its output: room for `n` more bytes at
// the returned pointer (`ensure`), then `commit` of how many were written.
template <class Out>
concept ByteOutput = requires(Out& out, const void* src, std::size_t n) {
  { out.ensure(n) } -> std::same_as<char*>;
  { out.commit(n) } -> std::same_as<void>;
  { out.append(src, n) } -> std::same_as<void>;
};
// clang-format on

// A growable contiguous output buffer.
//
// The bytes live in one heap `IoBuf` chunk that doubles when it runs out
// (one memcpy of what was written so far). `clear()` keeps the chunk, so a
// buffer reused per connection stops allocating once it has seen its
// largest message. `take()` gives the chunk away as an `IoBuf` (no copy);
// the next write allocates a fresh chunk of the same capacity.
//
// A chunk holds at most 4 GiB - 1; growing past that terminates (writers
// cannot fail, and no Thrift message is that large).
class WriteBuffer {
 public:
  // First allocation, unless a larger first write needs more. Sized to the
  // runtime's pooled chunk classes.
  static constexpr std::size_t kDefaultInitialCapacity =
      IoBuf::kDefaultChunkSize;

  WriteBuffer() noexcept = default;
  // Allocates nothing until the first write; then at least `initial_capacity`.
  explicit WriteBuffer(std::size_t initial_capacity) noexcept
      : next_capacity_(initial_capacity) {}
  WriteBuffer(WriteBuffer&& o) noexcept
      : chunk_(std::exchange(o.chunk_, nullptr)),
        begin_(std::exchange(o.begin_, nullptr)),
        pos_(std::exchange(o.pos_, nullptr)),
        end_(std::exchange(o.end_, nullptr)),
        next_capacity_(o.next_capacity_) {}
  WriteBuffer& operator=(WriteBuffer&& o) noexcept {
    if (this != &o) {
      release_chunk();
      chunk_ = std::exchange(o.chunk_, nullptr);
      begin_ = std::exchange(o.begin_, nullptr);
      pos_ = std::exchange(o.pos_, nullptr);
      end_ = std::exchange(o.end_, nullptr);
      next_capacity_ = o.next_capacity_;
    }
    return *this;
  }
  WriteBuffer(const WriteBuffer&) = delete;
  WriteBuffer& operator=(const WriteBuffer&) = delete;
  ~WriteBuffer() { release_chunk(); }

  // Returns a pointer with room for at least `n` bytes; write into it, then
  // `commit` what was written. The pointer is invalidated by the next
  // `ensure`, `append` or `take`.
  char* ensure(std::size_t n) {
    if (static_cast<std::size_t>(end_ - pos_) < n) [[unlikely]]
      grow(n);
    return pos_;
  }
  // Marks `n` bytes at the `ensure` pointer as written (n <= what was ensured).
  void commit(std::size_t n) noexcept { pos_ += n; }

  // Appends a copy of `n` bytes from `src`.
  void append(const void* src, std::size_t n) {
    char* p = ensure(n);
    if (n != 0) std::memcpy(p, src, n);
    pos_ += n;
  }
  void append_byte(std::uint8_t b) {
    *ensure(1) = static_cast<char>(b);
    ++pos_;
  }

  // The bytes written so far. Valid until the buffer is next modified.
  std::string_view view() const noexcept {
    return {begin_, static_cast<std::size_t>(pos_ - begin_)};
  }
  // Mutable access to the written bytes, e.g. to patch a frame length the
  // transport reserved with `ensure(4); commit(4)` before encoding.
  char* data() noexcept { return begin_; }
  std::size_t size() const noexcept {
    return static_cast<std::size_t>(pos_ - begin_);
  }
  std::size_t capacity() const noexcept {
    return static_cast<std::size_t>(end_ - begin_);
  }
  // Forgets the written bytes and keeps the storage.
  void clear() noexcept { pos_ = begin_; }

  // Hands the written bytes over as an IoBuf without copying: the IoBuf
  // takes this buffer's chunk, and the buffer is left empty with no storage
  // (the next write allocates a chunk as large as the one given away).
  // Returns an empty IoBuf when nothing was written.
  IoBuf take();

 private:
  // Makes room for `n` more bytes: a new chunk of max(2 * capacity, size +
  // n, next_capacity_), with the written bytes copied over.
  [[gnu::noinline]] void grow(std::size_t n);
  void release_chunk() noexcept;

  internal::ChunkHeader* chunk_ = nullptr;
  char* begin_ = nullptr;
  char* pos_ = nullptr;
  char* end_ = nullptr;
  std::size_t next_capacity_ = kDefaultInitialCapacity;
};

// A contiguous input: reads [data, data + size). Does not own the bytes;
// they must outlive the input and every string_view read from it.
class SpanInput {
 public:
  SpanInput() noexcept = default;
  SpanInput(const char* data, std::size_t size) noexcept
      : pos_(data), end_(data + size) {}
  explicit SpanInput(std::string_view bytes) noexcept
      : SpanInput(bytes.data(), bytes.size()) {}

  const char* data() const noexcept { return pos_; }
  std::size_t contiguous() const noexcept {
    return static_cast<std::size_t>(end_ - pos_);
  }
  std::size_t remaining() const noexcept { return contiguous(); }
  void advance(std::size_t n) noexcept { pos_ += n; }
  void copy_out(void* dst, std::size_t n) noexcept {
    if (n != 0) std::memcpy(dst, pos_, n);
    pos_ += n;
  }
  void skip(std::size_t n) noexcept { pos_ += n; }
  std::string_view view(std::size_t n) noexcept {
    std::string_view v(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  const char* pos_ = nullptr;
  const char* end_ = nullptr;
};

// An input over an `IoBuf` chain. Does not own or modify the IoBuf, which
// must outlive the ChainInput and every string_view read from it.
//
// Reads within the current slice go through the same fast path as
// SpanInput. A read that crosses into the next slice is copied; a
// `view(n)` that crosses is copied into a block this ChainInput owns, so
// the view stays valid as long as the ChainInput lives (one allocation per
// such view, which only values straddling a receive-buffer boundary pay).
class ChainInput {
 public:
  explicit ChainInput(const IoBuf& buf) noexcept;
  // Over one contiguous range, which must outlive the input likewise.
  ChainInput(const char* data, std::size_t size) noexcept
      : pos_(data), end_(data + size) {}
  ChainInput(ChainInput&&) noexcept = default;
  ChainInput& operator=(ChainInput&&) noexcept = default;

  const char* data() const noexcept { return pos_; }
  std::size_t contiguous() const noexcept {
    return static_cast<std::size_t>(end_ - pos_);
  }
  std::size_t remaining() const noexcept { return contiguous() + after_; }
  // n <= contiguous().
  void advance(std::size_t n) noexcept { pos_ += n; }
  void copy_out(void* dst, std::size_t n) noexcept;
  void skip(std::size_t n) noexcept;
  std::string_view view(std::size_t n);

  // The copies behind views that straddled slices (see `view`).
  using SpillBlocks = std::vector<std::unique_ptr<char[]>>;
  // Hands them over, for a caller whose views outlive this input (the
  // server keeps a request's until its reply is written).
  SpillBlocks take_spill() noexcept {
    return spill_ ? std::move(*spill_) : SpillBlocks();
  }
  bool has_spill() const noexcept { return spill_ && !spill_->empty(); }

 private:
  // Moves to the next slice once the current one is used up.
  void next_slice() noexcept;

  const IoBuf::Slice* slice_ = nullptr;  // current slice
  const IoBuf::Slice* last_ = nullptr;   // one past the last slice
  const char* pos_ = nullptr;
  const char* end_ = nullptr;
  std::size_t after_ = 0;  // bytes in the slices after the current one
  // Made by the first straddling view: a null pointer keeps moving an input
  // (into a reader, out of a request) as cheap as copying its fields.
  std::unique_ptr<SpillBlocks> spill_;
};

static_assert(ByteInput<SpanInput>);
static_assert(ByteInput<ChainInput>);
static_assert(ByteOutput<WriteBuffer>);

}  // namespace ferry::codec
