#pragma once

// `IoBuf`: a chain of slices of refcounted byte chunks, the currency of
// every read and write in ferry.
//
//   chunk A [.........]        chunk B (ring buffer 17)  [.......]
//             ^slice 1^                                   ^slice 2^
//   IoBuf = [slice 1, slice 2]; size() = |slice 1| + |slice 2|
//
// Splitting (`split_front`), appending another IoBuf and `clone()` share
// chunks by bumping a refcount; bytes are copied only by `append(bytes)`,
// `copy_from` and `coalesce`. A chunk may be a buffer the kernel filled from
// the worker's provided-buffer ring: when its last reference goes, the buffer
// returns to the ring, so a received message can be handed to the writer
// without a copy.
//
//   IoBuf frame = received.split_front(4 + payload_len);   // no copy
//   co_await stream.write(std::move(frame));               // no copy either
//
// Ownership and threads: refcounts are not atomic. An IoBuf and every IoBuf
// sharing its chunks must stay on the worker thread that produced them (ring
// buffers are returned to that worker's ring). Move an IoBuf's bytes to
// another thread with `copy_from(to_string())` or a fresh buffer.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/inlined_vector.h"

namespace ferry {

namespace internal {

// Header of one chunk. `data` points either just past the header (chunks
// from `allocate_chunk`) or into a provided-buffer ring.
struct ChunkHeader {
  uint32_t refs;
  uint32_t capacity;
  uint32_t used;  // bytes written so far (for appending in place)
  uint16_t buffer_id;
  char* data;
  void (*release)(ChunkHeader*) noexcept;  // runs when refs drops to 0
  void* owner;                             // for release (e.g. the ring)
};

// A heap chunk able to hold `capacity` bytes (refs = 1, used = 0).
ChunkHeader* allocate_chunk(std::size_t capacity);

inline void chunk_ref(ChunkHeader* c) noexcept { ++c->refs; }
inline void chunk_unref(ChunkHeader* c) noexcept {
  if (--c->refs == 0) c->release(c);
}

}  // namespace internal

class IoBuf {
 public:
  // Default capacity of chunks that `append(bytes)` allocates.
  static constexpr std::size_t kDefaultChunkSize = 4096 - 64;

  // One contiguous piece of an IoBuf.
  struct Slice {
    internal::ChunkHeader* chunk;
    char* data;
    std::size_t size;
    std::string_view view() const noexcept { return {data, size}; }
  };
  // Four inline slices: a pipelined frame usually spans a leftover partial
  // chunk plus one or two received buffers; more spills to the heap.
  using Slices = absl::InlinedVector<Slice, 4>;

  IoBuf() noexcept = default;
  IoBuf(IoBuf&& o) noexcept
      : slices_(std::move(o.slices_)), size_(std::exchange(o.size_, 0)) {
    o.slices_.clear();
  }
  IoBuf& operator=(IoBuf&& o) noexcept {
    if (this != &o) {
      clear();
      slices_ = std::move(o.slices_);
      o.slices_.clear();
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  // Copying is explicit: `clone()` shares, `copy_from(to_string())` copies.
  IoBuf(const IoBuf&) = delete;
  IoBuf& operator=(const IoBuf&) = delete;
  ~IoBuf() { clear(); }

  // A new IoBuf holding a copy of `bytes` in one chunk.
  static IoBuf copy_from(std::string_view bytes);

  // Wraps an existing chunk reference (takes over one reference).
  static IoBuf adopt(internal::ChunkHeader* chunk, char* data,
                     std::size_t size) noexcept {
    IoBuf b;
    if (size == 0) {
      internal::chunk_unref(chunk);
    } else {
      b.slices_.push_back({chunk, data, size});
      b.size_ = size;
    }
    return b;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const Slices& slices() const noexcept { return slices_; }

  // Another IoBuf over the same bytes (shares chunks, no copy).
  IoBuf clone() const;

  // Appends `other`'s slices (no copy).
  void append(IoBuf&& other);
  // Appends a copy of `bytes`, into the last chunk's free space when this
  // IoBuf is its only user, otherwise into new chunks.
  void append(std::string_view bytes);

  // Removes the first `n` bytes (n <= size()) and returns them as an IoBuf
  // sharing the same chunks.
  IoBuf split_front(std::size_t n);
  // Drops the first `n` bytes (n <= size()).
  void trim_front(std::size_t n);

  // Copies up to `n` bytes starting at `offset` into `dst`; returns the
  // number copied.
  std::size_t copy_to(void* dst, std::size_t n,
                      std::size_t offset = 0) const noexcept;

  // Makes the first `n` bytes (n <= size()) contiguous, copying only when
  // they span chunks, and returns a pointer to them. Valid until the IoBuf
  // is next modified.
  const char* coalesce(std::size_t n);

  std::string to_string() const;

  // Fills up to `max` iovecs with the first slices; returns how many.
  std::size_t fill_iovecs(iovec* iov, std::size_t max) const noexcept;

  void clear() noexcept {
    for (Slice& s : slices_) internal::chunk_unref(s.chunk);
    slices_.clear();
    size_ = 0;
  }

 private:
  Slices slices_;
  std::size_t size_ = 0;
};

// Byte-wise equality with a string (test helper and debugging aid).
bool operator==(const IoBuf& buf, std::string_view bytes);

}  // namespace ferry
