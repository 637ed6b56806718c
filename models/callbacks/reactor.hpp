// Reactor: Twisted's reactor, a thin facade over the shared cmbench::Engine (the same loop
// under every event-driven model), in Twisted's vocabulary:
//
//   reactor.call_later(10ms, fn, args...)    -> DelayedCall: cancel(), reset(), active()
//   reactor.call_when_running(fn, args...)
//   reactor.listen_tcp(port, factory)        -> ListeningPort&: port(), stop_listening()
//   reactor.connect_tcp(port, client_factory)
//   reactor.defer_to_thread(fn, args...)     -> Deferred<R>
//   reactor.call_from_thread(fn, args...)    (from any other thread)
//   reactor.begin_logging_to(observer)       (twisted.logger: where unhandled errors go)
//   reactor.run(); reactor.stop();
// and two helpers from twisted.internet.task, below the class:
//   defer_later(reactor, delay, fn, args...) -> Deferred<R>, fired with fn's result
//   react(main)   makes a reactor, runs it until main(reactor)'s Deferred fires, returns
//                 that value (or throws that failure): a whole program in one call
//
// Differences from Twisted, and why:
//  - A Reactor is an object, not a process-wide singleton: each cell, each test makes its own.
//  - run() returns after stop(), as in Twisted, and may then be called again (Twisted's
//    reactor cannot be restarted). Nothing else ends it: a program that never stops hangs.
//  - call_later reads the clock when it is called, as Twisted's callLater does, and not the
//    loop's cached time (the core's call_later, libuv-style): a program that schedules 10^6
//    calls in one callback must not see the last ones fire early.
//  - Connections still open when the Reactor is destroyed are closed without connection_lost.
//
// Guarantees: a delayed call never runs before its delay has passed, and at most one timer
// tick (≈ 16 µs) plus the loop's own lateness after; calls due in the same tick run in the
// order they were made. defer_to_thread's function runs on the core's offload pool (one
// thread per core, started on first use); its result or exception reaches the Deferred on the
// loop thread. A "Unhandled error in Deferred" is reported, while this Reactor lives, through
// the core's error report (counted in errors()); so two Reactors on one thread must end in
// the reverse order of their making.
// Cost: call_later is a clock read (≈ 23 ns), a timing-wheel insert (≈ 35 ns per timer
// inserted and fired at 10^6) and the DelayedCall's state (one 72-byte allocation, which
// holds a callable of up to 32 bytes; a larger one costs one more allocation). reset() to
// a later time is a clock read (see DelayedCall). defer_later costs the timer alone (the
// callable in the timer entry, no DelayedCall), plus its Deferred.
// Thread-safety: everything is for the loop thread, except call_from_thread (any thread) and
// the function that defer_to_thread runs on a pool thread (it must not touch Deferreds or the
// reactor).
//
// A delay of zero (or less) is due already. Twisted runs such a call on the reactor's next
// iteration, so it goes to the ready queue, not the timer wheel (whose next tick may be
// 16 µs away), and runs on the next turn, in FIFO order with every other call queued for
// that turn (the core's call_soon, other zero delays, a zero-delay defer_later). Its
// DelayedCall stays active, and may be cancelled or reset, until then.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

#include "models/callbacks/deferred.hpp"
#include "models/callbacks/listening_port.hpp"
#include "models/callbacks/protocol.hpp"
#include "models/callbacks/rc.hpp"
#include "models/core/engine.hpp"
#include "models/core/span.hpp"

