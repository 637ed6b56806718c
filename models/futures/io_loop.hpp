// IOLoop: Tornado's event loop, a thin layer over the shared cmbench::Engine. It adds no
// loop of its own: callbacks, timers, fd handlers and the executor are the reactor's, so
// the futures model and the other event-driven models differ only in their idiom.
//
// Vocabulary (Tornado's): add_callback, call_later / call_at / remove_timeout, time,
// add_handler / update_handler / remove_handler with READ, WRITE and ERROR, start / stop,
// run_sync (run the loop until a future resolves), run_in_executor (blocking or CPU work on
// the reactor's offload threads, its result delivered on the loop thread), current (the
// loop of this thread). sleep() is tornado.gen.sleep: a future that call_later resolves.
//
// Guarantees:
//  - callbacks run in the order they were added; a timer never fires before its deadline
//    (the reactor's wheel: at most one 16.4 µs tick late, plus the loop's own lateness);
//  - call_later measures its delay from the moment it is called (a fresh clock read,
//    ≈ 23 ns), as Tornado's does: a timer set by code that has run for a while since the
//    loop last looked at the clock does not fire early;
//  - fd handlers are level-triggered: a handler that leaves data unread is called again;
//    epoll reports ERROR (EPOLLERR, EPOLLHUP) whatever the interest;
//  - a callback or handler that throws is reported (set_error_handler on engine()) and the
//    loop goes on;
//  - an IOLoop is current on the thread that creates it, from its creation to its
//    destruction (the loop current before it is again afterwards: destroy the loops of a
//    thread in the reverse order of their creation), and on the thread that runs it, while
//    it runs.
//  - destroying the loop closes every IOStream still open on it (pending reads and writes
//    fail with StreamClosedError), as Tornado's IOLoop.close(all_fds=True) does.
// Not guaranteed: start() returns when stop() is called *or* when nothing is left to wait
// for (no callback, timer, handler or executor job); Tornado's would block for ever then.
// Handlers, timers and callbacks still pending when the loop is destroyed never run.
// Thread-safety: add_callback may be called from any thread (it wakes the loop) provided
// the loop is kept alive until the callback is queued; everything else on the loop thread.
// Cost: add_callback from the loop thread is a push on the ready queue (a few ns; from
// another thread, a mutex and an eventfd write); call_later a clock read and a timer-wheel
// insert (≈ 40 ns); add_handler / update_handler / remove_handler one epoll_ctl each.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "models/core/offloaded.hpp"
#include "models/core/engine.hpp"
#include "models/futures/future.hpp"

namespace cmbench::futures {

namespace detail {
class Stream;
// iostream.cpp: closes every stream still open on a loop that is going away.
void close_streams(std::unordered_set<Stream*>& streams) noexcept;
}  // namespace detail

class IOLoop {
 public:
  using clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, the reactor's clock
  using Timeout = Engine::TimerHandle;
  using Handler = std::function<void(int fd, std::uint32_t events)>;

  static constexpr std::uint32_t READ = EPOLLIN;
  static constexpr std::uint32_t WRITE = EPOLLOUT;
  static constexpr std::uint32_t ERROR = EPOLLERR | EPOLLHUP;

  // run_in_executor uses the process's OffloadPool (models/core/offload_pool.hpp).
  IOLoop();
  IOLoop(const IOLoop&) = delete;
  IOLoop& operator=(const IOLoop&) = delete;
  ~IOLoop();

  // The loop current on this thread; if there is none, one this thread keeps until it
  // exits (Tornado's IOLoop.current()).
  static IOLoop& current();

  // Runs the loop until stop(), or until nothing is left to wait for.
  void start();
  // Makes start() (or run_sync) return after the current turn of the loop.
  void stop() noexcept { engine_.stop(); }

  // Calls fn() (which returns a Future<T>), runs the loop until that future resolves, and
  // returns its result or rethrows its exception. Throws std::runtime_error if the loop
  // stops, or runs out of work, while the future is still pending.
  template <class F>
  auto run_sync(F&& fn);

  // fn runs on the loop thread on the next turn of the loop. From any thread.
  void add_callback(Callback fn);
  // fn runs once `delay` has passed, or at `when`. The Timeout cancels it (remove_timeout).
  Timeout call_later(std::chrono::nanoseconds delay, Callback fn) {
    return engine_.call_later(delay, std::move(fn));
  }
  Timeout call_at(clock::time_point when, Callback fn) {
    return engine_.call_at(std::chrono::nanoseconds(when.time_since_epoch()).count(),
                            std::move(fn));
  }
  // Cancels a timer that has not run yet; harmless on one that has.
  void remove_timeout(Timeout timeout) noexcept { engine_.cancel(timeout); }
  // The loop's clock, read now.
  clock::time_point time() const noexcept { return clock::now(); }

  // handler(fd, events) runs whenever fd is ready for `events` (READ, WRITE, or both; ERROR
  // is always reported). One handler per fd; the loop does not own the fd: remove the
  // handler before closing it. remove_handler may be called from inside the handler.
  void add_handler(int fd, Handler handler, std::uint32_t events);
  void update_handler(int fd, std::uint32_t events);
  void remove_handler(int fd);

