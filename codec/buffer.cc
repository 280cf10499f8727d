#include "codec/buffer.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace ferry::codec {

void WriteBuffer::grow(std::size_t n) {
  const std::size_t used = size();
  std::size_t want = std::max({capacity() * 2, used + n, next_capacity_});
  // A chunk's capacity is 32 bits; writers cannot report failure, and no
  // Thrift message comes near this, so running out is fatal like OOM.
  constexpr std::size_t kMaxChunk = std::numeric_limits<std::uint32_t>::max();
  if (used + n > kMaxChunk || used + n < used) std::abort();
  want = std::min(want, kMaxChunk);
  internal::ChunkHeader* fresh = internal::allocate_chunk(want);
  if (used != 0) std::memcpy(fresh->data, begin_, used);
  release_chunk();
  chunk_ = fresh;
  begin_ = fresh->data;
  pos_ = begin_ + used;
  end_ = begin_ + want;
  next_capacity_ = want;
}

void WriteBuffer::release_chunk() noexcept {
  if (chunk_ != nullptr) internal::chunk_unref(chunk_);
  chunk_ = nullptr;
  begin_ = pos_ = end_ = nullptr;
}

IoBuf WriteBuffer::take() {
  if (chunk_ == nullptr) return IoBuf();
  const std::size_t n = size();
  chunk_->used = static_cast<std::uint32_t>(n);
  // `adopt` takes over our reference (and drops it when n == 0).
  IoBuf out = IoBuf::adopt(chunk_, begin_, n);
  chunk_ = nullptr;
  begin_ = pos_ = end_ = nullptr;
  return out;
}

ChainInput::ChainInput(const IoBuf& buf) noexcept {
  const IoBuf::Slices& slices = buf.slices();
  slice_ = slices.data();
  last_ = slices.data() + slices.size();
  after_ = buf.size();
  if (slice_ != last_) {
    pos_ = slice_->data;
    end_ = pos_ + slice_->size;
    after_ -= slice_->size;
  }
}

void ChainInput::next_slice() noexcept {
  while (pos_ == end_ && slice_ != last_ && slice_ + 1 != last_) {
    ++slice_;
    pos_ = slice_->data;
    end_ = pos_ + slice_->size;
    after_ -= slice_->size;
  }
}

void ChainInput::copy_out(void* dst, std::size_t n) noexcept {
  auto* out = static_cast<char*>(dst);
  while (n > 0) {
    next_slice();
    const std::size_t take = std::min(n, contiguous());
    std::memcpy(out, pos_, take);
    out += take;
    pos_ += take;
    n -= take;
  }
}

void ChainInput::skip(std::size_t n) noexcept {
  while (n > 0) {
    next_slice();
    const std::size_t take = std::min(n, contiguous());
    pos_ += take;
    n -= take;
  }
}

std::string_view ChainInput::view(std::size_t n) {
  if (n == 0) return {};
  next_slice();
  if (contiguous() >= n) {
    std::string_view v(pos_, n);
    pos_ += n;
    return v;
  }
  // Straddles slices: the view points into a copy this input owns.
  if (!spill_) spill_ = std::make_unique<SpillBlocks>();
  auto& block = spill_->emplace_back(std::make_unique_for_overwrite<char[]>(n));
  copy_out(block.get(), n);
  return {block.get(), n};
}

}  // namespace ferry::codec
