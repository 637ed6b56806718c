// Greenlets on one shared stack, the way the greenlet package itself runs them: every
// greenlet of a loop executes on the same stack, and the one that gives the stack up has
// the live part of its frames (from its stack pointer to the top, typically well under a
// kilobyte) copied to the heap; they are copied back, to the same addresses, before it
// resumes. A parked greenlet is then that copy, a small object and its timer: no stack of
// its own, no page of its own to fault in.
//
//   fibers::shared_stack::run([] {
//     std::vector<fibers::shared_stack::Greenlet<int>> gs;
//     for (int i = 0; i < n; ++i)
//       gs.push_back(fibers::shared_stack::spawn([i] { fibers::shared_stack::sleep(10ms); return i;
//       }));
//     fibers::shared_stack::joinall(gs);
//   });
//
// Why beside the hub (hub.hpp): Boost.Fiber switches from one fiber's stack straight to
// another's, so two fibers can never share one; this loop is built on Boost.Context's
// lowest layer (make_fcontext/jump_fcontext), where every switch goes through the loop's
// own context, on the thread's stack, which copies the slices while no greenlet runs on
// the shared one. The price is a copy per switch between two different greenlets (none
// when the same one resumes), and addresses of locals that are only valid while their
// greenlet runs: a pointer into one greenlet's frame must not be used from another one
// (a parked greenlet's frame is not where its address says). The workloads pass values,
// not pointers into frames, which is also what gevent code does.
//
// What it offers is deliberately small, gevent's core: spawn, get/join, joinall, sleep and
// sleep(0). Order is gevent's: a spawned greenlet starts at the loop's next turn, ready
// greenlets run first come, first served, and a switch happens only at a blocking call.
// Timers and I/O get a turn at least every 64 switches, as on the hub. run() returns once
// main and every greenlet it spawned have finished (there is no kill here: what main
// leaves running finishes first). If every greenlet waits and nothing can wake one,
// run() raises std::logic_error (gevent's LoopExit), leaking what the waiting frames own.
//
// Overflow: the shared stack (256 KiB by default) has a PROT_NONE page below it: a
// greenlet that overflows faults at once.
//
// In a trace (models/core/trace.hpp) each greenlet is a task named by its address: created
// by the greenlet that spawned it, resumed at each switch to it, suspended on what it
// waits for, woken by a timer or by the greenlet it joined, finished.
//
// Thread-safety: none; a loop, its greenlets and their handles belong to the thread that
// called run(). Sanitizers: the copies are made with ASan's shadow cleared for the copied
// range (a suspended frame's redzones would otherwise read as an overflow), and the entry
// of a greenlet, which never returns, is kept out of TSan's shadow call stack.
#pragma once

#include <boost/context/detail/fcontext.hpp>
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/core/engine.hpp"
#include "models/core/trace.hpp"

namespace cmbench::fibers::shared_stack {

struct Options {
  // The one stack every greenlet runs on: only the pages a greenlet reaches are resident.
  std::size_t stack_size = 256 * 1024;
};

class Loop;

// What every greenlet of a loop is, whatever its result type.
class Task {
 public:
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  bool ready() const noexcept { return done_; }
  // Parks the calling greenlet until this one has finished.
  void join();

  void add_ref() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) delete this;
  }

 protected:
  Task() = default;
  virtual ~Task();
  // Runs the function and keeps its value or exception; false if it raised. Never throws.
  virtual bool body() noexcept = 0;

 private:
  friend class Loop;

  boost::context::detail::fcontext_t context_ = nullptr;  // where it resumes (its stack pointer)
  char* saved_ = nullptr;  // the live slice of its frames, while another greenlet has the stack
  std::size_t saved_size_ = 0;
  std::size_t saved_capacity_ = 0;
  Task* next_ready_ = nullptr;
  Task* first_joiner_ = nullptr;  // greenlets parked in join(), linked through next_ready_
  int refs_ = 0;
  bool started_ = false;
  bool done_ = false;
};

class Loop {
 public:
  explicit Loop(const Options& options);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // This thread's loop while run() runs, else nullptr; require() raises std::logic_error
  // naming `what` instead.
  static Loop* current() noexcept;
  static Loop& require(const char* what);

  Engine& engine() noexcept { return engine_; }
  Task* running() const noexcept { return running_; }

  // Takes a new greenlet: it starts at the loop's next turn.
  void start(Task* t);
  // Makes a parked greenlet ready: it resumes after those ready before it.
  void make_ready(Task* t) noexcept;
  // The running greenlet gives the stack up until something makes it ready. `on`: what it
  // waits on, for the trace.
  void park(trace::Wait on) noexcept;
  // Runs main and every greenlet until all have finished.
  void run(Task* main);

