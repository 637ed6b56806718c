// Pool(size), as gevent.pool.Pool: at most `size` greenlets of the pool run at once.
// spawn() blocks the caller while the pool is full (gevent's backpressure), map() runs a
// function over a range through the pool and returns the results in order, join() waits
// until no greenlet of the pool is left.
//
//   fibers::Pool pool(10);
//   std::vector<std::string> bodies = pool.map(fetch, urls);   // ≤ 10 fetches in flight
//
// The pool's state is shared with its greenlets, so a Pool may be destroyed while they
// still run; they then finish on their own. Thread-safety: one hub.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/fibers/greenlet.hpp"

namespace cmbench::fibers {

class Pool {
 public:
  explicit Pool(std::size_t size) : state_(std::make_shared<State>(size)) {
    if (size == 0) throw std::invalid_argument("fibers::Pool: size must be at least 1");
  }

  template <class F, class... Args>
  auto spawn(F&& fn, Args&&... args) {
    wait_available();
    auto g = fibers::spawn(std::forward<F>(fn), std::forward<Args>(args)...);
    g.core().on_finish([state = state_] { state->release(); });
    return g;
  }

  // fn(item) for every item, at most size() at a time; the results in the items' order.
  // The first exception (in the items' order) is raised once all have finished.
  template <class F, class Range>
  auto map(F fn, const Range& items) {
    using Item = decltype(*std::begin(items));
    using R = std::invoke_result_t<F&, Item>;
    std::vector<Greenlet<R>> greenlets;
    for (const auto& item : items) greenlets.push_back(spawn(fn, item));
    joinall(greenlets);
    if constexpr (std::is_void_v<R>) {
      for (auto& g : greenlets) g.get();
    } else {
      std::vector<R> results;
      results.reserve(greenlets.size());
      for (auto& g : greenlets) results.push_back(g.get());
      return results;
    }
  }

  // Blocks while the pool is full.
  void wait_available() {
    SpinGuard lock(state_->lock);
    while (state_->running >= state_->size) {
      try {
        state_->slots.wait(lock);
      } catch (...) {
        SpinGuard again(state_->lock);
        if (state_->running < state_->size) state_->slots.notify_one();
        throw;
      }
      lock.lock();
    }
    ++state_->running;
  }
  // Blocks until every greenlet of the pool has finished.
  void join() {
    SpinGuard lock(state_->lock);
    while (state_->running > 0) {
      state_->idle.wait(lock);
      lock.lock();
    }
  }

  std::size_t size() const noexcept { return state_->size; }
  std::size_t running() const noexcept { return state_->running; }
  std::size_t free_count() const noexcept { return state_->size - state_->running; }

 private:
  struct State {
    explicit State(std::size_t n) : size(n) {}
    void release() noexcept {
      SpinGuard hold(lock);
      --running;
      slots.notify_one();
      if (running == 0) idle.notify_all();
    }
    const std::size_t size;
    std::size_t running = 0;
    Spinlock lock;
    WaitQueue slots{lock};
    WaitQueue idle{lock};
  };
  std::shared_ptr<State> state_;
};

}  // namespace cmbench::fibers
