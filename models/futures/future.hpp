// Future<T>: the result of an operation that has not finished yet, in Tornado's words. Its
// producer resolves it once with set_result or set_exception; its followers attach
// done-callbacks (add_done_callback) or continuations (then), which is how futures compose
// when there are no coroutines to `yield` them in.
//
// Guarantees:
//  - a future resolves once: pending → result, or pending → exception, never back. A second
//    set_result or set_exception throws InvalidStateError, as do result() and exception()
//    on a pending future.
//  - Done-callbacks run once each, in the order they were added, on the thread that
//    resolves the future (the loop's), *during* set_result / set_exception; one added to a
//    future already done runs at once, inside add_done_callback. That is Tornado 4's own
//    Future, and what tornado.concurrent.future_add_done_callback does for a done future.
//    Tornado ≥ 5 uses asyncio's Future, which schedules every callback on the loop instead:
//    a trip through the ready queue per continuation, where here a continuation costs a
//    function call. The price of running inline is nesting (a continuation resolves the
//    next future, whose continuation resolves the next ...), so past 64 nested resolutions
//    the callbacks are handed to the current IOLoop (add_callback) and run on its next turn:
//    a long chain resolved at once cannot overflow the stack. Without a current IOLoop
//    they always run inline.
//  - A done-callback that throws is reported to the current IOLoop's error handler (stderr
//    without a loop) and the others still run: a failing follower never breaks the producer.
//  - A future that failed and whose exception nobody observed (result(), exception(), a
//    `then` or another composition that passed it on) reports it when its state dies:
//    "Future exception was never retrieved: <what>", Tornado's and asyncio's warning for a
//    forgotten future, through the thread's handler (set_unretrieved_exception_handler;
//    stderr by default). It costs the success path nothing: one flag in the state's padding,
//    set and tested only where an exception is.
//  - `then` propagates failure: if this future fails, the future `then` returned fails with
//    the same exception and fn is not called; if fn throws, it fails with what fn threw.
//    If fn returns a Future<U>, `then` returns a Future<U> that resolves as that one does.
// Not guaranteed: thread-safety. A future belongs to its loop's thread: create, resolve,
// follow and drop it there (run_in_executor resolves its future on the loop thread for that
// reason). No cancellation: like Tornado's, a future only ever resolves.
//
// Ownership: a Future is a handle, like a Python reference. Copies share one state, which
// lives while any handle does (the producer's, the followers', those captured in pending
// callbacks). A moved-from handle may only be assigned to or destroyed. The value lives in
// the state: result() returns a reference to it, and `then` passes it to fn as T&, so fn
// takes `const T&` to read it, `T` for a copy, or `T&` to move from it. Composition
// (flattening, chain_future, multi) copies a copyable value and moves a move-only one.
//
// Cost: one 80-byte state per future (for Future<int> or Future<void>), holding the
// reference count (a plain integer: one thread, no atomics), the outcome, and the first
// done-callback inline, so the usual single follower costs nothing more. States come from
// a per-thread free list (recycler.hpp), not malloc. A continuation — make a future, `then`,
// set_result, read the result — is ≈ 11 ns here: 1.8× a bare promise/then floor on the
// same free list, 26× faster than std::promise/std::future (bench/micro/futures.cpp).
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/core/callback.hpp"
#include "models/core/trace.hpp"
#include "models/futures/recycler.hpp"
#include "models/futures/task_trace.hpp"