  std::size_t live() const noexcept { return live_; }
  // Bytes of frames copied to and from the heap so far (the price of sharing the stack).
  std::size_t copied_bytes() const noexcept { return copied_; }

 private:
  static void entry(boost::context::detail::transfer_t from);
  void switch_to(Task* t);
  void save(Task* t);
  void restore(Task* t) noexcept;

  Engine engine_;
  char* mapping_ = nullptr;
  std::size_t mapping_bytes_ = 0;
  char* top_ = nullptr;  // the shared stack's highest address
  std::size_t stack_size_ = 0;
  boost::context::detail::fcontext_t loop_context_ = nullptr;  // the loop, while a greenlet runs
  Task* running_ = nullptr;
  Task* resident_ = nullptr;  // whose frames are on the shared stack now
  Task* ready_head_ = nullptr;
  Task* ready_tail_ = nullptr;
  std::size_t live_ = 0;
  std::size_t copied_ = 0;
};

namespace detail {

template <class T>
class Result : public Task {
 public:
  decltype(auto) result() const {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*value_);
  }

 protected:
  using Stored = std::conditional_t<std::is_void_v<T>, char, T>;
  std::optional<Stored> value_;
  std::exception_ptr error_;
};

template <class T, class F>
class Core final : public Result<T> {
 public:
  explicit Core(F fn) : fn_(std::move(fn)) {}

 private:
  bool body() noexcept override {
    try {
      if constexpr (std::is_void_v<T>)
        fn_();
      else
        this->value_.emplace(fn_());
      return true;
    } catch (...) {
      this->error_ = std::current_exception();
      return false;
    }
  }
  F fn_;
};

}  // namespace detail

// A counted handle to a greenlet's result.
template <class T>
class Greenlet {
 public:
  Greenlet() = default;
  explicit Greenlet(detail::Result<T>* r) noexcept : r_(r) { r_->add_ref(); }
  Greenlet(const Greenlet& o) noexcept : r_(o.r_) {
    if (r_) r_->add_ref();
  }
  Greenlet(Greenlet&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  Greenlet& operator=(Greenlet o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  ~Greenlet() {
    if (r_) r_->release();
  }

  // Its value once it has finished (waiting for it), or the exception it raised.
  decltype(auto) get() const {
    r_->join();
    return r_->result();
  }
  void join() const { r_->join(); }
  bool ready() const noexcept { return r_->ready(); }

 private:
  detail::Result<T>* r_ = nullptr;
};

// Starts fn(args...) on a new greenlet of this thread's loop (gevent.spawn).
template <class F, class... Args>
auto spawn(F&& fn, Args&&... args) {
  using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
  auto call = [fn = std::forward<F>(fn),
               args = std::make_tuple(std::forward<Args>(args)...)]() mutable -> R {
    return std::apply(fn, std::move(args));
  };
  Loop& loop = Loop::require("fibers::shared_stack::spawn");
  auto* core = new detail::Core<R, decltype(call)>(std::move(call));
  Greenlet<R> handle(core);
  loop.start(core);
  return handle;
}

// Parks the calling greenlet for d (gevent.sleep); d <= 0 lets every greenlet ready now
// run first (gevent.sleep(0)).
void sleep(std::chrono::nanoseconds d);
inline void sleep() {
  sleep(std::chrono::nanoseconds(0));
}

template <class T>
std::size_t joinall(std::span<const Greenlet<T>> greenlets) {
  for (const auto& g : greenlets) g.join();
  return greenlets.size();
}
template <class T>
std::size_t joinall(const std::vector<Greenlet<T>>& greenlets) {
  return joinall(std::span<const Greenlet<T>>(greenlets));
}

// Sets up a loop on this thread, runs main on a greenlet, runs the loop until every
// greenlet has finished, and returns main's result (or raises its exception).
template <class F>
auto run(F&& main, const Options& options = {}) {
  using R = std::invoke_result_t<std::decay_t<F>>;
  Loop loop(options);
  auto* core = new detail::Core<R, std::decay_t<F>>(std::forward<F>(main));
  Greenlet<R> handle(core);
  trace::LoopScope lane;  // this thread's lane is the loop's while it runs
  loop.run(core);
  if constexpr (std::is_void_v<R>)
    handle.get();
  else
    return R(handle.get());
}

}  // namespace cmbench::fibers::shared_stack
