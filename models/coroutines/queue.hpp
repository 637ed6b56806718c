// Queue<T>: a FIFO between tasks of one loop (asyncio.Queue), bounded or not.
//
//   Queue<int> q(8);                 // at most 8 items; 0 means unbounded
//   co_await q.put(1);               // waits while the queue is full: backpressure
//   int v = co_await q.get();        // waits while it is empty
//   q.task_done(); co_await q.join();  // every item put has been processed
//
// Hand-off: a put that finds a getter waiting gives it the item directly, and a get that
// makes room moves the oldest waiting putter's item in; so items keep their order, no
// waiter starves (oldest first) and a woken task never finds its item gone.
// Cancellation: a waiting get or put that is cancelled leaves the queue (a put's item is
// not added) and raises CancelledError; one already completed by a hand-off returns
// normally and the cancel is delivered at the next suspension point.
// Cost: put and get that need not wait are a deque operation; one that waits is a wake-up
// through the ready queue. Thread-safety: the loop's thread only.
#pragma once

#include <coroutine>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

#include "models/coroutines/event.hpp"
#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines {

template <class T>
class Queue {
 public:
  explicit Queue(std::size_t maxsize = 0) noexcept : maxsize_(maxsize) {
    finished_.set();  // nothing unfinished yet: join() returns at once (asyncio's starts set)
  }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  std::size_t qsize() const noexcept { return items_.size(); }
  std::size_t maxsize() const noexcept { return maxsize_; }
  bool empty() const noexcept { return items_.empty(); }
  bool full() const noexcept { return maxsize_ > 0 && items_.size() >= maxsize_; }

  class [[nodiscard]] Get final : public detail::Suspension, public detail::WaitNode {
   public:
    explicit Get(Queue& q) noexcept : q_(q) {}
    ~Get() { q_.getters_.remove(*this); }
    bool await_ready() const noexcept { return !q_.items_.empty(); }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
      if (!begin(h)) return h;
      q_.getters_.push_back(*this);
      return switch_away();
    }
    T await_resume() {
      end();
      if (item_) return std::move(*item_);
      return q_.take();
    }
    bool withdraw() noexcept override {
      q_.getters_.remove(*this);
      cancelled_ = true;
      return true;
    }

   private:
    friend class Queue;
    Queue& q_;
    std::optional<T> item_;  // handed over by a put
  };

  class [[nodiscard]] Put final : public detail::Suspension, public detail::WaitNode {
   public:
    Put(Queue& q, T item) : q_(q), item_(std::move(item)) {}
    ~Put() { q_.putters_.remove(*this); }
    bool await_ready() {
      if (q_.full()) return false;
      q_.push(std::move(item_));
      return true;
    }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
      if (!begin(h)) return h;
      q_.putters_.push_back(*this);
      return switch_away();
    }
    void await_resume() const { end(); }
    bool withdraw() noexcept override {
      q_.putters_.remove(*this);
      cancelled_ = true;
      return true;
    }

   private:
    friend class Queue;
    Queue& q_;
    T item_;
  };

  Get get() noexcept { return Get(*this); }
  Put put(T item) { return Put(*this, std::move(item)); }

  // Raise QueueFull / QueueEmpty instead of waiting.
  void put_nowait(T item) {
    if (full()) throw QueueFull();
    push(std::move(item));
  }
  T get_nowait() {
    if (items_.empty()) throw QueueEmpty();
    return take();
  }

  // join() returns once every item put has been marked done with task_done().
  void task_done() {
    if (unfinished_ == 0) throw InvalidStateError("Queue.task_done() called too many times");
    if (--unfinished_ == 0) finished_.set();
  }
  auto join() noexcept { return finished_.wait(); }

 private:
  // Adds an item: to a waiting getter if there is one (the queue is then empty), else to
  // the queue.
  void push(T item) {
    ++unfinished_;
    finished_.clear();
    if (!getters_.empty()) {
      Get& g = getters_.pop_front();
      g.item_.emplace(std::move(item));
      g.task_->wake();
      return;
    }
    items_.push_back(std::move(item));
  }
  // Takes the oldest item, and lets the oldest waiting putter's item in.
  T take() {
    T item = std::move(items_.front());
    items_.pop_front();
    if (!putters_.empty()) {
      Put& p = putters_.pop_front();
      items_.push_back(std::move(p.item_));
      p.task_->wake();
    }
    return item;
  }

  std::size_t maxsize_;
  std::deque<T> items_;
  detail::WaitList<Get> getters_;
  detail::WaitList<Put> putters_;
  std::size_t unfinished_ = 0;
  Event finished_;
};

}  // namespace cmbench::coroutines
