// Greenlets, in gevent's vocabulary: spawn(fn, args...) starts fn on a new fiber of the
// hub and returns its Greenlet<T>, a counted handle to the result:
//
//   auto g = fibers::spawn(fetch, url);   // gevent.spawn(fetch, url)
//   std::string body = g.get();           // g.get(): the result, or fetch's exception
//   fibers::joinall(greenlets);           // gevent.joinall
//   g.kill();                             // raises GreenletExit inside it, waits for it
//
// A greenlet starts at the hub's next turn (gevent's order), or at once with
// RunOptions::eager_spawn. kill() and a Timeout interrupt it where it blocks (wait.hpp).
// GreenletExit, like gevent's, is not an error: it is not a std::exception, so a
// `catch (const std::exception&)` lets it through, and a killed greenlet counts as
// finished (`successful()`), though its get() raises GreenletExit, having no value.
//
// A greenlet that fails while nobody joins it (no greenlet waiting in join() or get(), no
// link) is reported when it dies, as gevent's hub prints a greenlet's exception:
// "<Greenlet at 0x…> failed with std::runtime_error: disk full", through the thread's
// handler (set_greenlet_error_handler; stderr by default). A kill (GreenletExit) is not
// reported. gevent prints every failure, joined or not; here one that a joiner is already
// waiting for reaches it through get() instead. Either way the exception is kept for get()
// and exception(). Cost: nothing unless the greenlet failed.
//
// In a trace (models/core/trace.hpp) each greenlet is a task whose id is its core's address:
// created by the greenlet that spawned it, resumed where it first runs and after each
// park() (wait.cpp), suspended on what it parks on, woken by wake(), finished (cancelled
// when killed). No memory of its own for that; off, each point costs one flag test.
//
// Thread-safety: a handle may be joined from any thread (a greenlet on the work-stealing
// pool finishes on either of its threads); kill() only on the greenlet's hub's thread.
#pragma once

#include <atomic>
#include <boost/context/fiber.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/fixedsize_stack.hpp>
#include <boost/fiber/properties.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/core/callback.hpp"
#include "models/core/trace.hpp"
#include "models/fibers/hub.hpp"
#include "models/fibers/tsan_fibers.hpp"
#include "models/fibers/wait.hpp"

namespace cmbench::fibers {

// Raised inside a greenlet by kill(); not a std::exception (gevent's GreenletExit is a
// BaseException).
struct GreenletExit {};

// Where a greenlet's failure that nobody was waiting for is reported (one line, see above).
// One handler per thread: the thread the greenlet finishes on. Returns the previous one.
using GreenletErrorHandler = std::function<void(std::string_view)>;
GreenletErrorHandler set_greenlet_error_handler(GreenletErrorHandler h);

// What every greenlet is, whatever its result type.
class GreenletCore {
 public:
  GreenletCore(const GreenletCore&) = delete;
  GreenletCore& operator=(const GreenletCore&) = delete;

  // The greenlet running on this fiber; nullptr on a context that is not one (a thread's
  // main context, Boost's dispatcher, a bare boost::fibers::fiber).
  static GreenletCore* current() noexcept;
  // The greenlet a context runs, if it is one.
  static GreenletCore* of(context* ctx) noexcept;

  bool ready() const noexcept { return done_.load(std::memory_order_acquire); }
  // Finished without an exception, or killed (GreenletExit).
  bool successful() const noexcept;
  // What it raised; null while running or if it returned.
  std::exception_ptr exception() const noexcept;
  bool started() const noexcept { return started_; }

  // Blocks until it has finished; raises the caller's own interrupts (kill, Timeout).
  void join();
  // The same with a timeout: false if it is still running then.
  bool join(std::chrono::nanoseconds timeout);

  // Makes `error` raise in it at its current (or next) blocking call, or before it starts
  // if it has not. Then, if `block`, waits until it has finished. On its hub's thread.
  void kill(std::exception_ptr error, bool block = true);
  void kill(bool block = true);

  // Called once it has finished (on its fiber, or at once if it already has): gevent's
  // rawlink, for one link. Pool uses it.
  void on_finish(Callback cb);

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 protected:
  GreenletCore();
  virtual ~GreenletCore() = default;

  // The fiber's life, around the function: start() before, finish() after.
  void start() noexcept;
  void finish(std::exception_ptr error) noexcept;
  // Records its end in the trace: ok, exception, or cancelled (GreenletExit).
  void trace_finished() const noexcept;
  // A pending interrupt taken before the function ran: it never runs.
  std::exception_ptr take_interrupt() noexcept;

