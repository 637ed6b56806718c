// The two building blocks of every awaiter that suspends a task on an event of the loop
// (sleep, Event, Lock, Semaphore, Queue, streams, to_thread, gather, wait):
//  - Suspension: suspends the current task, or refuses to when a cancellation is pending
//    (then await_resume raises CancelledError at once: "delivered at the next suspension
//    point"); a withdraw() that succeeds marks the awaiter cancelled, so that its
//    await_resume raises.
//  - WaitList: a FIFO of suspended awaiters, linked through the awaiters themselves (no
//    allocation). Event, Lock, Semaphore and Queue wake the oldest first, so no waiter
//    starves.
// An event that has woken a task has done its work: a cancel that arrives between the wake
// and the task's next step is delivered at the task's next suspension, not by this one (so
// a Lock handed over, a Queue item, a thread's result is never lost to a cancellation).
#pragma once

#include <coroutine>

#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/task.hpp"

namespace cmbench::coroutines::detail {

class Suspension : public Waiting {
 protected:
  Suspension() = default;
  Suspension(const Suspension&) = delete;
  Suspension& operator=(const Suspension&) = delete;
  ~Suspension() = default;

  // Suspends the current task at `h` on this awaiter; false if a cancellation was pending
  // (the task goes on at once and end() raises).
  bool begin(std::coroutine_handle<> h) {
    task_ = &TaskCore::current();
    if (task_->take_cancel()) {
      cancelled_ = true;
      return false;
    }
    task_->suspend(h, this);
    return true;
  }
  // await_suspend's answer once begin() has suspended the task: the task the loop would
  // run next, when it can be switched to directly, else the loop (TaskCore::next_step).
  std::coroutine_handle<> switch_away() const noexcept {
    return TaskCore::next_step(*task_->loop());
  }
  // In await_resume: raises CancelledError if the wait was cancelled.
  void end() const {
    if (cancelled_) throw CancelledError{};
  }
  Engine& engine() const noexcept { return task_->loop()->engine(); }

  TaskCore* task_ = nullptr;  // the suspended task
  bool cancelled_ = false;
};

// A node of a WaitList: derive an awaiter from it.
class WaitNode {
 public:
  bool linked() const noexcept { return linked_; }

 private:
  template <class>
  friend class WaitList;
  WaitNode* prev_ = nullptr;
  WaitNode* next_ = nullptr;
  bool linked_ = false;
};

template <class Node>
class WaitList {
 public:
  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;

  bool empty() const noexcept { return first_ == nullptr; }
  Node& front() const noexcept { return static_cast<Node&>(*first_); }
  void push_back(Node& n) noexcept {
    WaitNode& w = n;
    w.prev_ = last_;
    w.next_ = nullptr;
    w.linked_ = true;
    (last_ ? last_->next_ : first_) = &w;
    last_ = &w;
  }
  void remove(Node& n) noexcept {
    WaitNode& w = n;
    if (!w.linked_) return;
    (w.prev_ ? w.prev_->next_ : first_) = w.next_;
    (w.next_ ? w.next_->prev_ : last_) = w.prev_;
    w.prev_ = w.next_ = nullptr;
    w.linked_ = false;
  }
  Node& pop_front() noexcept {
    Node& n = front();
    remove(n);
    return n;
  }

 private:
  WaitNode* first_ = nullptr;
  WaitNode* last_ = nullptr;
};

}  // namespace cmbench::coroutines::detail