namespace cmbench::callbacks {

class Connection;

// Twisted's twisted.internet.error names for misuse of the reactor and of delayed calls.
struct ReactorNotRunning : std::logic_error {
  using std::logic_error::logic_error;
};
struct AlreadyCalled : std::logic_error {
  using std::logic_error::logic_error;
};
struct AlreadyCancelled : std::logic_error {
  using std::logic_error::logic_error;
};

// A call scheduled by call_later (Twisted's IDelayedCall): active() until it has run or been
// cancelled; cancel() or reset() of an inactive call throws AlreadyCalled or
// AlreadyCancelled. Copies share one call. Must not be used after its Reactor is destroyed.
// reset(delay) makes the call due `delay` from now (read fresh), sooner or later than it
// was. Later is what a timeout reset on every message does (TimeoutMixin.resetTimeout), so
// it is made cheap as in Twisted (its delayed_time): only the due time changes, and the
// timer, when it comes round at the old time, re-arms itself for the rest. Sooner replaces
// the timer.
// Why it holds a small shared state (one allocation per call_later) instead of the core's
// timer handle alone: the core's pending() says whether the timer still waits, not whether
// it ran or was cancelled, which cancel()'s error must tell apart; and the callable must
// survive its timer to be re-armed by reset().
class DelayedCall {
 public:
  DelayedCall() = default;  // names no call: inactive
  bool active() const noexcept { return state_.get() && !state_->called && !state_->cancelled; }
  void cancel();
  template <class Rep, class Period>
  void reset(std::chrono::duration<Rep, Period> delay);
  void reset(double seconds) { reset(std::chrono::duration<double>(seconds)); }

 private:
  friend class Reactor;
  // Invariant: while active, `time` is when the call is due and the core timer `handle`
  // waits for `time` or for an earlier moment (after a reset to later), when it re-arms.
  struct State {
    cmbench::Engine* core = nullptr;
    cmbench::Engine::TimerHandle handle{};  // meaningless while `queued`
    std::int64_t time = 0;                  // due, in ns of CLOCK_MONOTONIC
    Callback call;
    bool called = false;
    bool cancelled = false;
    bool queued = false;  // waits in the ready queue (a zero delay), not on a timer
    std::uint32_t refs = 0;
  };
  static void arm(const detail::Rc<State>& state);    // a core timer for state->time
  static void queue(const detail::Rc<State>& state);  // the core's ready queue: due now
  static void fire(State& state);                     // runs the call, once
  void check_active() const;  // throws if this call cannot be cancelled or reset
  void reset_to(std::int64_t time);
  detail::Rc<State> state_;
};

namespace detail {

// A delay in whole nanoseconds, rounded up (Twisted's delays are float seconds). The core's
// call_later counts it from a fresh clock read, not the loop's cached time.
template <class Rep, class Period>
std::chrono::nanoseconds delay_ns(std::chrono::duration<Rep, Period> delay) {
  return std::max(std::chrono::nanoseconds(0), std::chrono::ceil<std::chrono::nanoseconds>(delay));
}

// fn(args...) as one callable that keeps its arguments (Twisted passes *args along).
template <class F, class... Args>
auto bind_call(F fn, Args... args) {
  if constexpr (sizeof...(Args) == 0)
    return fn;
  else
    return [fn = std::move(fn), ... args = std::move(args)]() mutable -> decltype(auto) {
      return std::invoke(fn, args...);
    };
}

}  // namespace detail

template <class Rep, class Period>
void DelayedCall::reset(std::chrono::duration<Rep, Period> delay) {
  reset_to(monotonic_ns() + detail::delay_ns(delay).count());
}

class Reactor {
 public:
  Reactor();  // defer_to_thread uses the process's OffloadPool (models/core/offload_pool.hpp)
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;
  ~Reactor();

  template <class Rep, class Period, class F, class... Args>
  DelayedCall call_later(std::chrono::duration<Rep, Period> delay, F fn, Args... args) {
    DelayedCall call;
    call.state_ = detail::Rc<DelayedCall::State>::make();
    call.state_->core = &engine_;
    call.state_->time = monotonic_ns() + detail::delay_ns(delay).count();
    call.state_->call = detail::bind_call(std::move(fn), std::move(args)...);
    if (detail::delay_ns(delay).count() == 0)
      DelayedCall::queue(call.state_);  // due now: the next turn, not the next timer tick
    else
      DelayedCall::arm(call.state_);
    return call;
  }
  template <class F, class... Args>
  DelayedCall call_later(double seconds, F fn, Args... args) {
    return call_later(std::chrono::duration<double>(seconds), std::move(fn), std::move(args)...);
  }

