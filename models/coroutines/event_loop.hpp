// EventLoop: asyncio's event loop for C++20 coroutines, a thin layer over the shared
// cmbench::Engine. It adds no loop of its own: a task's step is a callback on the reactor's
// ready queue, sleep a timer on its wheel, a stream a watcher on its epoll, to_thread a job
// on its offload pool. So the coroutines model and the other event-driven models differ only
// in their idiom.
//
//   int main() { return run(amain()); }        // asyncio.run(main())
//
// run(main) makes main a task on this thread's loop, runs the loop until main finishes,
// then cancels every task still running and lets them finish (as asyncio.run does), and
// returns main's result or rethrows its exception.
//
// Debug mode (asyncio's PYTHONASYNCIODEBUG): set_debug(true), RunOptions{.debug = true}, or
// CMBENCH_ASYNC_DEBUG=1 in the environment. It reports, through the debug handler (stderr by
// default):
//  - a coroutine created and never awaited nor made a task, with the functions on the stack
//    where it was created (symbol names need the executable linked with -rdynamic, as ours
//    are; otherwise module+offset, for addr2line);
//  - a task never awaited (no co_await, result(), exception(), gather, wait or TaskGroup
//    looked at it), with the file and line of its create_task;
//  - a step that held the loop longer than slow_callback_duration (100 ms by default), with
//    the task's name.
// Debug mode costs a stack capture (≈ 1–2 µs) per coroutine created and two clock reads per
// step; it is off in every measured cell.
//
// Guarantees: steps run in the order they were queued (FIFO, the reactor's ready queue); a
// task is never run by two steps at once; a callback that throws is reported by the reactor
// and the loop goes on; a task's exception never escapes the loop: it is kept for whoever
// awaits the task.
// Not guaranteed: that run() returns if a task ignores its cancellation and waits for ever
// (asyncio.run would not either); such tasks are reported in debug mode and left pending.
// Thread-safety: one loop per thread (current()); everything on that thread, except
// call_soon_threadsafe (any thread) and to_thread's work.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "models/core/engine.hpp"
#include "models/coroutines/task.hpp"

namespace cmbench::coroutines {

class EventLoop {
 public:
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  // This thread's loop, made on first use and kept until the thread ends (so that its
  // timer wheel and ready queue are reused from one run to the next).
  static EventLoop& current();
  // The loop running on this thread, or null (asyncio.get_running_loop, without the raise).
  static EventLoop* running() noexcept;

  // Runs the loop until `main` (made a task if it is not one) finishes; then cancels the
  // tasks still running and runs them to their end. Returns main's result or rethrows its
  // exception. Throws InvalidStateError if the loop is already running, and
  // std::runtime_error if main is still waiting when nothing is left that could wake it (a
  // deadlock: an Event nobody sets, say), after cancelling it.
  template <class T>
  T run_until_complete(Task<T> main);

  Engine& engine() noexcept { return engine_; }

  // asyncio's loop.call_soon_threadsafe, the one way into the loop from another thread:
  // queues fn to run on the loop's thread in a later turn, and wakes the loop. The caller
  // must know the loop lives until then (a loop running a server does, until the server is
  // closed). Cost: a mutex and an eventfd write.
  template <class F>
  void call_soon_threadsafe(F fn) {
    engine_.call_soon_threadsafe(std::move(fn));
  }

  // The loop's clock (CLOCK_MONOTONIC), read now, in ns.
  static std::int64_t time() noexcept { return monotonic_ns(); }

  // The tasks of this loop that have not finished, oldest first (asyncio.all_tasks).
  std::vector<TaskRef> all_tasks() const;
  std::size_t task_count() const noexcept { return live_; }

  // Eager tasks (asyncio 3.12's eager_task_factory): create_task runs the new task's first
  // step at once, inside the call, instead of queueing it; a coroutine that finishes
  // without suspending is then done before create_task returns and never touches the ready
  // queue. Off by default, as in asyncio. It changes the order in which tasks start (depth
  // first instead of FIFO), and nests the new task's first step on the creator's stack:
  // code that calls create_task from a reactor callback (a server's accept handler, say)
  // must survive whatever that first step does, including dropping the object it runs in.
  void set_eager_tasks(bool on) noexcept { eager_ = on; }
  bool eager_tasks() const noexcept { return eager_; }

  // Direct switches (TaskCore::next_step): a task that suspends goes straight into the
  // next task the loop would run, when no turn of the loop could do anything between the
  // two. On by default; off, every step returns to the loop and is started by it, which
  // changes no order, only the cost (the micro-benchmarks show both).
  void set_direct_switch(bool on) noexcept { direct_switch_ = on; }
  bool direct_switch() const noexcept { return direct_switch_; }

  void set_debug(bool on) noexcept;
  bool debug() const noexcept { return debug_; }
  void set_slow_callback_duration(std::chrono::nanoseconds d) noexcept { slow_ = d; }
  // Where debug mode's reports go (one line each); the default prints to stderr.
  void set_debug_handler(std::function<void(std::string_view)> h) { on_debug_ = std::move(h); }
  void report(std::string_view line) const;

 private:
  friend class detail::TaskCore;
  void run_main(detail::TaskCore& main);
  void finish_remaining();
  void link(detail::TaskCore& t) noexcept;
  void unlink(detail::TaskCore& t) noexcept;

  Engine engine_;
  detail::TaskCore* first_task_ = nullptr;  // the list of tasks not done, oldest first
  detail::TaskCore* last_task_ = nullptr;
  std::size_t live_ = 0;
  std::uint64_t next_id_ = 0;
  bool running_ = false;
  bool eager_ = false;
  bool direct_switch_ = true;
  bool debug_ = false;
  std::chrono::nanoseconds slow_ = std::chrono::milliseconds(100);
  std::function<void(std::string_view)> on_debug_;
};

struct RunOptions {
  // Debug mode for this run (unset: the loop's own setting).
  std::optional<bool> debug = std::nullopt;
  // Allocate this run's coroutine frames from the frame pool.
  bool frame_pool = false;
  // Start tasks eagerly (EventLoop::set_eager_tasks).
  bool eager_tasks = false;
  // Switch from task to task directly where nothing could come between
  // (EventLoop::set_direct_switch).
  bool direct_switch = true;
};

// asyncio.run: runs main to completion on this thread's loop and returns its result.
template <class T>
T run(Task<T> main, RunOptions options = {});

// The tasks of the running loop that have not finished (empty if no loop runs).
std::vector<TaskRef> all_tasks();

// ---- templates -------------------------------------------------------------------------

template <class T>
T EventLoop::run_until_complete(Task<T> main) {
  run_main(main.core());
  if constexpr (std::is_void_v<T>)
    main.result();
  else
    return T(std::move(main.result()));
}

template <class T>
T run(Task<T> main, RunOptions options) {
  EventLoop& loop = EventLoop::current();
  FramePoolScope pool(options.frame_pool);
  struct Restore {
    EventLoop& loop;
    bool debug, eager, direct;
    ~Restore() {
      loop.set_debug(debug);
      loop.set_eager_tasks(eager);
      loop.set_direct_switch(direct);
    }
  } restore{loop, loop.debug(), loop.eager_tasks(), loop.direct_switch()};
  if (options.debug) loop.set_debug(*options.debug);
  loop.set_eager_tasks(options.eager_tasks);
  loop.set_direct_switch(options.direct_switch);
  return loop.run_until_complete(std::move(main));
}

}  // namespace cmbench::coroutines
