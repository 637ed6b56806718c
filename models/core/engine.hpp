// Engine: the one event loop under the four event-driven models (callbacks, futures,
// fibers, coroutines). Each model adds only its idiom on top, so that a difference between
// two of them is the cost of the idiom, not of two different loops.
//
// What it holds:
//  - a ready queue of Callbacks (call_soon), run in FIFO order;
//  - timers (call_at / call_later, cancellable) on a hierarchical timing wheel;
//  - I/O watchers: long-lived handles on file descriptors, on epoll, level-triggered;
//  - a wake-up eventfd, through which other threads hand callbacks to the loop
//    (call_soon_threadsafe);
//  - offloading blocking work to the process's OffloadPool, whose completions run back on
//    the loop thread (offload).
//
// Why level-triggered epoll: a handler that reads only part of what is available (to be
// fair between connections, or because its buffer is full) is called again on the next
// iteration; with edge triggering it would have to drain every socket to EAGAIN or lose the
// wake-up. The price is an epoll_ctl(MOD) whenever a watcher's interest changes (for a
// write that would block, say), which the models keep rare.
//
// Timer precision: epoll_pwait2 takes a nanosecond timeout, so the loop sleeps exactly until
// the next timer tick (≈ 16.4 µs granularity). How late the kernel wakes it is the thread's
// timer slack: the harness sets 1 ns for every run of every model (the default 50 µs makes
// a 1 ms wait oversleep by ≈ 75 µs here), so the reactor does not set it itself.
//
// A callback that throws is passed on (to the error handler, by default on stderr, with the
// exception's message) and counted, and the loop goes on.
//
// Slow-callback detector (asyncio debug mode's slow_callback_duration): set_slow_callback
// times every timer callback, ready callback and I/O handler, and names each one that
// held the loop longer than the threshold, after it returns (a loop cannot interrupt a
// callback that blocks it), and records it in a trace (trace::slow). Off by default, and
// then free: each phase of a turn tests one flag and runs the untimed loop it always ran.
//
// Thread-safety: everything but call_soon_threadsafe and offload's work runs on the thread
// that calls run(); those two may be called from any thread.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "models/core/callback.hpp"
#include "models/core/fd.hpp"
#include "models/core/ring_queue.hpp"
#include "models/core/span.hpp"
#include "models/core/timer_wheel.hpp"
#include "models/core/trace.hpp"

namespace cmbench {

class Engine;

// A long-lived interest in one file descriptor (libuv's "handle"). The handler receives the
// epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). While it wants any event, it keeps
// the loop alive. Owned by its user; destroying it stops watching (and is safe from inside
// its own handler). It does not own the fd.
class Watcher {
 public:
  Watcher(Engine& r, int fd, std::function<void(std::uint32_t events)> on_ready);
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;
  ~Watcher();

  // The events to be woken for: EPOLLIN, EPOLLOUT, both, or 0 to stop.
  void want(std::uint32_t events);
  std::uint32_t wanted() const noexcept { return wanted_; }
  int fd() const noexcept { return fd_; }

 private:
  friend class Engine;
  Engine& reactor_;
  int fd_;
  std::uint32_t wanted_ = 0;
  bool registered_ = false;
  std::function<void(std::uint32_t)> on_ready_;
};

class Engine {
 public:
  using TimerHandle = TimerWheel::Handle;

  Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine();

  // Runs until nothing is left to do (no ready callback, timer, watcher, offloaded work or
  // hold) or stop() is called. May be called again after stop(): pending work is kept.
  void run();
  // Asks run() to return after the current iteration. Callable from inside callbacks.
  void stop() noexcept { stop_requested_ = true; }
  // One iteration; `block` lets it wait in epoll for the next timer or I/O.
  void run_once(bool block = true);
  // One iteration for a scheduler that keeps its own ready queue beside the loop's (the
  // fibers' hub). It waits for I/O, a timer or a wake-up even when nothing keeps the loop
  // alive, but never past deadline_ns (no limit if negative), and not at all if `idle(arg)`
  // is false once the turn's timers and callbacks have run (they made work ready).
  void run_once_until(std::int64_t deadline_ns, bool (*idle)(void*), void* arg);
  // From any thread: makes a waiting turn return.
  void wake() {
    call_soon_threadsafe([] {});
  }

