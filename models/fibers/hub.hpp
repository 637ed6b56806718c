// The hub: the one thread-wide scheduler of the fibers model, as gevent's hub is. It is a
// Boost.Fiber scheduling algorithm (boost::fibers::algo::algorithm) that owns the shared
// reactor, so greenlets and I/O share one thread and one loop:
//
//  - awakened / pick_next: a FIFO ready queue of Boost contexts (the round_robin order).
//    Boost's dispatcher context waits apart: it gets the next turn when nothing else is
//    ready, after 64 other turns, after 64 greenlets have finished (Boost frees a finished
//    fiber's stack only in the dispatcher), or when another thread has made a fiber ready.
//    At its turn the hub polls the reactor without blocking: greenlets that never block
//    delay I/O and timers by 64 turns at most (Tokio and Go poll every 61 for the same
//    reason). round_robin gives the dispatcher a turn every round, a clock read each.
//  - suspend_until: nothing is ready. The reactor waits in epoll until I/O, a reactor timer,
//    a wake-up or Boost's own deadline (fibers in this_fiber::sleep_for, timed Boost
//    waits), whichever is first. Its callbacks make greenlets ready.
//  - notify (any thread): wakes that wait through the reactor's eventfd.
//
// An eager spawn (RunOptions::eager_spawn) starts the child at once, and its parent goes to
// the front of the ready queue, so it resumes as soon as the child first blocks or ends
// (asyncio 3.12's eager tasks). Recursive fan-outs then run depth first.
//
// Blocking detector (gevent's max_blocking_time): set_max_blocking_time makes the hub time
// every greenlet from its pick to its next switch, and report one that held the hub longer
// than the threshold once it switches or ends (gevent's monitor thread reports it while it
// still blocks; a single-threaded hub can only tell afterwards). Engine callbacks are timed
// by the reactor's slow-callback detector with the same threshold. Off by default: a switch
// then tests one flag.
//
// One hub per thread, set up by fibers::run() for the length of the call, then replaced by
// round_robin again. Thread-safety: everything but notify() and run_callback_threadsafe()
// runs on the hub's thread.
#pragma once

#include <atomic>
#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <boost/fiber/scheduler.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "models/core/engine.hpp"
#include "models/fibers/stack_pool.hpp"

namespace cmbench::fibers {

using boost::fibers::context;

class GreenletCore;

struct RunOptions {
  // Each greenlet's stack (see stack_pool.hpp): a multiple of the page size.
  std::size_t stack_size = 16 * 1024;
  // A PROT_NONE page under every stack (two mappings per stack: < ≈ 30 k greenlets).
  bool guard_pages = false;
  // spawn() starts the child at once and resumes the parent right after the child's first
  // switch, instead of gevent's "at the hub's next turn".
  bool eager_spawn = false;
};

class Hub final : public boost::fibers::algo::algorithm {
 public:
  explicit Hub(const RunOptions& options);
  ~Hub() override;

  // This thread's hub while fibers::run() runs on it, else nullptr.
  static Hub* current() noexcept;
  // The same, or std::logic_error naming `what` ("fibers::sleep needs a running hub").
  static Hub& require(const char* what);

  Engine& engine() noexcept { return engine_; }

  // gevent's hub.loop.run_callback_threadsafe, the one way into the hub from another thread:
  // queues fn to run on the hub's thread in a later turn, and wakes the hub. fn runs as a
  // loop callback, not in a greenlet: it may spawn, set an Event or kill, but not block. The
  // caller must know the hub lives until then (fibers::run keeps it while its main greenlet
  // runs). Cost: a mutex and an eventfd write.
  template <class F>
  void run_callback_threadsafe(F fn) {
    engine_.call_soon_threadsafe(std::move(fn));
  }

  StackPool& stacks() noexcept { return stacks_; }
  const RunOptions& options() const noexcept { return options_; }

  // The next context made ready goes to the front of the queue, not the back (eager spawn:
  // the parent Boost schedules right after switching to the child).
  void next_ready_first() noexcept { next_first_ = true; }

