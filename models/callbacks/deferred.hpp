// Deferred<T>: a result that is not there yet, and the chain of callbacks that will process it
// (Twisted's Deferred).
//
// The whole idea:
//   Deferred<int> d;                                     // made by whoever will produce the int
//   d.add_callback([](int n) { return n * 2; })          // int -> int
//    .add_callback([](int n) { return std::to_string(n); })  // int -> std::string
//    .add_errback([](const Failure& f) { return std::string("failed: ") + f.error_message(); });
//   d.callback(21);                                      // runs the chain now: "42"
//
// Rules, as in Twisted:
//  - Each callback gets the value the previous one returned. A callback that throws switches
//    the chain to the errback path: the callbacks after it are skipped until an errback
//    handles the Failure by returning a value; then the callbacks resume. An errback that
//    throws (f.raise_exception(), f.trap<E>()) or returns a Failure passes it on.
//  - A callback or errback may return a Deferred<U>: the chain pauses until that one fires and
//    goes on with its result (Twisted's chaining). Its result is then handed on: the returned
//    Deferred takes no more callbacks.
//  - callback()/errback() fire the chain once; a second time throws AlreadyCalledError.
//    Callbacks added after the Deferred fired run at once, inside add_callback.
//  - A Failure still unhandled when the last handle on the chain goes away is reported
//    ("Unhandled error in Deferred"): to the running callbacks::Reactor's error report, else
//    on stderr. See set_unhandled_error_handler.
//
// How the chain is typed. Python lets a chain's value change type at each step; C++ wants to
// know the type at compile time. Here the *chain* stores its current value type-erased (a box
// that knows how to delete what it holds), and a *handle* Deferred<T> says which type the
// chain holds at the point where the handle was taken. add_callback(f) with f: T -> U appends
// f to the same chain and returns a Deferred<U> on that chain, so the compiler checks every
// step: f must accept a T, the next callback a U. Handles are cheap shared references (like
// Python's), and the chain checks at run time that a handle is used at the right place:
//  - add_* through a handle whose T is no longer the chain's type (because a later callback
//    changed it) throws std::logic_error: keep the handle add_callback returned, as in
//    d.add_callback(f).add_callback(g);
//  - callback(v) must go through a handle of the type the chain started with.
// A callback that returns void makes a Deferred<void>; its next callback takes no argument.
// Values may be move-only (a Deferred<std::unique_ptr<X>>): the chain moves, never copies.
//
// Cancelling, as in Twisted: whoever makes a Deferred may give it a canceller,
// Deferred<T>([](Deferred<T>& d) { stop_the_work(); }), which stops whatever would have
// fired it (a delayed call, a request). d.cancel() on a Deferred not fired yet calls the
// canceller (once), and then, unless the canceller fired d itself, fails it with
// CancelledError: its errbacks run at once, inside cancel(). Without a canceller, cancel()
// fails it all the same, and the producer's later callback() or errback() is dropped once
// instead of raising AlreadyCalledError. cancel() on a fired Deferred does nothing. Not
// provided: cancelling a fired Deferred whose chain waits on a Deferred a callback
// returned (Twisted cancels that inner one). A canceller must not hold a handle on its own
// Deferred (it is given one): the two would keep each other alive.
// Cost of cancelling: nothing for a Deferred made without a canceller; one entry in a
// per-thread table for one made with (see Canceller in chain.hpp).
//
// Not provided (Twisted has them): pause()/unpause(), callback arguments (capture them in
// the lambda), debug tracebacks of where a Deferred was created.
//
// Cost: a Deferred takes one chain block (160 bytes, recycled; see chain.hpp) holding its
// first callback and a value of up to 24 bytes; more callbacks go to a vector, larger values
// to the heap. Running a callback is one indirect call; copying a handle bumps a counter.
// Thread-safety: none. A Deferred belongs to the loop thread; to fire one from another
// thread, use Reactor::defer_to_thread or the core's call_soon_threadsafe.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "models/callbacks/chain.hpp"
#include "models/callbacks/failure.hpp"

