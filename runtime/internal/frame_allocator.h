#pragma once

// Per-thread recycling allocator for coroutine frames and other small,
// short-lived runtime objects (pending ops, spawned-task records).
//
// Sizes up to kMaxPooledSize are rounded up to a 64-byte class and kept on a
// per-thread free list when released, so a steady stream of requests reuses
// the same frames without touching malloc. Memory freed on another thread
// goes to *that* thread's list (it is plain malloc memory, so that is safe).
// Each list keeps at most kMaxCachedPerClass blocks (fewer for large
// classes, see kMaxCachedBytesPerClass); the rest go back to malloc. Under
// sanitizer builds (FERRY_SANITIZER_BUILD) everything goes
// straight to malloc so ASan sees every use-after-free.

#include <cstddef>

namespace ferry::internal {

inline constexpr std::size_t kFrameClassSize = 64;
inline constexpr std::size_t kMaxPooledSize = 16384;
// Each class caches at most this many bytes (and at most 1024 blocks).
inline constexpr std::size_t kMaxCachedBytesPerClass = 4 << 20;
inline constexpr std::size_t kMaxCachedPerClass = 1024;

void* frame_alloc(std::size_t size);
void frame_free(void* p, std::size_t size) noexcept;

// Number of blocks this thread has taken from malloc through frame_alloc
// (a test and benchmark aid: steady state should not move it).
std::size_t frame_allocator_misses() noexcept;

}  // namespace ferry::internal
