#include "runtime/internal/frame_allocator.h"

#include <new>

namespace ferry::internal {
namespace {

constexpr std::size_t kClasses = kMaxPooledSize / kFrameClassSize;

struct FreeBlock {
  FreeBlock* next;
};

struct ThreadCache {
  FreeBlock* heads[kClasses] = {};
  std::size_t counts[kClasses] = {};
  std::size_t misses = 0;
  bool alive = true;

  ~ThreadCache() {
    alive = false;
    for (std::size_t c = 0; c < kClasses; ++c) {
      while (heads[c] != nullptr) {
        FreeBlock* b = heads[c];
        heads[c] = b->next;
        ::operator delete(b);
      }
    }
  }
};

thread_local ThreadCache cache;

}  // namespace

void* frame_alloc(std::size_t size) {
  if (size == 0) [[unlikely]]
    size = 1;
#ifndef FERRY_SANITIZER_BUILD
  if (size <= kMaxPooledSize && cache.alive) [[likely]] {
    const std::size_t c = (size - 1) / kFrameClassSize;
    if (FreeBlock* b = cache.heads[c]; b != nullptr) [[likely]] {
      cache.heads[c] = b->next;
      --cache.counts[c];
      return b;
    }
    ++cache.misses;
    return ::operator new((c + 1) * kFrameClassSize);
  }
#endif
  ++cache.misses;
  return ::operator new(size);
}

void frame_free(void* p, std::size_t size) noexcept {
  if (size == 0) [[unlikely]]
    size = 1;
#ifndef FERRY_SANITIZER_BUILD
  if (size <= kMaxPooledSize && cache.alive) [[likely]] {
    const std::size_t c = (size - 1) / kFrameClassSize;
    constexpr auto limit = [](std::size_t cls) {
      const std::size_t by_bytes =
          kMaxCachedBytesPerClass / ((cls + 1) * kFrameClassSize);
      return by_bytes < kMaxCachedPerClass ? by_bytes : kMaxCachedPerClass;
    };
    if (cache.counts[c] < limit(c)) [[likely]] {
      auto* b = static_cast<FreeBlock*>(p);
      b->next = cache.heads[c];
      cache.heads[c] = b;
      ++cache.counts[c];
      return;
    }
  }
#else
  (void)size;
#endif
  ::operator delete(p);
}

std::size_t frame_allocator_misses() noexcept { return cache.misses; }

}  // namespace ferry::internal
