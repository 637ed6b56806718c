// Queue<T>: Python's queue.Queue, a FIFO between OS threads, bounded by maxsize (0: no
// bound, Python's convention).
//
//   threads::Queue<Page> q(16);      // q = queue.Queue(maxsize=16)
//   q.put(page);                     // blocks while 16 items wait: backpressure
//   Page next = q.get();             // blocks while it is empty
//   q.task_done(); q.join();         // join() returns once every item put is done
//
// Guarantees: items come out in the order they went in; the queue never holds more than
// maxsize items (put waits, under the same mutex that counts them); a put or get woken by
// another thread rechecks its condition, so a spurious wake-up never loses or duplicates
// an item. put_nowait / get_nowait raise Full / Empty instead of waiting; the timed forms
// raise them once the timeout has passed. task_done more often than items were put raises
// std::logic_error (Python's ValueError).
// Not guaranteed: fairness among waiting threads (the condition variable wakes any one).
// Cost: a mutex and, when a thread waits, a futex wake-up: ≈ 5 µs on the same vCPU, 30–40 µs
// across vCPUs here. Thread-safe: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

namespace cmbench::threads {

struct Full : std::runtime_error {
  Full() : std::runtime_error("threads::Queue is full") {}
};
struct Empty : std::runtime_error {
  Empty() : std::runtime_error("threads::Queue is empty") {}
};

template <class T>
class Queue {
 public:
  using clock = std::chrono::steady_clock;

  explicit Queue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  void put(T item) { put_until(std::move(item), std::nullopt); }
  void put(T item, clock::duration timeout) { put_until(std::move(item), clock::now() + timeout); }
  void put_nowait(T item) { put_until(std::move(item), clock::time_point::min()); }

  T get() { return get_until(std::nullopt); }
  T get(clock::duration timeout) { return get_until(clock::now() + timeout); }
  T get_nowait() { return get_until(clock::time_point::min()); }

  // Marks one item taken by get() as processed; join() returns when none is left.
  void task_done() {
    std::lock_guard lock(mutex_);
    if (unfinished_ == 0) throw std::logic_error("task_done() called too many times");
    if (--unfinished_ == 0) all_done_.notify_all();
  }
  void join() {
    std::unique_lock lock(mutex_);
    all_done_.wait(lock, [this] { return unfinished_ == 0; });
  }

  std::size_t qsize() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }
  bool empty() const { return qsize() == 0; }
  bool full() const {
    std::lock_guard lock(mutex_);
    return full_locked();
  }
  std::size_t maxsize() const noexcept { return maxsize_; }

 private:
  bool full_locked() const { return maxsize_ > 0 && items_.size() >= maxsize_; }

  // Waits on `cv` until `ready()`; false if `deadline` (nullopt: none) passed first.
  template <class Ready>
  static bool wait(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Ready ready,
                   std::optional<clock::time_point> deadline) {
    if (!deadline) {
      cv.wait(lock, ready);
      return true;
    }
    return cv.wait_until(lock, *deadline, ready);
  }

  void put_until(T&& item, std::optional<clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    if (!wait(
            lock, not_full_, [this] { return !full_locked(); }, deadline))
      throw Full();
    items_.push_back(std::move(item));
    ++unfinished_;
    not_empty_.notify_one();
  }

  T get_until(std::optional<clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    if (!wait(
            lock, not_empty_, [this] { return !items_.empty(); }, deadline))
      throw Empty();
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  const std::size_t maxsize_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_, not_full_, all_done_;
  std::deque<T> items_;
  std::size_t unfinished_ = 0;
};

}  // namespace cmbench::threads
