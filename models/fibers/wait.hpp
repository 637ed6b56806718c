// How a fiber blocks in this model, and how it is taken back early. Every blocking call of
// the model (join, sleep, Event, Queue, Pool, a socket, a file) ends in park(): the fiber
// is suspended and the hub runs others until something makes it ready again (wake()).
//
// A greenlet can be interrupted while parked, by kill() or a Timeout: its Park is
// withdrawn (it stops waiting for what it waited for) and it is made ready; the wait then
// raises the pending exception. A greenlet that is ready or running when it is interrupted
// raises it at its next blocking call: a greenlet that never blocks cannot be interrupted,
// as in gevent.
//
// Thread-safety: a WaitQueue is guarded by its owner's spinlock and can be woken from any
// thread (a greenlet on the work-stealing pool is joined from another thread). Interrupts
// happen on the hub's thread only.
#pragma once

#include <boost/fiber/context.hpp>
#include <boost/fiber/detail/cpu_relax.hpp>
#include <boost/fiber/detail/spinlock.hpp>
#include <cstdint>
#include <mutex>

#include "models/core/trace.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace cmbench::fibers {

using boost::fibers::context;
using Spinlock = boost::fibers::detail::spinlock;

// Boost's detail::spinlock_lock (what context::suspend takes), locked without calling
// Boost's spinlock_ttas::lock(): that function seeds a thread-local generator from a
// std::random_device built in its own frame, so every call reserves 5 KiB of stack even
// once seeded, and a greenlet parked a kilobyte deep touched a second page of its stack for
// it (two page faults per greenlet instead of one, and 8 KiB resident instead of 4). A
// greenlet's spinlocks are only contended across the work-stealing pool's two threads;
// there a short spin with a pause does the same job.
class SpinGuard : public std::unique_lock<Spinlock> {
 public:
  explicit SpinGuard(Spinlock& s) noexcept : unique_lock(acquire(s), std::adopt_lock) {}
  // Locks it again after a wait has unlocked it.
  void lock() noexcept {
    static_cast<unique_lock&>(*this) = unique_lock(acquire(*mutex()), std::adopt_lock);
  }

 private:
  static Spinlock& acquire(Spinlock& s) noexcept {
    while (!s.try_lock()) cpu_relax();
    return s;
  }
};

// What a parked fiber is waiting in, as far as an interrupt is concerned.
class Park {
 public:
  // On the hub's thread: stops waiting, if the fiber still is, and returns true (the
  // caller then makes it ready). False if it has already been made ready.
  virtual bool withdraw() noexcept = 0;

 protected:
  ~Park() = default;
};

// A call handed to another thread while a fiber waits for it, parked (a file call, a
// threadpool::apply): an interrupt withdraws the waiter and marks the call abandoned, so
// that its completion drops the outcome instead of waking anyone. Hub thread only.
struct HandOff {
  context* waiter = nullptr;
  bool abandoned = false;
};
class WaitingFor final : public Park {
 public:
  explicit WaitingFor(HandOff& call) noexcept : call_(call) {}
  bool withdraw() noexcept override {
    if (call_.waiter == nullptr) return false;
    call_.waiter = nullptr;
    call_.abandoned = true;
    return true;
  }

 private:
  HandOff& call_;
};

// Suspends the calling fiber until wake(). `held`, if given, is released once the fiber
// has switched away, so a waker that takes the same lock cannot wake it before it sleeps.
// Raises the greenlet's pending interrupt, if one came while it was parked. `on`: what it
// waits on, for the trace (trace.hpp): the greenlet is suspended on it, and resumed here.
void park(Park& p, SpinGuard& held, trace::Wait on = trace::Wait::lock);
void park(Park& p, trace::Wait on);

// Raises the calling greenlet's pending interrupt, if any. Every blocking call starts with
// this, before it waits.
void interruption_point();

namespace detail {
// Makes ctx ready through this thread's hub, if it is one of its fibers (hub.cpp); false
// otherwise, doing nothing.
bool schedule_on_this_hub(context* ctx) noexcept;
// Records that ctx's greenlet (if it is one) was woken: by the greenlet running now, or
// else by `cause`. Only while a trace is recorded.
void trace_woken(context* ctx, trace::Cause cause) noexcept;
}  // namespace detail

// Makes a parked fiber ready; any thread. `cause`: what woke it when no greenlet did (a
// reactor timer, a socket's readiness, the offload pool), for the trace.
inline void wake(context* ctx, trace::Cause cause = trace::Cause::event) noexcept {
  if (trace::on()) [[unlikely]]
    detail::trace_woken(ctx, cause);
#if defined(__SANITIZE_THREAD__)
  __tsan_release(ctx);  // what the waker did happens before ctx runs (tsan_fibers.hpp)
#endif
  if (!detail::schedule_on_this_hub(ctx)) context::active()->schedule(ctx);
}

// Fibers waiting for one condition, first come first served. The owner's spinlock guards
// it: hold it for every call.
class WaitQueue {
 public:
  explicit WaitQueue(Spinlock& guard) noexcept : guard_(guard) {}
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;

  // Parks the calling fiber at the back until notified; `held` locks the guard and is
  // unlocked on return (as on every exit). `on`: what the trace says it waits on (a join
  // waits on Wait::join; events, queues and pool slots on Wait::lock).
  void wait(SpinGuard& held, trace::Wait on = trace::Wait::lock);
  // The same, up to deadline_ns (CLOCK_MONOTONIC); false if the deadline came first. Needs
  // the hub (its reactor's timers).
  bool wait_until(SpinGuard& held, std::int64_t deadline_ns, trace::Wait on = trace::Wait::lock);
  // Wakes the first waiter; false if there was none.
  bool notify_one() noexcept;
  void notify_all() noexcept;
  bool empty() const noexcept { return head_ == nullptr; }

 private:
  struct Node;
  void link(Node& n) noexcept;
  void unlink(Node& n) noexcept;

  Spinlock& guard_;
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
};

}  // namespace cmbench::fibers