namespace cmbench::callbacks {

// A Deferred fired a second time (Twisted's AlreadyCalledError).
struct AlreadyCalledError : std::logic_error {
  using std::logic_error::logic_error;
};

// What a cancelled Deferred fails with (twisted.internet.defer.CancelledError).
struct CancelledError : std::runtime_error {
  CancelledError() : std::runtime_error("the Deferred was cancelled") {}
};

// Where an unhandled failure is reported when its chain goes away. One handler per thread
// (Deferreds live on their loop's thread); the default prints to stderr. Returns the previous.
using UnhandledErrorHandler = std::function<void(const Failure&)>;
UnhandledErrorHandler set_unhandled_error_handler(UnhandledErrorHandler h);

template <class T>
class Deferred;

namespace detail {

template <class R>
struct deferred_traits {
  static constexpr bool is_deferred = false;
};
template <class U>
struct deferred_traits<Deferred<U>> {
  static constexpr bool is_deferred = true;
  using type = U;
};

// What a callback f gets: the chain's value moved out to it, or nothing for a void chain.
template <class F, class T>
struct callback_result {
  using type = std::invoke_result_t<F&, T&&>;
};
template <class F>
struct callback_result<F, void> {
  using type = std::invoke_result_t<F&>;
};

// The type a chain holds after a callback returning R: R itself, or what the Deferred it
// returned will hold.
template <class R, class D = std::decay_t<R>>
using chain_type_t = typename std::conditional_t<deferred_traits<D>::is_deferred,
                                                 deferred_traits<D>, std::type_identity<D>>::type;

template <class F, class T>
using callback_chain_t = chain_type_t<typename callback_result<F, T>::type>;

// An errback or add_both function, called with a Failure, may recover with a U (or a
// Deferred<U>), or pass the failure on by returning a Failure.
template <class R, class U>
inline constexpr bool fits_errback = std::is_same_v<std::decay_t<R>, Failure> ||
                                     std::is_same_v<chain_type_t<R>, U> ||
                                     (!std::is_void_v<U> && std::is_convertible_v<R, U>);

void report_unhandled(const Failure& f) noexcept;  // through the thread's handler

template <class U, class F>
void settle(Chain& c, F&& produce) noexcept;

// A Deferred's chain, for the runtime's trace hooks (Starting, Resume in chain.hpp).
struct ChainOf {
  template <class T>
  static Chain& get(const Deferred<T>& d) noexcept {
    return *d.chain_;
  }
};

template <class T, class F>
auto call_with_value(F& f, Value& v) {
  if constexpr (std::is_void_v<T>)
    return f();
  else
    return f(v.take<T>());
}

}  // namespace detail

template <class T>
class Deferred {
 public:
  using value_type = T;

  // A new, unfired Deferred.
  Deferred() : chain_(detail::ChainRef::make(typeid(T))) {}
  // A new, unfired Deferred that cancel() cancels by calling canceller(d) first.
  template <class C>
  requires(std::is_invocable_v<C&, Deferred<T>&>) explicit Deferred(C canceller) : Deferred() {
    detail::set_canceller(*chain_,
                          [c = std::move(canceller)](const detail::ChainRef& chain) mutable {
                            Deferred<T> d(chain);
                            c(d);
                          });
  }

  // Fires the chain with a value (Deferred<void>: with nothing); throws AlreadyCalledError
  // if it has fired already. Runs every callback added so far before returning.
  template <class V = T>
  requires(!std::is_void_v<T>) void callback(V&& value) {
    if (late_after_cancel()) return;
    chain_->expect_unfired(typeid(T));
    chain_->value.template emplace<T>(std::forward<V>(value));
    chain_->fire();
  }
  void callback() requires std::is_void_v<T> {
    if (late_after_cancel()) return;
    chain_->expect_unfired(typeid(T));
    chain_->fire();
  }
  // Fires the chain with a failure: the errbacks run.
  void errback(Failure f) {
    if (late_after_cancel()) return;
    chain_->expect_unfired(typeid(T));
    chain_->set_failure(f ? std::move(f) : Failure(std::logic_error("errback() without an error")));
    chain_->fire();
  }

  // cb: T -> U (or Deferred<U>). Runs on success; skipped on the errback path.
  template <class Cb>
  auto add_callback(Cb cb) {
    using U = detail::callback_chain_t<Cb, T>;
    detail::Chain* c = chain_.get();
    return append<U>([c, cb = std::move(cb)]() mutable {
      if (!c->failed)
        detail::settle<U>(*c, [&] { return detail::call_with_value<T>(cb, c->value); });
    });
  }

  // eb: const Failure& -> T (recovers), or Deferred<T>, or Failure / a throw (passes it on).
  // Skipped on success: the value goes by unchanged.
  template <class Eb>
  Deferred<T> add_errback(Eb eb) {
    static_assert(detail::fits_errback<std::invoke_result_t<Eb&, const Failure&>, T>,
                  "an errback returns the chain's type T (it recovers), a Deferred<T>, or a "
                  "Failure (it passes the failure on)");
    detail::Chain* c = chain_.get();
    return append<T>([c, eb = std::move(eb)]() mutable {
      if (c->failed) detail::settle<T>(*c, [&] { return eb(std::as_const(c->failure)); });
    });
  }