  // The loop's time, read once per iteration that has timers pending (like libuv's uv_now),
  // in ns of CLOCK_MONOTONIC.
  std::int64_t now_ns() const noexcept { return now_; }

  // Queues f to run on the next turn. The callable is built in place in the ready queue.
  template <class F>
  void call_soon(F&& f) {
    ready_->emplace_back(std::forward<F>(f));
  }
  // What the loop would run next were it to go on at once: the first callback queued for
  // the next turn, when the callback running now is the last of its turn's batch and
  // nothing could come between the two (no timer pending, no watcher, no callback from
  // another thread, no stop, no hub turn, no slow-callback timing); else null. A model that
  // switches between its own tasks directly (the coroutines' symmetric transfer) takes it
  // with drop_next() and runs it itself, in the order the loop would have: the turns it
  // skips would have done nothing else.
  Callback* next_in_turn() noexcept {
    if (batch_ == nullptr || batch_->size() != 1 || ready_->empty() || timers_.size() != 0 ||
        watching_ != 0 || stop_requested_ || slow_ns_ > 0 || hub_turn_ != nullptr ||
        remote_pending_.load(std::memory_order_acquire))
      return nullptr;
    return &ready_->front();
  }
  void drop_next() noexcept { ready_->drop_front(); }
  // Whether callbacks were already queued when this turn's timers began to fire. A timer
  // callback that would run a task's step at once queues it behind them instead, so that a
  // late turn keeps the order asyncio's has (its due timers go to the back of the queue).
  bool ready_before_timers() const noexcept { return ready_before_timers_; }

  // From any thread: queues cb and wakes the loop. The caller must keep the loop alive
  // (hold()) until its call is queued, if nothing else does.
  void call_soon_threadsafe(Callback cb);

  TimerHandle call_at(std::int64_t deadline_ns, Callback cb) {
    // An empty wheel's clock may be stale (run_once keeps it fresh only while running).
    if (timers_.size() == 0) timers_.advance(monotonic_ns());
    return timers_.add(deadline_ns, std::move(cb));
  }
  // The delay counts from now, read fresh (as asyncio's loop.time() is), not from the
  // turn's cached time: a callback that schedules 10^6 timers takes long enough for the
  // cached time to be stale, and its last timers would fire early.
  TimerHandle call_later(std::chrono::nanoseconds delay, Callback cb) {
    return call_at(monotonic_ns() + delay.count(), std::move(cb));
  }
  // Whether the timer is still waiting (neither run, running, nor cancelled).
  bool pending(TimerHandle h) const noexcept { return timers_.pending(h); }
  bool cancel(TimerHandle h) noexcept { return timers_.cancel(h); }

  // Runs `work` on a thread of the process's OffloadPool, then `done` on the loop thread.
  // The loop stays alive until `done` has run; `done` (with what it captured) is destroyed
  // on the loop thread too. An exception from `work` goes to the error handler like a
  // callback's; pass results and errors through state the two share.
  // In a trace, the job is shown as done for `for_task` (by default the task running now).
  void offload(Callback work, Callback done) {
    offload(std::move(work), std::move(done), trace::current());
  }
  void offload(Callback work, Callback done, trace::TaskId for_task);

  // Keeps the loop alive without any work pending (a server waiting for a peer in another
  // thread, say). Every hold() needs a release().
  void hold() noexcept { ++holds_; }
  void release() noexcept { --holds_; }

  // Where a throwing callback's message goes; the default prints it to stderr.
  void set_error_handler(std::function<void(std::string_view)> h) { on_error_ = std::move(h); }
  std::uint64_t errors() const noexcept { return errors_; }

