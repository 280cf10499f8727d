#pragma once

// An intrusive FIFO of runnable items for one worker. Nodes live inside the
// objects that queue them (ops, sleepers, spawned-task records) and unlink
// themselves when destroyed, so a task destroyed while queued is never run.

namespace ferry::internal {

struct ReadyNode {
  using Fn = void (*)(ReadyNode*) noexcept;
  explicit ReadyNode(Fn fn) noexcept : run(fn) {}
  ReadyNode(const ReadyNode&) = delete;
  ReadyNode& operator=(const ReadyNode&) = delete;
  ~ReadyNode() { unlink(); }

  bool queued() const noexcept { return queue_prev != nullptr; }
  void unlink() noexcept {
    if (queue_prev == nullptr) return;
    queue_prev->queue_next = queue_next;
    queue_next->queue_prev = queue_prev;
    queue_prev = queue_next = nullptr;
  }

  Fn run;
  ReadyNode* queue_prev = nullptr;
  ReadyNode* queue_next = nullptr;
};

class ReadyQueue {
 public:
  ReadyQueue() noexcept : sentinel_(nullptr) {
    sentinel_.queue_prev = sentinel_.queue_next = &sentinel_;
  }
  ~ReadyQueue() {
    while (!empty()) sentinel_.queue_next->unlink();
    sentinel_.queue_prev = sentinel_.queue_next = nullptr;
  }
  ReadyQueue(const ReadyQueue&) = delete;
  ReadyQueue& operator=(const ReadyQueue&) = delete;

  bool empty() const noexcept { return sentinel_.queue_next == &sentinel_; }

  void push(ReadyNode* n) noexcept {
    if (n->queued()) return;
    n->queue_prev = sentinel_.queue_prev;
    n->queue_next = &sentinel_;
    sentinel_.queue_prev->queue_next = n;
    sentinel_.queue_prev = n;
  }

  ReadyNode* pop() noexcept {
    if (empty()) return nullptr;
    ReadyNode* n = sentinel_.queue_next;
    n->unlink();
    return n;
  }

 private:
  ReadyNode sentinel_;
};

}  // namespace ferry::internal