 private:
  friend void park(Park&, SpinGuard&, trace::Wait);
  friend void park(Park&, trace::Wait);
  friend void interruption_point();
  friend class Hub;
  friend class Timeout;
  friend class WaitQueue;
  struct Local;

  // Sets `error` to raise at its next blocking call (unless one is pending already) and
  // takes it out of a wait. `from`: the Timeout raising it.
  void interrupt(std::exception_ptr error, const void* from) noexcept;

  std::atomic<int> refs_{0};
  mutable Spinlock lock_;
  WaitQueue joiners_{lock_};
  std::atomic<bool> done_{false};
  bool started_ = false;
  std::exception_ptr error_;
  Callback on_finish_;
  Hub* hub_;                            // nullptr on the work-stealing pool
  context* ctx_ = nullptr;              // its Boost context, while it runs
  Park* parked_ = nullptr;              // what it is parked in, if it is
  std::exception_ptr pending_;          // an interrupt to raise at its next blocking call
  const void* pending_from_ = nullptr;  // the Timeout that raised pending_, if one did
  Local* local_ = nullptr;              // how current() finds it from its context
  GreenletCore* prev_live_ = nullptr;   // the hub's list of live greenlets
  GreenletCore* next_live_ = nullptr;
};

// A greenlet's task id in a trace: its core's address.
inline trace::TaskId trace_id(const GreenletCore* g) noexcept {
  return reinterpret_cast<std::uintptr_t>(g);
}

// A counted reference to a greenlet's core.
template <class C>
class Ref {
 public:
  Ref() = default;
  explicit Ref(C* c) noexcept : c_(c) {
    if (c_) c_->add_ref();
  }
  Ref(const Ref& o) noexcept : Ref(o.c_) {}
  Ref(Ref&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  Ref& operator=(Ref o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~Ref() {
    if (c_) c_->release();
  }
  C* get() const noexcept { return c_; }
  C* operator->() const noexcept { return c_; }
  C& operator*() const noexcept { return *c_; }
  explicit operator bool() const noexcept { return c_ != nullptr; }

 private:
  C* c_ = nullptr;
};

namespace detail {

// A greenlet with its result.
template <class T>
class Core final : public GreenletCore {
 public:
  Core() = default;

  template <class F>
  void run(F& body) {
    start();
    std::exception_ptr error = take_interrupt();
    if (!error) {
      try {
        if constexpr (std::is_void_v<T>)
          body();
        else
          value_.emplace(body());
      } catch (const boost::context::detail::forced_unwind&) {
        throw;  // Boost.Context unwinding the fiber's stack: not ours to stop
      } catch (...) {
        error = std::current_exception();
      }
    }
    finish(std::move(error));
  }

  // After ready(): the value, or the exception it raised.
  decltype(auto) result() const {
    if (auto e = exception()) std::rethrow_exception(e);
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*value_);
  }

 private:
  using Stored = std::conditional_t<std::is_void_v<T>, char, T>;
  std::optional<Stored> value_;
};

// Starts the fiber on the hub, with a stack from its pool (eagerly if asked).
template <class F>
void launch_on_hub(Hub& hub, F&& body) {
  using boost::fibers::launch;
  const bool eager = hub.options().eager_spawn;
  if (eager) hub.next_ready_first();
  // An eager parent switches to its child here, ready at once: the trace shows it so.
  GreenletCore* parent = eager && trace::on() ? hub.running() : nullptr;
  if (parent) trace::suspended(trace_id(parent), trace::Wait::none);
  boost::fibers::fiber(eager ? launch::dispatch : launch::post, std::allocator_arg,
                       StackPool::Allocator(hub.stacks()), std::forward<F>(body))
      .detach();
  if (parent) trace::resumed(trace_id(parent));
}

// Whether this thread is one of the work-stealing pool's (work_stealing.hpp).
bool on_work_stealing_pool() noexcept;

// Wakes the pool's other threads if they sleep, so that they steal new work.
void pool_work_posted() noexcept;

// Starts the fiber on the work-stealing pool, with Boost's default (malloc'd) stack: it
// may end on the other thread, and the hub's stack pools are not thread-safe.
template <class F>
void launch_on_pool(F&& body) {
#if defined(__SANITIZE_THREAD__)
  // Under TSan, built where the fiber's own frames are kept out of TSan's shadow stacks.
  using Body = std::decay_t<F>;
  start_pool_fiber([](void* b) { std::unique_ptr<Body>(static_cast<Body*>(b))->operator()(); },
                   new Body(std::forward<F>(body)));
#else
  boost::fibers::fiber(boost::fibers::launch::post, std::forward<F>(body)).detach();
#endif
  pool_work_posted();
}

[[noreturn]] void no_scheduler(const char* what);

}  // namespace detail

template <class T>
class Greenlet {
 public:
  Greenlet() = default;
  explicit Greenlet(detail::Core<T>* core) noexcept : core_(core) {}