  // Runs fn() on a thread of the process's offload pool (the default executor); the future
  // resolves on the loop thread with what fn returned or threw. fn must not touch the loop
  // or its futures (it is on another thread). Cost: a queue hand-off under a mutex, a
  // wake-up of a pool thread, and a wake-up of the loop (an eventfd write): ≈ 10–40 µs of
  // latency here, depending on placement.
  template <class F>
  auto run_in_executor(F&& fn) -> Future<std::invoke_result_t<std::decay_t<F>&>>;

  // Tornado's set_blocking_log_threshold: every callback, timer or handler that holds the
  // loop longer than `threshold` is reported after it returns, as one line: "IOLoop blocked
  // for 1.002 seconds in a timer callback". A threshold of 0 or an empty `log` turns it off
  // (the default, which costs nothing). Cost when on: two clock reads per callback.
  void set_blocking_log_threshold(std::chrono::nanoseconds threshold,
                                  std::function<void(std::string_view line)> log);

  Engine& engine() noexcept { return engine_; }

 private:
  // Makes this loop current on the calling thread for the lifetime of the object.
  class Running {
   public:
    explicit Running(IOLoop& loop);
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;
    ~Running();

   private:
    IOLoop* previous_;
    std::thread::id previous_thread_;
    IOLoop& loop_;
  };

  Engine engine_;
  IOLoop* previous_;  // the loop current on the creating thread before this one
  // The thread that runs the loop (or created it, before it runs): add_callback from any
  // other thread goes through the reactor's thread-safe queue.
  std::atomic<std::thread::id> loop_thread_;
  std::unordered_map<int, std::unique_ptr<Watcher>> handlers_;
  friend class detail::Stream;
  std::unordered_set<detail::Stream*> streams_;  // the IOStreams on this loop, not yet closed
};

// A future that resolves (with no value) once `duration` has passed: tornado.gen.sleep.
// On the current loop. Cost: one future and one timer.
Future<void> sleep(std::chrono::nanoseconds duration);

// ---- templates -------------------------------------------------------------------------

template <class F>
auto IOLoop::run_sync(F&& fn) {
  Running running(*this);
  // In a trace, fn is the task "main": it runs fn, waits on its future, and finishes once
  // that resolves.
  trace::TaskId main = 0, previous = 0;
  if (trace::on()) [[unlikely]] {
    main = trace::fresh_id();
    trace::created(main);
    trace::named(main, trace::intern("main"));
    previous = detail::switch_to(main);
  }
  auto main_done = [main](bool failed) noexcept {
    if (!main) return;
    const trace::TaskId before = detail::wake_and_run(main);
    trace::finished(main, failed ? trace::Outcome::exception : trace::Outcome::ok);
    detail::switch_back(main, before);
  };
  auto future = std::forward<F>(fn)();
  using T = typename decltype(future)::value_type;
  if (!future.done()) {
    future.add_done_callback([this, main_done](Future<T>& f) {
      main_done(f.exception() != nullptr);
      stop();
    });
    if (main) [[unlikely]] {
      trace::suspended(main, detail::Access::state(future).wait());
      detail::switch_back(main, previous);
    }
    engine_.run();
    if (!future.done())
      throw std::runtime_error("run_sync: the loop stopped before the future resolved");
  } else if (main) [[unlikely]] {
    main_done(future.exception() != nullptr);
    detail::switch_back(main, previous);
  }
  if constexpr (std::is_void_v<T>)
    future.result();
  else
    return T(std::move(future.result()));
}

template <class F>
auto IOLoop::run_in_executor(F&& fn) -> Future<std::invoke_result_t<std::decay_t<F>&>> {
  using Fn = std::decay_t<F>;
  using R = std::invoke_result_t<Fn&>;
  // What the executor thread computes, handed to the loop thread (models/core/offloaded.hpp).
  auto job = std::make_unique<Offloaded<Fn>>(Offloaded<Fn>{Fn(std::forward<F>(fn)), {}, {}});
  Offloaded<Fn>* work = job.get();
  Future<R> future;
  // In a trace, the future is a task that hands the job over (the core names the job after
  // the task running) and waits on the pool until the job is done.
  trace::TaskId task = 0, previous = 0;
  if (trace::on()) [[unlikely]] {
    auto& state = detail::Access::state(future);
    state.set_traced();
    task = state.task_id();
    trace::created(task);
    previous = detail::switch_to(task);
  }
  engine_.offload([work] { work->run(); },
                   [job = std::move(job), future]() mutable {
                     detail::Because pool(trace::Cause::pool);
                     auto& state = detail::Access::state(future);
                     if (job->error) {
                       state.try_set_error(job->error);
                     } else if constexpr (std::is_void_v<R>) {
                       state.try_set_value();
                     } else {
                       state.try_set_value(std::move(*job->value));
                     }
                   });
  if (task) [[unlikely]] {
    trace::suspended(task, trace::Wait::pool);
    detail::switch_back(task, previous);
  }
  return future;
}

}  // namespace cmbench::futures
