// Chain: the untyped state machine behind every Deferred<T> handle (what Twisted's Deferred
// object is), and Value, the chain's current value with its type erased. A Deferred<T>
// (deferred.hpp) is a typed, counted reference to a chain; read that first.
//
// Why untyped: a chain's value changes type as its callbacks run (int, then std::string...),
// so the chain cannot have one C++ type. It stores the value erased, and each link, typed
// when it was added, knows what it reads. The chain checks at run time what the compiler
// cannot: that a handle adding a link is typed for the chain's current end (tail), and that
// a handle firing the chain is typed for its start (head).
//
// Costs, chosen for 10^6 Deferreds waiting at once (sleep_fanout): one recycled block per
// chain (160 bytes) holding everything most chains need: the first link lives inside it,
// more go to a vector; a value of up to 24 bytes (a Span, a std::string, a std::vector) lives
// inside it too, so firing a Deferred<Span> allocates nothing. Handles count references with
// a plain integer (rc.hpp). Memory is time here: a fresh page costs ≈ 1.4 µs to fault in
// (≈ 0.35 ns per byte), and the allocator gives freed memory back to the system, so at 10^6
// tasks every run would fault the chains in again (≈ 120 ns per Deferred, measured): hence
// the free list (Chain::operator new).
// Thread-safety: none. A chain, and every handle on it, belongs to the loop thread; a handle
// may only be *moved* through another thread (defer_to_thread's hand-over does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "models/callbacks/failure.hpp"
#include "models/callbacks/rc.hpp"
#include "models/callbacks/task_trace.hpp"
#include "models/core/callback.hpp"

namespace cmbench::callbacks::detail {

// The chain's current value, type-erased. Which type it holds is known to the link that
// reads it (checked when the link was added), so take<T>() is an unchecked cast. Move-only
// values are fine: nothing is ever copied. The same small-buffer technique as Callback.
class Value {
 public:
  static constexpr std::size_t inline_size = 24;

  Value() noexcept = default;
  Value(Value&& o) noexcept { steal(o); }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      reset();
      steal(o);
    }
    return *this;
  }
  ~Value() { reset(); }

  template <class T, class A>
  void emplace(A&& a) {
    reset();
    if constexpr (fits<T>)
      ::new (static_cast<void*>(storage_)) T(std::forward<A>(a));
    else
      *reinterpret_cast<T**>(storage_) = new T(std::forward<A>(a));
    ops_ = &ops<T>;
  }
  template <class T>
  T take() {
    T* p =
        fits<T> ? std::launder(reinterpret_cast<T*>(storage_)) : *reinterpret_cast<T**>(storage_);
    T v(std::move(*p));
    reset();
    return v;
  }
  void reset() noexcept {
    if (ops_) ops_->destroy(storage_);
    ops_ = nullptr;
  }

 private:
  struct Ops {
    void (*move)(void* to, void* from) noexcept;  // move-constructs into `to`, destroys `from`
    void (*destroy)(void*) noexcept;
  };
  template <class T>
  static constexpr bool fits =
      sizeof(T) <= inline_size &&
      alignof(T) <= alignof(void*) && std::is_nothrow_move_constructible_v<T>;
  template <class T>
  static constexpr Ops ops = {
      [](void* to, void* from) noexcept {
        if constexpr (fits<T>) {
          ::new (to) T(std::move(*static_cast<T*>(from)));
          static_cast<T*>(from)->~T();
        } else {
          *static_cast<T**>(to) = *static_cast<T**>(from);
        }
      },
      [](void* s) noexcept {
        if constexpr (fits<T>)
          static_cast<T*>(s)->~T();
        else
          delete *static_cast<T**>(s);
      },
  };
  void steal(Value& o) noexcept {
    ops_ = o.ops_;
    if (ops_) ops_->move(storage_, o.storage_);
    o.ops_ = nullptr;
  }

  alignas(void*) std::byte storage_[inline_size];
  const Ops* ops_ = nullptr;
};

class Chain;
// What a Deferred<T> handle holds: a counted reference to its chain.
using ChainRef = Rc<Chain>;

// A Deferred's canceller (Deferred(canceller)), given the chain it cancels. Kept beside the
// chain, not in it: most chains have none, and cost nothing for it (a flag in what was
// padding); a chain with one costs an entry in its thread's table until the chain goes.
using Canceller = std::function<void(const ChainRef&)>;
void set_canceller(Chain& c, Canceller canceller);
Canceller take_canceller(Chain& c);  // empty if it has none (any more)

// Invariant:
//  - !called: no outcome yet; links wait.
//  - called: the outcome is `failure` if `failed`, else `value` (empty for a void chain).
//    The links from `next` on have not run. They run in order, each once, whenever the
//    chain is called, not paused and not already running (a link that adds a link, or fires
//    a Deferred whose links fire this one, re-enters: the loop already running picks the
//    new link up).
//  - paused: a link returned a Deferred that has not fired yet; a continuation waiting on
//    that one's chain will resume this one. `returned` is set only between a link's return
//    and the check that follows it.
//  - tail: the type the next link will receive; head: the type callback() must give.
//    tail == nullptr once the result was handed on to a Deferred whose callback returned
//    this one: no link may be added any more.
class Chain final {  // final: every chain block has the same size (see operator new)
 public:
  explicit Chain(const std::type_info& type) noexcept : head(&type), tail(&type) {
    if (trace::on()) [[unlikely]]
      trace_created();
  }
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;
  ~Chain();  // reports a failure nobody handled