  // One callback and one errback at the same step: exactly one of them runs, and an
  // exception from cb does not reach eb (unlike add_callback(cb).add_errback(eb)).
  template <class Cb, class Eb>
  auto add_callbacks(Cb cb, Eb eb) {
    using U = detail::callback_chain_t<Cb, T>;
    static_assert(detail::fits_errback<std::invoke_result_t<Eb&, const Failure&>, U>,
                  "the errback must return what the callback returns (or a Failure)");
    detail::Chain* c = chain_.get();
    return append<U>([c, cb = std::move(cb), eb = std::move(eb)]() mutable {
      if (!c->failed)
        detail::settle<U>(*c, [&] { return detail::call_with_value<T>(cb, c->value); });
      else
        detail::settle<U>(*c, [&] { return eb(std::as_const(c->failure)); });
    });
  }

  // fn runs either way, with the value or with the Failure: Twisted's addBoth, for clean-up.
  // A generic lambda serves both: [](auto result) { tidy(); return result; } passes a value
  // or a failure through. (For a Deferred<void>, fn takes no argument or a Failure.)
  template <class Fn>
  auto add_both(Fn fn) {
    using U = detail::callback_chain_t<Fn, T>;
    static_assert(detail::fits_errback<std::invoke_result_t<Fn&, const Failure&>, U>,
                  "add_both: fn(failure) must return what fn(value) returns (or a Failure)");
    detail::Chain* c = chain_.get();
    return append<U>([c, fn = std::move(fn)]() mutable {
      if (!c->failed)
        detail::settle<U>(*c, [&] { return detail::call_with_value<T>(fn, c->value); });
      else
        detail::settle<U>(*c, [&] { return fn(std::as_const(c->failure)); });
    });
  }

  // Twisted's cancel(): see the header comment. Through any handle on the chain.
  void cancel() {
    detail::Chain& c = *chain_;
    if (c.called) return;
    detail::ChainRef keep(chain_);  // the errbacks may drop every other handle
    if (detail::Canceller canceller = detail::take_canceller(c))
      canceller(keep);
    else
      c.suppress_already_called = true;
    if (c.called) return;  // the canceller fired it
    c.set_failure(CancelledError());
    c.fire();
  }

  bool called() const noexcept { return chain_->called; }

 private:
  template <class>
  friend class Deferred;
  friend struct detail::ChainOf;
  template <class U, class F>
  friend void detail::settle(detail::Chain& c, F&& produce) noexcept;
  explicit Deferred(detail::ChainRef c) noexcept : chain_(std::move(c)) {}

  // A fire after a cancel without canceller is dropped, once.
  bool late_after_cancel() noexcept {
    if (!chain_->called || !chain_->suppress_already_called) return false;
    chain_->suppress_already_called = false;
    return true;
  }

  // Appends one link and hands back a handle typed for what the chain holds after it.
  template <class U, class Link>
  Deferred<U> append(Link link) {
    static_assert(!std::is_same_v<U, Failure>,
                  "a callback fails by throwing; only an errback returns a Failure");
    chain_->expect_tail(typeid(T));
    chain_->tail = &typeid(U);
    chain_->add_link(std::move(link));
    return Deferred<U>(chain_);
  }

  detail::ChainRef chain_;  // never empty, except in a moved-from handle
};

// An already fired Deferred (Twisted's succeed / fail): for code that must return a Deferred
// but has its answer at hand.
template <class V>
Deferred<std::decay_t<V>> succeed(V&& value) {
  Deferred<std::decay_t<V>> d;
  d.callback(std::forward<V>(value));
  return d;
}
inline Deferred<void> succeed() {
  Deferred<void> d;
  d.callback();
  return d;
}
template <class T>
Deferred<T> fail(Failure f) {
  Deferred<T> d;
  d.errback(std::move(f));
  return d;
}

namespace detail {

// Fires d with fn()'s result, or fails it with what fn threw (for the reactor's helpers).
template <class T, class F>
void fire_with_result(Deferred<T>& d, F& fn) {
  if constexpr (std::is_void_v<T>) {
    try {
      fn();
    } catch (...) {
      return d.errback(std::current_exception());
    }
    d.callback();
  } else {
    std::optional<T> result;
    try {
      result.emplace(fn());
    } catch (...) {
      return d.errback(std::current_exception());
    }
    d.callback(std::move(*result));
  }
}

}  // namespace detail

// Runs `produce` (a callback or errback applied to the chain's outcome) and makes what it
// returned, or threw, the chain's new outcome: a value, a failure, or a Deferred to wait for.
template <class U, class F>
void detail::settle(detail::Chain& c, F&& produce) noexcept {
  using R = std::invoke_result_t<F&>;
  try {
    if constexpr (std::is_void_v<R>) {
      produce();
      c.set_success();
    } else if constexpr (std::is_same_v<std::decay_t<R>, Failure>) {
      c.set_failure(produce());
    } else if constexpr (deferred_traits<std::decay_t<R>>::is_deferred) {
      c.wait_for(produce().chain_, typeid(U));
    } else {
      c.value.emplace<U>(produce());
      c.set_success();
    }
  } catch (...) {
    c.set_failure(std::current_exception());
  }
}

}  // namespace cmbench::callbacks
