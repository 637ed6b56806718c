// The work-stealing pool's scheduling algorithm: Boost's work_stealing, with each thread's
// pinned contexts (its main context and its dispatcher, which may never leave the thread)
// kept out of the queue that the other thread steals from.
//
// Why: Boost 1.74's steal() gives up when the oldest entry of the victim's queue is a pinned
// context, and a thread pops its own queue from the newest end. So a pinned context made
// ready during a fan-out (thread 0's main context, woken by a posted job; a dispatcher)
// stays at the stealable end while its thread works through everything pushed after it, and
// the other thread finds nothing it may take and goes back to sleep. Measured before this:
// 8 greenlets that spin until both threads have run one, 5 s allowed: the second thread
// stole nothing in 2 runs of 3 (tests/fibers_test.cpp, GreenletsRunOnBothThreads).
// Here a pinned context waits in a list of the thread's own. It runs when the thread has
// nothing else to run or steal, and at least every 64 picks, so that the dispatcher (which
// frees finished fibers) and thread 0's job loop are never starved.
// Thread-safety: as Boost's algorithm: each instance belongs to its thread; steal() is
// Boost's, called by the other thread.
#pragma once

#include <atomic>
#include <boost/fiber/algo/work_stealing.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>
#include <chrono>
#include <cstdint>

#include "models/core/trace.hpp"

namespace cmbench::fibers::detail {

class PoolAlgorithm : public boost::fibers::algo::work_stealing {
 public:
  using context = boost::fibers::context;
  using work_stealing::work_stealing;

  void awakened(context* ctx) noexcept override {
    if (ctx->is_context(boost::fibers::type::pinned_context)) {
      ctx->ready_link(pinned_);
      return;
    }
    work_stealing::awakened(ctx);
  }

  context* pick_next() noexcept override {
    if (!pinned_.empty() && ++picks_ % pinned_interval == 0) return take_pinned();
    if (context* next = work_stealing::pick_next()) return next;
    return pinned_.empty() ? nullptr : take_pinned();
  }

  bool has_ready_fibers() const noexcept override {
    return !pinned_.empty() || work_stealing::has_ready_fibers();
  }

  // Nothing to run or steal: the thread sleeps until notified. The trace shows its lane
  // blocked meanwhile (Wait::lock: Boost's condition variable).
  void suspend_until(std::chrono::steady_clock::time_point const& tp) noexcept override {
    trace::blocked(trace::Wait::lock);
    asleep.fetch_add(1, std::memory_order_release);
    work_stealing::suspend_until(tp);
    asleep.fetch_sub(1, std::memory_order_relaxed);
    trace::unblocked();
  }

  // Pool threads asleep in suspend_until now: at exit the pool waits for all of them, since
  // Boost's work_stealing destroys its static state while a thread still stealing reads it.
  static inline std::atomic<unsigned> asleep{0};

 private:
  static constexpr std::uint32_t pinned_interval = 64;

  context* take_pinned() noexcept {
    context* ctx = &pinned_.front();
    pinned_.pop_front();
    return ctx;
  }

  boost::fibers::scheduler::ready_queue_type pinned_;
  std::uint32_t picks_ = 0;
};

}  // namespace cmbench::fibers::detail
