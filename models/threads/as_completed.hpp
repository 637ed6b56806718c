// concurrent.futures.as_completed: the given futures, yielded as they complete (finish or are
// cancelled), whatever order they were submitted in:
//
//   for (auto future : as_completed(futures)) use(future.result());
//
// Guarantees: each future is yielded exactly once; a future done before the loop starts is
// yielded first; advancing blocks until one more future completes. Not guaranteed: the
// order among futures that complete at the same moment. Cost: one done callback per future
// and a mutex taken per completion. An AsCompleted is iterated by one thread; the futures
// may complete on any.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "models/threads/future.hpp"

namespace cmbench::threads {

template <class T>
class AsCompleted {
  // What the done callbacks append to and the iterator takes from. Shared with the
  // callbacks, so that it outlives an AsCompleted left before every future completed.
  struct Completed {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<Future<T>> futures;
  };

 public:
  explicit AsCompleted(const std::vector<Future<T>>& futures)
      : completed_(std::make_shared<Completed>()), remaining_(futures.size()) {
    for (auto future : futures) {
      future.add_done_callback([completed = completed_](Future<T> done) {
        {
          std::lock_guard lock(completed->mutex);
          completed->futures.push_back(std::move(done));
        }
        completed->ready.notify_one();
      });
    }
  }

  class iterator {
   public:
    using value_type = Future<T>;
    using difference_type = std::ptrdiff_t;

    const Future<T>& operator*() const { return *current_; }
    iterator& operator++() {
      current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return !current_; }

   private:
    friend class AsCompleted;
    explicit iterator(AsCompleted* owner) : owner_(owner), current_(owner->next()) {}
    AsCompleted* owner_;
    std::optional<Future<T>> current_;
  };

  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  // The next future to complete, waiting for it; nothing once every future was yielded.
  std::optional<Future<T>> next() {
    if (remaining_ == 0) return std::nullopt;
    --remaining_;
    std::unique_lock lock(completed_->mutex);
    completed_->ready.wait(lock, [&] { return !completed_->futures.empty(); });
    Future<T> done = std::move(completed_->futures.front());
    completed_->futures.pop_front();
    return done;
  }

  std::shared_ptr<Completed> completed_;
  std::size_t remaining_;
};

template <class T>
AsCompleted<T> as_completed(const std::vector<Future<T>>& futures) {
  return AsCompleted<T>(futures);
}

}  // namespace cmbench::threads