namespace cmbench::futures {

class IOLoop;
template <class T>
class Future;

// Setting a future twice, or reading one that is still pending.
class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Where a future's exception that nobody retrieved is reported when its state dies. One
// handler per thread (futures live on their loop's thread); empty: stderr. Returns the
// previous one.
using UnretrievedExceptionHandler = std::function<void(const std::exception_ptr&)>;
UnretrievedExceptionHandler set_unretrieved_exception_handler(UnretrievedExceptionHandler h);

namespace detail {

// future.cpp: "Future exception was never retrieved", through the thread's handler.
void report_unretrieved(const std::exception_ptr& error) noexcept;

struct Empty {};  // what a Future<void> holds
template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, Empty, T>;

// The IOLoop current on this thread (IOLoop maintains it), and how deeply resolutions nest
// on this thread right now.
inline thread_local IOLoop* current_loop = nullptr;
inline thread_local int nested_resolutions = 0;
inline constexpr int max_nested_resolutions = 64;

// future.cpp: report the exception being handled (or `error`) to the current loop's error
// handler; queue cb for the current loop's next turn.
void report_callback_error() noexcept;
void report_exception(const std::exception_ptr& error, std::string_view context) noexcept;
void call_on_next_turn(Callback cb);

inline void run_callback(Callback& cb) noexcept {
  try {
    cb();
  } catch (...) {
    report_callback_error();
  }
}

// A copyable value is copied out of a state that others may still read; a move-only one
// can only be moved.
template <class V>
V pass_on(V& value) {
  if constexpr (std::is_copy_constructible_v<V>)
    return value;
  else
    return std::move(value);
}

// The shared state of one future.
template <class T>
class State {
 public:
  using Value = stored_t<T>;
  // States come from a per-thread free list (recycler.hpp) when they are small enough, in
  // blocks rounded up to 16 bytes (the recycler's alignment).
  static constexpr std::size_t block_size = (sizeof(State) + 15) / 16 * 16;
  static void* operator new(std::size_t size) {
    if constexpr (pooled) return Recycler<block_size>::allocate();
    return ::operator new(size);
  }
  static void operator delete(void* p) noexcept {
    if constexpr (pooled) return Recycler<block_size>::deallocate(p);
    ::operator delete(p);
  }

  State() noexcept : more_(nullptr) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (!done_)
      delete more_;
    else if (!error_)
      value_.~Value();
    else if (!retrieved_) [[unlikely]]
      report_unretrieved(error_);
  }

  void ref() noexcept { ++refs_; }
  void unref() noexcept {
    if (--refs_ == 0) delete this;
  }

  bool done() const noexcept { return done_; }
  // The exception, if it failed; reading a non-null one counts as retrieving it.
  const std::exception_ptr& error() const noexcept {
    if (error_) retrieved_ = true;
    return error_;
  }
  Value& value() noexcept { return value_; }  // only when done() and !error()

  static constexpr bool pooled = alignof(Value) <= 16 && sizeof(Value) <= 512;

  // pending → result. False (and nothing changes) if already done.
  template <class... A>
  bool try_set_value(A&&... args) {
    if (done_) return false;
    std::vector<Callback>* more = more_;
    try {
      ::new (static_cast<void*>(std::addressof(value_))) Value(std::forward<A>(args)...);
    } catch (...) {
      more_ = more;  // the union may have been written over: still pending
      throw;
    }
    done_ = true;
    if (traced_) [[unlikely]]
      finish_traced(more);
    else
      finish(more);
    return true;
  }

  // pending → exception. False (and nothing changes) if already done.
  bool try_set_error(std::exception_ptr error) {
    if (done_) return false;
    std::vector<Callback>* more = more_;
    error_ = std::move(error);
    done_ = true;
    if (traced_) [[unlikely]]
      finish_traced(more);
    else
      finish(more);
    return true;
  }

  // The future as a task in a trace (task_trace.hpp). traced(): made a task while
  // recording, and not resolved yet. wait(): what a follower of this future waits on.
  trace::TaskId task_id() const noexcept { return reinterpret_cast<std::uintptr_t>(this); }
  bool traced() const noexcept { return traced_; }
  void set_traced() noexcept { traced_ = true; }
  trace::Wait wait() const noexcept {
    return traced_ ? trace::Wait::join : static_cast<trace::Wait>(wait_);
  }
  void set_wait(trace::Wait w) noexcept { wait_ = static_cast<std::uint8_t>(w); }

  // fn is anything Callback takes: built in place, it costs no move (an indirect call).
  template <class F>
  void add_callback(F&& fn) {
    if (done_) {
      Callback cb(std::forward<F>(fn));
      ref();
      run_now(cb);
      unref();
    } else if (!callback_) {
      std::destroy_at(&callback_);  // empty: nothing to release
      try {
        std::construct_at(&callback_, std::forward<F>(fn));
      } catch (...) {
        std::construct_at(&callback_);  // a large fn's allocation failed: empty again
        throw;
      }
    } else {
      if (!more_) more_ = new std::vector<Callback>;
      more_->emplace_back(std::forward<F>(fn));
    }
  }

 private:
  // Runs the callbacks of a future that has just resolved: inline, or on the loop's next
  // turn when resolutions already nest deeply (see the header).
  void finish(std::vector<Callback>* more) {
    if (!callback_) return;  // nobody follows (more_ is only ever used after callback_)
    if (nested_resolutions >= max_nested_resolutions && current_loop) {
      call_on_next_turn([keep = Keep(this), first = std::move(callback_),
                         rest = std::unique_ptr<std::vector<Callback>>(more)]() mutable {
        run_all(first, rest.get());
      });
      return;
    }
    ref();
    ++nested_resolutions;
    run_all(callback_, more);
    delete more;
    --nested_resolutions;
    unref();
  }