  // Runs fn once the reactor runs (at once, if it is running already).
  template <class F, class... Args>
  void call_when_running(F fn, Args... args) {
    auto call = detail::bind_call(std::move(fn), std::move(args)...);
    if (running_)
      call();
    else
      engine_.call_soon(std::move(call));
  }

  // Runs fn(args...) on a thread of the offload pool; the Deferred fires on the loop thread
  // with its result, or fails with its exception. fn and args are moved to the pool thread.
  template <class F, class... Args>
  auto defer_to_thread(F fn, Args... args) {
    using R = std::invoke_result_t<F&, Args&...>;
    // Written on the pool thread, read on the loop thread: the core's hand-over of `done`
    // (a mutex) orders the two. Shared by two threads, so a std::shared_ptr (atomic count).
    struct Outcome {
      std::conditional_t<std::is_void_v<R>, std::monostate, std::optional<R>> value;
      std::exception_ptr error;
    };
    auto out = std::make_shared<Outcome>();
    Deferred<R> d;
    // In a trace, the Deferred's task hands the job over (the core names the job after the
    // task running) and waits on the pool until `done` fires it.
    detail::Starting handing_over(detail::ChainOf::get(d), trace::Wait::pool);
    engine_.offload(
        [out, call = detail::bind_call(std::move(fn), std::move(args)...)]() mutable {
          try {
            if constexpr (std::is_void_v<R>)
              call();
            else
              out->value.emplace(call());
          } catch (...) {
            out->error = std::current_exception();
          }
        },
        [out, d]() mutable {
          detail::Resume resume(detail::ChainOf::get(d), trace::Cause::pool);
          if (out->error)
            d.errback(out->error);
          else if constexpr (std::is_void_v<R>)
            d.callback();
          else
            d.callback(std::move(*out->value));
        });
    return d;
  }

  // Twisted's reactor.callFromThread, the one call another thread may make: queues
  // fn(args...) to run on the loop thread in a later turn, and wakes the loop. The caller
  // must know the reactor lives until then (a running reactor stays alive until stop(),
  // which is what a call from another thread usually asks for). Cost: a mutex and an eventfd
  // write.
  template <class F, class... Args>
  void call_from_thread(F fn, Args... args) {
    engine_.call_soon_threadsafe(detail::bind_call(std::move(fn), std::move(args)...));
  }

  // twisted.logger's globalLogBeginner.beginLoggingTo: every error this reactor logs (an
  // Unhandled error in Deferred, a call that raised) goes to `observer` as one line, on the
  // loop thread, instead of to stderr.
  void begin_logging_to(std::function<void(std::string_view line)> observer) {
    engine_.set_error_handler(std::move(observer));
  }

  // Listens on 127.0.0.1:port (0: an ephemeral port; ask the ListeningPort which). Each
  // accepted connection gets factory.build_protocol(). The factory must outlive the port.
  ListeningPort& listen_tcp(std::uint16_t port, Factory& factory);
  // Connects to 127.0.0.1:port; once connected, factory.build_protocol() gets the
  // connection, else factory.client_connection_failed(reason) is called.
  void connect_tcp(std::uint16_t port, ClientFactory& factory);

  void run();   // until stop()
  void stop();  // run() returns after the current turn; throws ReactorNotRunning if idle
  bool running() const noexcept { return running_; }

  cmbench::Engine& engine() noexcept { return engine_; }

  // A watch for calls that block the reactor (Twisted has none built in; this is asyncio
  // debug mode's slow_callback_duration on the shared loop): every delayed call, callback
  // or I/O handler that runs longer than `threshold` is reported after it returns, as one
  // line: "reactor blocked: a timer callback took 1.002 seconds; nothing else ran
  // meanwhile". A threshold of 0 or an empty `report` turns it off (the default, which costs
  // nothing). Cost when on: two clock reads per call.
  void set_slow_call_threshold(std::chrono::nanoseconds threshold,
                               std::function<void(std::string_view line)> report);

