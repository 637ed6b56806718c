// DeferredQueue<T>: an event-driven FIFO whose get() returns a Deferred (Twisted's
// twisted.internet.defer.DeferredQueue).
//
//   DeferredQueue<Page> q(16);        // DeferredQueue(size=16): at most 16 items held
//   q.put(page);                      // hands it to the oldest waiting get, or keeps it
//   q.get().add_callback(process);    // fires now if an item is held, else on the next put
//
// As in Twisted, put() never waits: it raises QueueOverflow when `size` items are held
// already and nobody is waiting for one; get() raises QueueUnderflow when `backlog` gets
// are waiting already. A producer that must wait for room pairs the queue with a
// DeferredSemaphore(size) of free slots (acquire before put, release after get): that is
// the Twisted idiom for backpressure, and it keeps put from ever overflowing.
//
// Guarantees: items come out in the order they were put; waiting gets are served oldest
// first; never more than `size` items held (nullopt: no bound), never more than `backlog`
// gets waiting (nullopt: no bound). A Deferred fires inside put() or get(), after the
// queue's state is updated, so its callbacks may use the queue again at once.
// Not provided: cancelling a waiting get (this model's Deferreds have no cancel()).
// Ownership: waiting gets still queued when the queue is destroyed never fire.
// Cost: a deque operation per call and one Deferred per get. Thread-safety: none; the
// reactor's thread, as every Deferred.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <stdexcept>
#include <utility>

#include "models/callbacks/deferred.hpp"

namespace cmbench::callbacks {

struct QueueOverflow : std::runtime_error {
  QueueOverflow() : std::runtime_error("DeferredQueue: put() with the queue full") {}
};
struct QueueUnderflow : std::runtime_error {
  QueueUnderflow() : std::runtime_error("DeferredQueue: get() with the backlog full") {}
};

template <class T>
class DeferredQueue {
 public:
  explicit DeferredQueue(std::optional<std::size_t> size = std::nullopt,
                         std::optional<std::size_t> backlog = std::nullopt)
      : size_(size), backlog_(backlog) {}
  DeferredQueue(const DeferredQueue&) = delete;
  DeferredQueue& operator=(const DeferredQueue&) = delete;

  void put(T item) {
    if (!waiting_.empty()) {
      Deferred<T> next = std::move(waiting_.front());
      waiting_.pop_front();
      next.callback(std::move(item));
      return;
    }
    if (size_ && pending_.size() >= *size_) throw QueueOverflow();
    pending_.push_back(std::move(item));
  }

  Deferred<T> get() {
    Deferred<T> d;
    if (!pending_.empty()) {
      T item = std::move(pending_.front());
      pending_.pop_front();
      d.callback(std::move(item));
      return d;
    }
    if (backlog_ && waiting_.size() >= *backlog_) throw QueueUnderflow();
    waiting_.push_back(d);
    return d;
  }

  std::size_t size() const noexcept { return pending_.size(); }  // items held
  std::size_t waiting() const noexcept { return waiting_.size(); }

 private:
  std::optional<std::size_t> size_, backlog_;
  std::deque<T> pending_;
  std::deque<Deferred<T>> waiting_;
};

}  // namespace cmbench::callbacks
