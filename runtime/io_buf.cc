#include "runtime/io_buf.h"

#include <algorithm>
#include <new>

#include "runtime/internal/frame_allocator.h"

namespace ferry {
namespace internal {
namespace {

constexpr std::size_t kHeaderSize =
    (sizeof(ChunkHeader) + 15) & ~std::size_t{15};

void release_heap_chunk(ChunkHeader* c) noexcept {
  const std::size_t total = kHeaderSize + c->capacity;
  c->~ChunkHeader();
  frame_free(c, total);
}

}  // namespace

ChunkHeader* allocate_chunk(std::size_t capacity) {
  void* mem = frame_alloc(kHeaderSize + capacity);
  auto* c = ::new (mem) ChunkHeader{};
  c->refs = 1;
  c->capacity = static_cast<uint32_t>(capacity);
  c->used = 0;
  c->data = static_cast<char*>(mem) + kHeaderSize;
  c->release = &release_heap_chunk;
  return c;
}

}  // namespace internal

IoBuf IoBuf::copy_from(std::string_view bytes) {
  IoBuf b;
  if (bytes.empty()) return b;
  internal::ChunkHeader* c = internal::allocate_chunk(bytes.size());
  std::memcpy(c->data, bytes.data(), bytes.size());
  c->used = static_cast<uint32_t>(bytes.size());
  b.slices_.push_back({c, c->data, bytes.size()});
  b.size_ = bytes.size();
  return b;
}

IoBuf IoBuf::clone() const {
  IoBuf b;
  b.slices_ = slices_;
  for (Slice& s : b.slices_) internal::chunk_ref(s.chunk);
  b.size_ = size_;
  return b;
}

void IoBuf::append(IoBuf&& other) {
  if (other.empty()) return;
  if (empty()) {
    *this = std::move(other);
    return;
  }
  for (Slice& s : other.slices_) slices_.push_back(s);
  size_ += other.size_;
  other.slices_.clear();
  other.size_ = 0;
}

void IoBuf::append(std::string_view bytes) {
  if (bytes.empty()) return;
  if (!slices_.empty()) {
    // Write in place when the last slice ends at its chunk's fill mark and
    // nobody else can see the chunk.
    Slice& last = slices_.back();
    internal::ChunkHeader* c = last.chunk;
    if (c->refs == 1 && c->owner == nullptr &&
        last.data + last.size == c->data + c->used && c->used < c->capacity) {
      const std::size_t n =
          std::min<std::size_t>(bytes.size(), c->capacity - c->used);
      std::memcpy(c->data + c->used, bytes.data(), n);
      c->used += static_cast<uint32_t>(n);
      last.size += n;
      size_ += n;
      bytes.remove_prefix(n);
    }
  }
  while (!bytes.empty()) {
    const std::size_t cap = std::max(
        bytes.size() <= kDefaultChunkSize ? kDefaultChunkSize : bytes.size(),
        std::size_t{1});
    internal::ChunkHeader* c = internal::allocate_chunk(cap);
    const std::size_t n = std::min(bytes.size(), cap);
    std::memcpy(c->data, bytes.data(), n);
    c->used = static_cast<uint32_t>(n);
    slices_.push_back({c, c->data, n});
    size_ += n;
    bytes.remove_prefix(n);
  }
}

IoBuf IoBuf::split_front(std::size_t n) {
  IoBuf head;
  if (n == 0) return head;
  if (n >= size_) {
    head = std::move(*this);
    return head;
  }
  std::size_t i = 0;
  std::size_t left = n;
  while (left >= slices_[i].size) {
    left -= slices_[i].size;
    head.slices_.push_back(slices_[i]);
    ++i;
  }
  if (left > 0) {
    Slice& s = slices_[i];
    internal::chunk_ref(s.chunk);
    head.slices_.push_back({s.chunk, s.data, left});
    s.data += left;
    s.size -= left;
  }
  slices_.erase(slices_.begin(), slices_.begin() + i);
  head.size_ = n;
  size_ -= n;
  return head;
}

void IoBuf::trim_front(std::size_t n) {
  std::size_t i = 0;
  size_ -= n;
  while (n > 0 && n >= slices_[i].size) {
    n -= slices_[i].size;
    internal::chunk_unref(slices_[i].chunk);
    ++i;
  }
  slices_.erase(slices_.begin(), slices_.begin() + i);
  if (n > 0) {
    slices_.front().data += n;
    slices_.front().size -= n;
  }
}

std::size_t IoBuf::copy_to(void* dst, std::size_t n,
                           std::size_t offset) const noexcept {
  auto* out = static_cast<char*>(dst);
  std::size_t copied = 0;
  for (const Slice& s : slices_) {
    if (copied == n) break;
    if (offset >= s.size) {
      offset -= s.size;
      continue;
    }
    const std::size_t take = std::min(s.size - offset, n - copied);
    std::memcpy(out + copied, s.data + offset, take);
    copied += take;
    offset = 0;
  }
  return copied;
}

const char* IoBuf::coalesce(std::size_t n) {
  if (n == 0) return slices_.empty() ? nullptr : slices_.front().data;
  if (slices_.front().size >= n) return slices_.front().data;
  // Copy the first n bytes into one new chunk and splice it in front.
  internal::ChunkHeader* c = internal::allocate_chunk(n);
  copy_to(c->data, n);
  c->used = static_cast<uint32_t>(n);
  const std::size_t total = size_;
  trim_front(n);
  slices_.insert(slices_.begin(), Slice{c, c->data, n});
  size_ = total;
  return c->data;
}

std::string IoBuf::to_string() const {
  std::string s;
  s.reserve(size_);
  for (const Slice& sl : slices_) s.append(sl.data, sl.size);
  return s;
}

std::size_t IoBuf::fill_iovecs(iovec* iov, std::size_t max) const noexcept {
  std::size_t n = std::min(max, slices_.size());
  for (std::size_t i = 0; i < n; ++i) {
    iov[i].iov_base = slices_[i].data;
    iov[i].iov_len = slices_[i].size;
  }
  return n;
}

bool operator==(const IoBuf& buf, std::string_view bytes) {
  if (buf.size() != bytes.size()) return false;
  std::size_t off = 0;
  for (const IoBuf::Slice& s : buf.slices()) {
    if (std::memcmp(s.data, bytes.data() + off, s.size) != 0) return false;
    off += s.size;
  }
  return true;
}

}  // namespace ferry