  // Chains are recycled through a free list per thread, never returned to the system (as the
  // timing wheel recycles its blocks): a program that waits on 10^6 Deferreds twice faults
  // their pages in once. The list is freed when its thread ends.
  static void* operator new(std::size_t size);
  static void operator delete(void* p) noexcept;

  // Throws AlreadyCalledError if fired already, logic_error if `t` is not the head's type.
  void expect_unfired(const std::type_info& t) const {
    if (called || head != &t) cannot_fire(t);  // one type, one type_info: the usual case
  }
  // Throws logic_error unless a link reading a `t` may be added now.
  void expect_tail(const std::type_info& t) const {
    if (tail != &t) tail_mismatch(t);  // same type, same type_info object: the usual case
  }
  void fire();  // the outcome is in place: run the links
  void add_link(Callback link);
  // A link's callback returned a Deferred typed `type` on chain `inner`: continue with its
  // outcome once it fires.
  void wait_for(ChainRef inner, const std::type_info& type) noexcept;

  void set_failure(Failure f) noexcept {
    failure = std::move(f);
    failed = true;
    value.reset();
  }
  void set_success() noexcept {
    if (failure) failure = Failure();  // releasing an exception_ptr is a call: skip it if null
    failed = false;
  }

  const std::type_info* head;
  const std::type_info* tail;
  Value value;
  Failure failure;
  bool failed = false;
  bool called = false;
  bool has_canceller = false;  // an entry in the thread's table of cancellers
  // Cancelled without a canceller: the producer's later callback() or errback() is dropped
  // once, instead of raising AlreadyCalledError (Twisted's _suppressAlreadyCalled).
  bool suppress_already_called = false;
  std::uint32_t refs = 0;  // the Rc handles on this chain

  // The chain as a task in a trace (task_trace.hpp). `traced()`: made while recording and
  // not finished yet; only such a chain records its runs.
  trace::TaskId task_id() const noexcept { return reinterpret_cast<std::uintptr_t>(this); }
  bool traced() const noexcept { return traced_; }

 private:
  void run_links();
  // run_links as the chain's task: woken, running meanwhile, then waiting or finished.
  [[gnu::noinline]] void run_traced();
  [[gnu::noinline]] void trace_created() noexcept;
  [[gnu::noinline]] void trace_dropped() noexcept;
  void take_outcome_of(Chain& inner) noexcept;
  void cannot_fire(const std::type_info& t) const;
  void tail_mismatch(const std::type_info& t) const;
  Callback& link(std::size_t i) noexcept { return i == 0 ? first_link_ : more_links_[i - 1]; }

  bool running_ = false;
  bool paused_ = false;
  bool traced_ = false;      // see traced(); in what was padding: the block stays 160 bytes
  std::uint32_t links_ = 0;  // links added since the chain last ran dry
  std::uint32_t next_ = 0;   // the first link not run yet
  Callback first_link_;      // most chains have one link (a DeferredList's collector, say)
  std::vector<Callback> more_links_;
  ChainRef returned_;
};

// The hooks of the runtime's entry points (task_trace.hpp), for a chain's task.

// While alive: chain c's task runs its own set-up, then waits on `w` (a Deferred just
// made by defer_later, defer_to_thread, a list...). Nothing when c is not traced.
class Starting {
 public:
  Starting(Chain& c, trace::Wait w) noexcept {
    if (c.traced()) [[unlikely]]
      enter(c, w);
  }
  ~Starting() {
    if (task_) [[unlikely]]
      leave();
  }
  Starting(const Starting&) = delete;
  Starting& operator=(const Starting&) = delete;

 private:
  void enter(Chain& c, trace::Wait w) noexcept {
    task_ = c.task_id();
    wait_ = w;
    previous_ = switch_to(task_);
  }
  void leave() noexcept {
    if (trace::current() == task_) trace::suspended(task_, wait_);  // unless it finished
    switch_back(task_, previous_);
  }
  trace::TaskId task_ = 0, previous_ = 0;
  trace::Wait wait_ = trace::Wait::none;
};

// While alive: chain c's task, woken by `why`, runs (the event it waited for came: its
// timer, its pool job). Firing it inside records how it ends.
class Resume {
 public:
  Resume(Chain& c, trace::Cause why) noexcept {
    if (c.traced()) [[unlikely]]
      enter(c, why);
  }
  ~Resume() {
    if (task_) [[unlikely]]
      leave();
  }
  Resume(const Resume&) = delete;
  Resume& operator=(const Resume&) = delete;

 private:
  void enter(Chain& c, trace::Cause why) noexcept {
    task_ = c.task_id();
    if (trace::current() != task_) trace::woken(task_, why);
    previous_ = switch_to(task_);
  }
  void leave() noexcept {
    if (trace::current() == task_) trace::suspended(task_, trace::Wait::none);  // not fired
    switch_back(task_, previous_);
  }
  trace::TaskId task_ = 0, previous_ = 0;
};

}  // namespace cmbench::callbacks::detail
