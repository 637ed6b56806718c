// DeferredSemaphore: at most `tokens` operations at once, for code that returns Deferreds
// (Twisted's twisted.internet.defer.DeferredSemaphore).
//
//   DeferredSemaphore sem(10);
//   sem.acquire()            -> Deferred<void>: fires when a token is ours (at once if one is
//                               free, else once an earlier holder releases it)
//   sem.release()            gives the token back: the longest waiter gets it, now
//   sem.run(f)               acquire, then f() (which returns a Deferred<T>, or throws), then
//                            release when that Deferred fires, success or failure alike.
//                            Returns a Deferred<T> with f's outcome.
// run is what a client usually wants ("fetch these 1000 pages, 10 at a time"): every
// operation gets its token back on every path, including when f itself throws.
//
// Guarantees: never more than `tokens` acquirers hold a token at once; waiters get tokens in
// the order they called acquire (FIFO), each as soon as a token is released, inside release()
// (so a waiter's callbacks run before release returns, as in Twisted). A release() with every
// token already free throws std::logic_error (Twisted's "released too many times").
// Not provided: cancelling a waiting acquire (Twisted cancels through the Deferred, which this
// model does not offer).
// Ownership: the semaphore must outlive every Deferred it handed out that has not fired (the
// chains of run() refer to it). Waiters still queued when it is destroyed never fire.
// Cost: an acquire with a free token is one fired Deferred; a waiting one is one Deferred in a
// queue; run() adds two links (the call and the release) to that Deferred's chain.
// Thread-safety: none; the reactor's thread, as every Deferred.
#pragma once

#include <cstddef>
#include <deque>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "models/callbacks/deferred.hpp"

namespace cmbench::callbacks {

class DeferredSemaphore {
 public:
  explicit DeferredSemaphore(std::size_t tokens) : tokens_(tokens), limit_(tokens) {
    if (tokens == 0) throw std::invalid_argument("DeferredSemaphore needs at least one token");
  }
  DeferredSemaphore(const DeferredSemaphore&) = delete;
  DeferredSemaphore& operator=(const DeferredSemaphore&) = delete;

  Deferred<void> acquire() {
    Deferred<void> d;
    if (tokens_ > 0) {
      --tokens_;
      d.callback();
    } else {
      detail::Starting queued(detail::ChainOf::get(d), trace::Wait::lock);
      waiting_.push_back(d);
    }
    return d;
  }

  void release() {
    if (waiting_.empty()) {
      if (tokens_ == limit_)
        throw std::logic_error("DeferredSemaphore released more times than it was acquired");
      ++tokens_;
      return;
    }
    // The token goes straight to the first waiter: tokens_ stays as it is.
    Deferred<void> next = std::move(waiting_.front());
    waiting_.pop_front();
    next.callback();
  }

  // f: () -> Deferred<T>. Its Deferred's outcome, once a token was ours and f's Deferred fired.
  template <class F>
  auto run(F f) {
    using D = std::invoke_result_t<F&>;
    using T = typename D::value_type;
    return acquire().add_callback([this, f = std::move(f)]() mutable -> Deferred<T> {
      D d = [&]() -> D {  // Twisted's maybeDeferred: a throw is a failed Deferred
        try {
          return f();
        } catch (...) {
          release();
          throw;  // this link fails: the chain goes on with the failure
        }
      }();
      if constexpr (std::is_void_v<T>)
        return d.add_both([this](auto... outcome) {
          release();
          return pass_on(std::move(outcome)...);
        });
      else
        return d.add_both([this](auto outcome) {
          release();
          return outcome;  // the value, or the Failure (which goes on failing)
        });
    });
  }

  std::size_t tokens() const noexcept { return tokens_; }  // free now
  std::size_t limit() const noexcept { return limit_; }
  std::size_t waiting() const noexcept { return waiting_.size(); }

 private:
  // A Deferred<void>'s add_both function gets nothing on success, the Failure on failure.
  static void pass_on() {}
  static Failure pass_on(Failure f) { return f; }

  // Invariant: tokens_ ≤ limit_; waiting_ is empty unless tokens_ == 0. limit_ − tokens_
  // tokens are held.
  std::size_t tokens_;
  std::size_t limit_;
  std::deque<Deferred<void>> waiting_;
};

}  // namespace cmbench::callbacks