  // The greenlets spawned on this hub and not finished, in spawn order: run() kills the
  // ones left when its main greenlet returns.
  void adopt(GreenletCore* g) noexcept;
  void finished(GreenletCore* g) noexcept;
  std::size_t live() const noexcept { return live_; }
  // The greenlet running on the hub now (nullptr: the main context or the dispatcher).
  GreenletCore* running() const noexcept { return running_; }
  void running(GreenletCore* g) noexcept { running_ = g; }

  // Reports each greenlet (and reactor callback) that runs longer than `threshold` without
  // switching, as one line: "<Greenlet at 0x…> appears to be blocked: it held the hub for
  // 1.002 seconds". A threshold of 0 or an empty `report` turns it off.
  void set_max_blocking_time(std::chrono::nanoseconds threshold,
                             std::function<void(std::string_view line)> report);

  // gevent's sleep(0) for the greenlet running now: it goes to the back of the ready queue
  // and the hub switches to the next one, the order Boost's yield gives, without its
  // bookkeeping (two thread-local look-ups into libboost_fiber and a re-scheduling call
  // after the switch, a third of a ping-pong's cost). False, having done nothing, when
  // nothing else is ready: the caller then yields through Boost (the dispatcher's turn).
  bool yield_running() noexcept;
  // Makes ctx ready if it is one of this hub's fibers, on its thread; false otherwise.
  // What context::active()->schedule(ctx) does, without looking the active context up.
  bool schedule_local(context* ctx) noexcept {
    if (ctx->get_scheduler() != scheduler_) return false;
    scheduler_->schedule(ctx);
    return true;
  }

  // boost::fibers::algo::algorithm
  void awakened(context* ctx) noexcept override;
  context* pick_next() noexcept override;
  bool has_ready_fibers() const noexcept override { return dispatcher_ready_ || !ready_.empty(); }
  void suspend_until(const std::chrono::steady_clock::time_point& tp) noexcept override;
  void notify() noexcept override {
    remote_.store(true, std::memory_order_relaxed);
    engine_.wake();
  }

  // Installs this hub as the thread's algorithm, and takes it out (round_robin again).
  void open();
  // Kills the greenlets still alive and waits for them, for offloaded work, and for Boost
  // to release every finished fiber's stack; then takes the hub out. On the thread's main
  // context, after the main greenlet has finished.
  void close();

 private:
  // The blocking detector: the greenlet picked last ran from picked_at_ until now.
  void check_blocking(std::int64_t now) noexcept;

  RunOptions options_;
  Engine engine_;
  StackPool stacks_;
  boost::fibers::scheduler::ready_queue_type ready_;
  boost::fibers::scheduler* scheduler_ = nullptr;  // the thread's Boost scheduler, once open
  context* dispatcher_ = nullptr;
  context* last_picked_ = nullptr;
  GreenletCore* running_ = nullptr;
  bool next_first_ = false;
  bool polled_ = false;  // suspend_until has just polled: the next pick need not
  bool open_ = false;
  std::size_t finished_since_dispatch_ = 0;
  std::size_t picks_since_dispatch_ = 0;
  bool dispatcher_ready_ = false;       // Boost's dispatcher waits for its turn (kept apart)
  std::atomic<bool> remote_{false};     // notify() came: another thread made a fiber ready
  GreenletCore* first_live_ = nullptr;  // the live greenlets, a doubly linked list
  GreenletCore* last_live_ = nullptr;
  std::size_t live_ = 0;
  std::int64_t max_blocking_ns_ = 0;  // 0: the detector is off
  std::int64_t picked_at_ = 0;
  GreenletCore* timed_ = nullptr;  // the greenlet picked last, while it runs
  std::function<void(std::string_view)> on_blocking_;
};

// gevent.get_hub(): this thread's hub; std::logic_error outside fibers::run().
inline Hub& get_hub() {
  return Hub::require("fibers::get_hub");
}

}  // namespace cmbench::fibers
