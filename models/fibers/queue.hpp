// Queue<T>, as gevent.queue.Queue: FIFO between greenlets, bounded by maxsize (0: no
// bound, Python's convention). put() blocks while it is full, get() while it is empty;
// the _nowait forms raise QueueFull / QueueEmpty instead, and the timed forms raise them
// after the timeout.
//
// Why not on boost::fibers::buffered_channel: a channel's waits are Boost's own, so kill()
// and a Timeout could not take a greenlet out of them; its capacity must be a power of two
// (≥ 2) and it holds one item fewer, where gevent's maxsize is any number. The waits here
// are the model's (wait.hpp), and a greenlet interrupted just after being woken passes the
// wake-up on to the next waiter, so no item or free slot is left unclaimed.
//
// Thread-safety: guarded by a spinlock, usable across threads; timed waits need the hub.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <stdexcept>
#include <utility>

#include "models/core/engine.hpp"
#include "models/fibers/wait.hpp"

namespace cmbench::fibers {

struct QueueFull : std::runtime_error {
  QueueFull() : std::runtime_error("fibers::Queue is full") {}
};
struct QueueEmpty : std::runtime_error {
  QueueEmpty() : std::runtime_error("fibers::Queue is empty") {}
};

template <class T>
class Queue {
 public:
  explicit Queue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  void put(T item) { put_until(std::move(item), std::nullopt); }
  void put(T item, std::chrono::nanoseconds timeout) {
    put_until(std::move(item), monotonic_ns() + timeout.count());
  }
  void put_nowait(T item) {
    SpinGuard lock(lock_);
    if (full_locked()) throw QueueFull();
    push_locked(std::move(item));
  }

  T get() { return get_until(std::nullopt); }
  T get(std::chrono::nanoseconds timeout) { return get_until(monotonic_ns() + timeout.count()); }
  T get_nowait() {
    SpinGuard lock(lock_);
    if (items_.empty()) throw QueueEmpty();
    return pop_locked();
  }

  std::size_t qsize() const {
    SpinGuard lock(lock_);
    return items_.size();
  }
  bool empty() const { return qsize() == 0; }
  bool full() const {
    SpinGuard lock(lock_);
    return full_locked();
  }
  std::size_t maxsize() const noexcept { return maxsize_; }

 private:
  bool full_locked() const noexcept { return maxsize_ > 0 && items_.size() >= maxsize_; }
  void push_locked(T&& item) {
    items_.push_back(std::move(item));
    getters_.notify_one();
  }
  T pop_locked() {
    T item = std::move(items_.front());
    items_.pop_front();
    putters_.notify_one();
    return item;
  }

  // Waits in `q` until `ready()` holds; on an interrupt or a timeout, passes on a wake-up
  // this greenlet may have taken while the condition holds for another waiter.
  template <class Ready>
  void wait_for(SpinGuard& lock, WaitQueue& q, Ready ready, std::optional<std::int64_t> deadline) {
    while (!ready()) {
      bool woken;
      try {
        woken = deadline ? q.wait_until(lock, *deadline) : (q.wait(lock), true);
      } catch (...) {
        lock.lock();
        if (ready()) q.notify_one();
        throw;
      }
      lock.lock();
      if (!woken) {
        if (ready()) return;
        throw_timeout(q);
      }
    }
  }
  [[noreturn]] void throw_timeout(const WaitQueue& q) const {
    if (&q == &getters_) throw QueueEmpty();
    throw QueueFull();
  }

  void put_until(T&& item, std::optional<std::int64_t> deadline) {
    SpinGuard lock(lock_);
    wait_for(
        lock, putters_, [this] { return !full_locked(); }, deadline);
    push_locked(std::move(item));
  }
  T get_until(std::optional<std::int64_t> deadline) {
    SpinGuard lock(lock_);
    wait_for(
        lock, getters_, [this] { return !items_.empty(); }, deadline);
    return pop_locked();
  }

  std::size_t maxsize_;
  mutable Spinlock lock_;
  std::deque<T> items_;
  WaitQueue getters_{lock_};
  WaitQueue putters_{lock_};
};

}  // namespace cmbench::fibers