 private:
  friend class Connection;
  friend class ListeningPort;
  Connection& adopt(std::unique_ptr<Connection> c);
  void forget(Connection& c);  // destroys c on the next turn, once nothing uses it
  std::span<std::byte> read_buffer();

  cmbench::Engine engine_;  // first: destroyed last, after everything that watches it
  bool running_ = false;
  std::vector<std::byte> read_buffer_;  // shared by every connection (one read at a time)
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<ListeningPort>> ports_;
  UnhandledErrorHandler previous_unhandled_;
};

// twisted.internet.task.deferLater: a Deferred that fires with fn(args...) after `delay`,
// or fails with what fn threw. The timer calls fn and fires the Deferred: no DelayedCall, no
// extra link (Twisted cancels a deferLater through its Deferred, which this model does not
// offer), so a waiting task costs its timer entry and its Deferred, nothing more.
template <class Rep, class Period, class F, class... Args>
auto defer_later(Reactor& reactor, std::chrono::duration<Rep, Period> delay, F fn, Args... args) {
  using R = std::invoke_result_t<F&, Args&...>;
  Deferred<R> d;
  // In a trace, the task runs fn as its first step, once the timer has woken it.
  detail::Starting waiting(detail::ChainOf::get(d), trace::Wait::timer);
  auto fire = [d, call = detail::bind_call(std::move(fn), std::move(args)...)]() mutable {
    detail::Resume resume(detail::ChainOf::get(d), trace::Cause::timer);
    detail::fire_with_result(d, call);
  };
  const auto ns = detail::delay_ns(delay);
  if (ns.count() == 0)  // due now: the next turn, as call_later(0) (see the class comment)
    reactor.engine().call_soon(std::move(fire));
  else
    reactor.engine().call_later(ns, std::move(fire));
  return d;
}

// twisted.internet.task.react: makes a Reactor, calls main(reactor) once it runs, and runs
// it until the Deferred main returned fires. Returns that value, or throws that failure (an
// exception thrown by main itself counts as a failure too). Never returns if it never fires.
template <class Main>
auto react(Main main) {
  using D = std::invoke_result_t<Main&, Reactor&>;
  using T = typename D::value_type;
  Reactor reactor;
  std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> result{};
  Failure failure;
  // In a trace, main is the task "main": it runs main(reactor), waits for its Deferred,
  // and finishes when that fires.
  trace::TaskId main_task = 0;
  auto main_done = [&main_task](trace::Outcome o) noexcept {
    if (!main_task) return;
    if (trace::current() != main_task) trace::woken(main_task, detail::wake_cause);
    const trace::TaskId previous = detail::switch_to(main_task);
    trace::finished(main_task, o);
    detail::switch_back(main_task, previous);
    main_task = 0;
  };
  reactor.call_when_running([&] {
    trace::TaskId previous = 0;
    if (trace::on()) [[unlikely]] {
      main_task = trace::fresh_id();
      trace::created(main_task);
      trace::named(main_task, trace::intern("main"));
      previous = detail::switch_to(main_task);
    }
    const trace::TaskId me = main_task;
    D d = [&]() -> D {  // Twisted's maybeDeferred(main, reactor)
      try {
        return main(reactor);
      } catch (...) {
        return fail<T>(std::current_exception());
      }
    }();
    auto failed = [&](const Failure& f) {
      failure = f;
      main_done(trace::Outcome::exception);
      reactor.stop();
    };
    if constexpr (std::is_void_v<T>)
      d.add_callbacks(
          [&] {
            result = true;
            main_done(trace::Outcome::ok);
            reactor.stop();
          },
          failed);
    else
      d.add_callbacks(
          [&](T value) {
            result.emplace(std::move(value));
            main_done(trace::Outcome::ok);
            reactor.stop();
          },
          failed);
    if (me) [[unlikely]] {
      if (trace::current() == me) trace::suspended(me, trace::Wait::join);  // on d
      detail::switch_back(me, previous);
    }
  });
  reactor.run();
  if (failure) failure.raise_exception();
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace cmbench::callbacks
