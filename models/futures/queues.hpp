// Queue<T>: tornado.queues.Queue, a FIFO between the callbacks and coroutines of one
// IOLoop, bounded by maxsize (0: no bound). put and get return futures instead of blocking.
//
//   futures::Queue<Page> q(16);                  // q = Queue(maxsize=16)
//   q.put(page).add_done_callback(...);          // resolves once the page is in the queue
//   q.get().add_done_callback(...);              // resolves with the oldest page
//   q.task_done(); q.join().add_done_callback(...);  // every item put has been processed
//
// Guarantees: items come out in the order they went in; the queue never holds more than
// maxsize items: a put that finds it full is held, with its item, until a get makes room,
// then its item goes in and its future resolves. A put that finds a get waiting hands the
// item to that get directly. Waiting gets and puts are served oldest first. Futures resolve
// inside put() and get() (this model's futures run their callbacks inline), after the
// queue's state is updated, so a callback may use the queue again at once.
// put_nowait / get_nowait raise QueueFull / QueueEmpty instead of waiting; task_done more
// often than items were put raises std::logic_error (Tornado's ValueError).
// Not provided: put and get timeouts (wrap the future in with_timeout; unlike Tornado's, a
// timed-out waiter stays queued here and its item or slot is still taken).
// Cost: a deque operation and a resolved future per call; a waiting call keeps one future
// in a deque. Thread-safety: the loop's thread only, as every future.
#pragma once

#include <cstddef>
#include <deque>
#include <stdexcept>
#include <utility>
#include <vector>

#include "models/futures/future.hpp"

namespace cmbench::futures {

struct QueueFull : std::runtime_error {
  QueueFull() : std::runtime_error("futures::Queue is full") {}
};
struct QueueEmpty : std::runtime_error {
  QueueEmpty() : std::runtime_error("futures::Queue is empty") {}
};

template <class T>
class Queue {
 public:
  explicit Queue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  std::size_t qsize() const noexcept { return items_.size(); }
  std::size_t maxsize() const noexcept { return maxsize_; }
  bool empty() const noexcept { return items_.empty(); }
  bool full() const noexcept { return maxsize_ > 0 && items_.size() >= maxsize_; }

  Future<void> put(T item) {
    Future<void> done;
    if (full() && getters_.empty()) {
      putters_.emplace_back(std::move(item), done);
      return done;
    }
    push(std::move(item));
    done.set_result();
    return done;
  }
  void put_nowait(T item) {
    if (full() && getters_.empty()) throw QueueFull();
    push(std::move(item));
  }

  Future<T> get() {
    Future<T> item;
    if (items_.empty()) {
      getters_.push_back(item);
      return item;
    }
    item.set_result(take());
    return item;
  }
  T get_nowait() {
    if (items_.empty()) throw QueueEmpty();
    return take();
  }

  // Marks one item taken by get() as processed; join()'s future resolves when none is left.
  void task_done() {
    if (unfinished_ == 0) throw std::logic_error("task_done() called too many times");
    if (--unfinished_ > 0) return;
    for (auto& joiner : std::exchange(joiners_, {})) joiner.set_result();
  }
  Future<void> join() {
    Future<void> done;
    if (unfinished_ == 0)
      done.set_result();
    else
      joiners_.push_back(done);
    return done;
  }

 private:
  // Adds an item: to the oldest waiting get if there is one (the queue is then empty),
  // else to the queue.
  void push(T item) {
    ++unfinished_;
    if (!getters_.empty()) {
      Future<T> getter = std::move(getters_.front());
      getters_.pop_front();
      getter.set_result(std::move(item));
      return;
    }
    items_.push_back(std::move(item));
  }
  // Takes the oldest item, and lets the oldest waiting put's item in.
  T take() {
    T item = std::move(items_.front());
    items_.pop_front();
    if (!putters_.empty()) {
      auto [waiting, done] = std::move(putters_.front());
      putters_.pop_front();
      items_.push_back(std::move(waiting));
      ++unfinished_;
      done.set_result();
    }
    return item;
  }

  std::size_t maxsize_;
  std::deque<T> items_;
  std::deque<Future<T>> getters_;
  std::deque<std::pair<T, Future<void>>> putters_;
  std::vector<Future<void>> joiners_;
  std::size_t unfinished_ = 0;
};

}  // namespace cmbench::futures
