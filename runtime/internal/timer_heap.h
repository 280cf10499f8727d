#pragma once

// A binary min-heap of timers keyed by deadline, with each timer's heap index
// stored in the timer itself: insert and cancel are O(log n) with no
// allocation beyond the heap's vector (which stops growing once the number of
// concurrent timers plateaus). The worker asks for the earliest deadline once
// per loop turn and passes it to the kernel as that turn's only timeout.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ferry::internal {

using Clock = std::chrono::steady_clock;

struct TimerNode {
  using Fn = void (*)(TimerNode*) noexcept;
  explicit TimerNode(Fn fn) noexcept : fire(fn) {}
  TimerNode(const TimerNode&) = delete;
  TimerNode& operator=(const TimerNode&) = delete;

  bool armed() const noexcept { return heap_index != kNotArmed; }

  static constexpr std::size_t kNotArmed = ~std::size_t{0};
  Fn fire;
  Clock::time_point deadline{};
  uint64_t seq = 0;  // insertion order: equal deadlines fire FIFO
  std::size_t heap_index = kNotArmed;
};

class TimerHeap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  Clock::time_point earliest() const noexcept { return heap_[0]->deadline; }

  void insert(TimerNode* t, Clock::time_point deadline) {
    if (t->armed()) remove(t);
    t->deadline = deadline;
    t->seq = next_seq_++;
    t->heap_index = heap_.size();
    heap_.push_back(t);
    sift_up(t->heap_index);
  }

  void remove(TimerNode* t) noexcept {
    if (!t->armed()) return;
    const std::size_t i = t->heap_index;
    t->heap_index = TimerNode::kNotArmed;
    TimerNode* last = heap_.back();
    heap_.pop_back();
    if (last == t) return;
    heap_[i] = last;
    last->heap_index = i;
    sift_down(i);
    sift_up(last->heap_index);
  }

  // The sequence number the next insert gets. Passing it to pop_expired
  // as `inserted_before` keeps timers armed while firing for a later turn.
  uint64_t next_seq() const noexcept { return next_seq_; }

  // Removes and returns the earliest timer if its deadline is <= now and it
  // was inserted before `inserted_before`.
  TimerNode* pop_expired(Clock::time_point now,
                         uint64_t inserted_before = ~uint64_t{0}) noexcept {
    if (heap_.empty() || heap_[0]->deadline > now ||
        heap_[0]->seq >= inserted_before) {
      return nullptr;
    }
    TimerNode* t = heap_[0];
    remove(t);
    return t;
  }

 private:
  static bool before(const TimerNode* a, const TimerNode* b) noexcept {
    return a->deadline < b->deadline ||
           (a->deadline == b->deadline && a->seq < b->seq);
  }
  void place(std::size_t i, TimerNode* t) noexcept {
    heap_[i] = t;
    t->heap_index = i;
  }
  void sift_up(std::size_t i) noexcept {
    TimerNode* t = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(t, heap_[parent])) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, t);
  }
  void sift_down(std::size_t i) noexcept {
    TimerNode* t = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], t)) break;
      place(i, heap_[child]);
      i = child;
    }
    place(i, t);
  }

  std::vector<TimerNode*> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace ferry::internal