  // The result, once it has finished (waiting for it): its value, or its exception
  // (GreenletExit if it was killed). May be called again.
  decltype(auto) get() const {
    core_->join();
    return core_->result();
  }
  void join() const { core_->join(); }
  bool join(std::chrono::nanoseconds timeout) const { return core_->join(timeout); }
  void kill(bool block = true) const { core_->kill(block); }
  template <class E>
  void kill(E error, bool block = true) const {
    core_->kill(std::make_exception_ptr(std::move(error)), block);
  }

  // gevent's `g.name = ...`: the greenlet's name in a trace (nothing is kept otherwise).
  void set_name(std::string_view name) const {
    if (trace::on()) [[unlikely]]
      trace::named(trace_id(core_.get()), trace::intern(name));
  }

  bool ready() const noexcept { return core_->ready(); }
  bool dead() const noexcept { return core_->ready(); }
  bool successful() const noexcept { return core_->successful(); }
  std::exception_ptr exception() const noexcept { return core_->exception(); }
  GreenletCore& core() const noexcept { return *core_; }
  explicit operator bool() const noexcept { return static_cast<bool>(core_); }

 private:
  Ref<detail::Core<T>> core_;
};

// Starts fn(args...) on a new greenlet of this thread's hub (or of the work-stealing pool,
// when called on it). The arguments are copied or moved into it, as std::thread does.
template <class F, class... Args>
auto spawn(F&& fn, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
  auto* core = new detail::Core<R>();
  trace::created(trace_id(core));  // by the greenlet running now, if one is
  Greenlet<R> handle(core);
  auto body = [core = Ref<detail::Core<R>>(core), fn = std::forward<F>(fn),
               args = std::make_tuple(std::forward<Args>(args)...)]() mutable {
    auto call = [&]() -> R { return std::apply(fn, std::move(args)); };
    core->run(call);
  };
  if (Hub* hub = Hub::current()) {
    hub->adopt(core);
    try {
      detail::launch_on_hub(*hub, std::move(body));
    } catch (...) {
      // No fiber could be made (no memory for its stack): it never lived, and must not be
      // left in the hub's list, where run()'s clean-up would try to kill it for ever.
      hub->finished(core);
      throw;
    }
  } else if (detail::on_work_stealing_pool()) {
    detail::launch_on_pool(std::move(body));
  } else {
    detail::no_scheduler("fibers::spawn");
  }
  return handle;
}

// Waits for every greenlet to finish (gevent.joinall). With a timeout: returns how many
// had finished when it expired (all of them if it did not).
template <class G>
std::size_t joinall(std::span<const G> greenlets) {
  for (const G& g : greenlets) g.join();
  return greenlets.size();
}
template <class G>
std::size_t joinall(const std::vector<G>& greenlets) {
  return joinall(std::span<const G>(greenlets));
}
template <class G>
std::size_t joinall(std::span<const G> greenlets, std::chrono::nanoseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const G& g : greenlets) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (!g.join(std::max(left, decltype(left)::zero()))) break;
  }
  std::size_t done = 0;
  for (const G& g : greenlets) done += g.ready() ? 1 : 0;
  return done;
}
template <class G>
std::size_t joinall(const std::vector<G>& greenlets, std::chrono::nanoseconds timeout) {
  return joinall(std::span<const G>(greenlets), timeout);
}

// Kills every greenlet (gevent.killall) and, if `block`, waits for all of them.
template <class G>
void killall(std::span<const G> greenlets, bool block = true) {
  for (const G& g : greenlets) g.kill(false);
  if (block)
    for (const G& g : greenlets) g.join();
}
template <class G>
void killall(const std::vector<G>& greenlets, bool block = true) {
  killall(std::span<const G>(greenlets), block);
}

}  // namespace cmbench::fibers