  // What the slow-callback detector found: how long one callback held the loop, and which
  // kind of callback it was ("a timer callback", "a callback", "an I/O handler").
  struct SlowCallback {
    std::chrono::nanoseconds took;
    const char* kind;
  };
  // Hands every callback that runs longer than `threshold` to `handler` (on the loop
  // thread, after the callback). A threshold ≤ 0 or an empty handler turns it off. Cost when
  // on: two clock reads per callback (≈ 50 ns).
  void set_slow_callback(std::chrono::nanoseconds threshold,
                         std::function<void(const SlowCallback&)> handler);
  // Runs cb, reporting what it throws. For models that run user code outside call_soon.
  void invoke(Callback& cb) noexcept;
  void report_error(std::string_view what) noexcept;

  std::size_t pending_timers() const noexcept { return timers_.size(); }
  // Offloaded jobs whose `done` has not run yet.
  std::size_t offloaded() const noexcept { return offloaded_; }
  bool alive() const noexcept;
  // Whether a turn that must not block would find nothing to do: no ready callback, timer,
  // watcher, or callback posted from another thread. A scheduler polling the loop between
  // its own tasks (the fibers' hub) skips the turn then.
  bool quiet() const noexcept {
    return ready_->empty() && timers_.size() == 0 && watching_ == 0 &&
           !remote_pending_.load(std::memory_order_acquire);
  }

 private:
  friend class Watcher;
  void update(Watcher& w, std::uint32_t events);
  void forget(Watcher& w) noexcept;  // w is going away: drop it from the current batch
  void drain_remote();
  // invoke(), timed for the slow-callback detector.
  void invoke_timed(Callback& cb, const char* kind) noexcept;
  void check_slow(std::int64_t start, const char* kind) noexcept;
  void call_handler(Watcher& w, std::uint32_t events) noexcept;

  // Declared first, destroyed last: the descriptors and the event batch outlive every
  // callback below, so a callback destroyed with the loop (one that owns a Watcher, say)
  // still finds them.
  Fd epoll_fd_;
  Fd wakeup_fd_;
  std::vector<epoll_event> events_;
  std::size_t dispatching_ = 0, dispatch_end_ = 0;  // the batch of events being handled
  std::size_t watching_ = 0;  // watchers with interest: they keep the loop alive
  std::size_t holds_ = 0;
  std::function<void(std::string_view)> on_error_;
  std::uint64_t errors_ = 0;
  std::int64_t slow_ns_ = 0;  // the detector's threshold; 0: off
  std::function<void(const SlowCallback&)> on_slow_;

  std::int64_t now_;
  bool stop_requested_ = false;
  bool ready_before_timers_ = false;
  // Set during run_once_until: how long its turn may block.
  struct HubTurn {
    std::int64_t deadline_ns;
    bool (*idle)(void*);
    void* arg;
  };
  const HubTurn* hub_turn_ = nullptr;
  // Two rings take turns: ready_ points to the one call_soon fills; phase 3 runs the other
  // in place. Switching is a pointer swap, not a copy of the rings' fields (copying them
  // right after call_soon wrote them stalled store forwarding: ≈ 40 % of a hand-off).
  RingQueue<Callback> rings_[2];
  RingQueue<Callback>* ready_ = &rings_[0];
  RingQueue<Callback>* batch_ = nullptr;  // the ring phase 3 is running, while it does
  TimerWheel timers_;

  // Callbacks from other threads, moved into ready_ by the loop after a wake-up.
  std::mutex remote_mutex_;
  std::vector<Callback> remote_;
  std::atomic<bool> remote_pending_{false};  // remote_ is not empty (set under the mutex)

  // Offloaded jobs: `offloaded_` counts those whose `done` has not run (loop thread);
  // `in_pool_` those a pool thread may still post to this loop (the destructor waits).
  std::size_t offloaded_ = 0;
  std::atomic<int> in_pool_{0};
};

}  // namespace cmbench