  // finish() as the task's last step: woken (unless running), its followers run inside it,
  // then it finishes.
  [[gnu::noinline]] void finish_traced(std::vector<Callback>* more) {
    traced_ = false;
    ref();
    const trace::TaskId me = task_id();
    const trace::TaskId previous = wake_and_run(me);
    finish(more);
    trace::finished(me, error_ ? trace::Outcome::exception : trace::Outcome::ok);
    switch_back(me, previous);
    unref();
  }

  static void run_all(Callback& first, std::vector<Callback>* more) noexcept {
    run_callback(first);
    first.reset();  // drops what it captured (the next future, say) as early as possible
    if (more)
      for (auto& cb : *more) {
        run_callback(cb);
        cb.reset();
      }
  }

  // A reference that a deferred call holds on the state.
  class Keep {
   public:
    explicit Keep(State* s) noexcept : s_(s) { s_->ref(); }
    Keep(Keep&& other) noexcept : s_(std::exchange(other.s_, nullptr)) {}
    Keep& operator=(Keep&&) = delete;
    ~Keep() {
      if (s_) s_->unref();
    }

   private:
    State* s_;
  };

  void run_now(Callback& cb) {
    if (nested_resolutions >= max_nested_resolutions && current_loop) {
      call_on_next_turn([keep = Keep(this), cb = std::move(cb)]() mutable { run_callback(cb); });
      return;
    }
    ++nested_resolutions;
    run_callback(cb);
    --nested_resolutions;
  }

  // The state machine. Invariant:
  //  - pending (!done_): error_ is null, value_ is not constructed, and more_ is the active
  //    member of the union (null, or the callbacks added after callback_);
  //  - done: exactly one of error_ (non-null) and value_ (constructed) holds the outcome,
  //    and it never changes again; callback_ is empty once the callbacks have run.
  // refs_ counts the handles (and running callbacks) that keep the state alive.
  Callback callback_;  // the first done-callback: the usual (often only) follower
  std::exception_ptr error_;
  union {
    Value value_;
    std::vector<Callback>* more_;
  };
  std::uint32_t refs_ = 1;
  bool done_ = false;
  bool traced_ = false;             // see traced(); these three bytes were padding
  mutable bool retrieved_ = false;  // error_ was looked at (only ever set when it is non-null)
  std::uint8_t wait_ = static_cast<std::uint8_t>(trace::Wait::join);
};

// While alive: task `next` (a `then`'s future) runs its continuation, woken by the future it
// followed; after, it has finished, or it waits on the future its continuation returned.
class ThenStep {
 public:
  template <class U>
  explicit ThenStep(State<U>& next) noexcept {
    if (next.traced()) [[unlikely]] {
      task_ = next.task_id();
      previous_ = wake_and_run(task_);
    }
  }
  ~ThenStep() {
    if (task_) [[unlikely]]
      leave();
  }
  ThenStep(const ThenStep&) = delete;
  ThenStep& operator=(const ThenStep&) = delete;

 private:
  void leave() noexcept {
    if (trace::current() == task_) trace::suspended(task_, trace::Wait::join);
    switch_back(task_, previous_);
  }
  trace::TaskId task_ = 0, previous_ = 0;
};

// A `then`'s future `next`, just made by the running task, becomes a task following `source`.
template <class U, class T>
[[gnu::noinline]] void trace_then(State<U>& next, const State<T>& source) noexcept {
  next.set_traced();
  if (source.done())
    trace::created(next.task_id());  // its continuation runs at once
  else
    born_waiting(next.task_id(), source.wait());
}

// What fn returns when it continues a Future<T>.
template <class T, class F>
struct continuation {
  using type = std::remove_cvref_t<std::invoke_result_t<F&, T&>>;
};
template <class F>
struct continuation<void, F> {
  using type = std::remove_cvref_t<std::invoke_result_t<F&>>;
};

template <class R>
struct unwrap_future {
  using type = R;
  static constexpr bool is_future = false;
};
template <class U>
struct unwrap_future<Future<U>> {
  using type = U;
  static constexpr bool is_future = true;
};

template <class T, class F>
decltype(auto) invoke_with(F& fn, State<T>& source) {
  if constexpr (std::is_void_v<T>)
    return fn();
  else
    return fn(source.value());
}

// The one door to a future's state, for the compositions (then, chain_future, multi, ...).
struct Access {
  template <class T>
  static State<T>& state(const Future<T>& f) noexcept {
    return *f.state_;
  }
  template <class T>
  static Future<T> handle(State<T>& s) noexcept {  // a new handle to s
    s.ref();
    return Future<T>(&s);
  }
};

// Copies a's outcome to b, unless b is done already.
template <class T>
void copy_outcome(State<T>& from, State<T>& to) {
  if (from.error())
    to.try_set_error(from.error());
  else if constexpr (std::is_void_v<T>)
    to.try_set_value();
  else
    to.try_set_value(pass_on(from.value()));
}

}  // namespace detail

