#pragma once

// raw_echo replaces the global operator new/delete (alloc_counter.cc) to
// count the allocations each thread makes. The server reports how many its
// workers made per echoed message once warmed up: the runtime's zero-copy
// read path, recycled coroutine frames and pooled ops are meant to keep that
// number at zero, and this is how the example shows it.

#include <cstdint>

namespace ferry::raw_echo {

// operator new calls (every form) made so far by the calling thread.
uint64_t thread_allocations() noexcept;

}  // namespace ferry::raw_echo