template <class T>
class Future {
  static_assert(!std::is_reference_v<T>, "a Future holds a value, not a reference");
  using State = detail::State<T>;

 public:
  using value_type = T;

  // A new pending future. Cost: one state from the free list.
  Future() : state_(new State) {}
  Future(const Future& other) noexcept : state_(other.state_) {
    if (state_) state_->ref();
  }
  Future(Future&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Future& operator=(Future other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~Future() {
    if (state_) state_->unref();
  }

  // Resolves the future and runs its done-callbacks, before returning.
  void set_result(detail::stored_t<T> value) requires(!std::is_void_v<T>) {
    if (!state_->try_set_value(std::move(value)))
      throw InvalidStateError("set_result on a future that is already done");
  }
  void set_result() requires std::is_void_v<T> {
    if (!state_->try_set_value())
      throw InvalidStateError("set_result on a future that is already done");
  }
  void set_exception(std::exception_ptr error) {
    if (!error) throw std::invalid_argument("set_exception needs an exception");
    if (!state_->try_set_error(std::move(error)))
      throw InvalidStateError("set_exception on a future that is already done");
  }

  bool done() const noexcept { return state_->done(); }

  // The value; rethrows the exception if the future failed.
  std::add_lvalue_reference_t<T> result() const {
    if (!state_->done()) throw InvalidStateError("result() of a pending future");
    if (state_->error()) std::rethrow_exception(state_->error());
    if constexpr (!std::is_void_v<T>) return state_->value();
  }
  // The exception, or null if the future succeeded.
  std::exception_ptr exception() const {
    if (!state_->done()) throw InvalidStateError("exception() of a pending future");
    return state_->error();
  }

  // fn(Future<T>&) runs when the future resolves (see the header for where and when).
  template <class F>
  void add_done_callback(F&& fn) {
    state_->add_callback([fn = std::decay_t<F>(std::forward<F>(fn)), self = state_]() mutable {
      Future<T> f = detail::Access::handle(*self);
      fn(f);
    });
  }

  // A future for fn(value): Future<U> where fn returns U or Future<U>.
  template <class F>
  auto then(F&& fn) {
    using Fn = std::decay_t<F>;
    using R = typename detail::continuation<T, Fn>::type;
    using Unwrap = detail::unwrap_future<R>;
    using U = typename Unwrap::type;
    Future<U> out;
    if (trace::on()) [[unlikely]]
      detail::trace_then(detail::Access::state(out), *state_);
    // The continuation lives in this future's state, holding `out` and fn: no allocation
    // beyond `out`'s own while it fits Callback's inline storage (fn up to 16 bytes).
    state_->add_callback([fn = Fn(std::forward<F>(fn)), out, source = state_]() mutable {
      auto& next = detail::Access::state(out);
      detail::ThenStep step(next);
      if (source->error()) {
        next.try_set_error(source->error());
        return;
      }
      try {
        if constexpr (Unwrap::is_future) {
          chain_future(detail::invoke_with(fn, *source), out);
        } else if constexpr (std::is_void_v<R>) {
          detail::invoke_with(fn, *source);
          next.try_set_value();
        } else {
          next.try_set_value(detail::invoke_with(fn, *source));
        }
      } catch (...) {
        next.try_set_error(std::current_exception());
      }
    });
    return out;
  }

 private:
  friend struct detail::Access;
  explicit Future(State* adopted) noexcept : state_(adopted) {}

  State* state_;  // never null but after a move
};

// Resolves b as a resolves (the result or the exception), unless b is done by then.
// Tornado's tornado.concurrent.chain_future.
template <class T>
void chain_future(const Future<T>& a, Future<T> b) {
  auto& from = detail::Access::state(a);
  from.add_callback(
      [&from, b = std::move(b)] { detail::copy_outcome(from, detail::Access::state(b)); });
}

}  // namespace cmbench::futures
