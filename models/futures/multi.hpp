// multi: one future for many, tornado.gen.multi on a list. It resolves with the children's
// results in the order of the list (call order, not completion order), or fails with the
// first exception a child fails with.
//
// Guarantees:
//  - the result lists every child's value at its own index, whatever order they finish in;
//    an empty list resolves at once;
//  - the first failure fails the result at once. The other children are not cancelled
//    (futures cannot be): they run to the end, their values are dropped, and their
//    exceptions are reported to the loop's error handler, as Tornado logs them;
//  - children already done when multi() is called count at once.
// Not guaranteed: thread-safety (the loop thread, as every future).
// Ownership: multi() holds no handle to the children: each child's done-callback holds the
// shared bookkeeping, so a child's state is freed as soon as it resolves and its producer
// lets go of it, and nothing leaks if a child is dropped unresolved (the result then stays
// pending, as it would in Tornado).
// Cost: per child, one done-callback stored inline in the child's state (no allocation)
// and its slot in the result vector; one allocation for the bookkeeping. A copyable value is
// copied into the result, a move-only one moved.
#pragma once

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/futures/future.hpp"

namespace cmbench::futures {
namespace detail {

template <class T>
class Gather {
 public:
  using Out = std::conditional_t<std::is_void_v<T>, void, std::vector<T>>;
  // Where values wait for the last child: T itself if it can be made empty, else optional.
  using Slot = std::conditional_t<std::is_default_constructible_v<stored_t<T>>, stored_t<T>,
                                  std::optional<T>>;

  explicit Gather(std::size_t n) : remaining_(n) {
    if constexpr (!std::is_void_v<T>) values_.resize(n);
  }

  Future<Out> result() const { return result_; }

  void child_done(std::size_t i, State<T>& child) {
    auto& result = Access::state(result_);
    if (child.error()) {
      if (!result.try_set_error(child.error()))
        report_exception(child.error(), "multi: another child failed too");
    } else if constexpr (!std::is_void_v<T>) {
      if (!result.done()) values_[i] = pass_on(child.value());
    }
    if (--remaining_ == 0 && !result.done()) {
      if constexpr (std::is_void_v<T>) {
        result.try_set_value();
      } else if constexpr (std::is_default_constructible_v<T>) {
        result.try_set_value(std::move(values_));
      } else {
        std::vector<T> out;
        out.reserve(values_.size());
        for (auto& v : values_) out.push_back(std::move(*v));
        result.try_set_value(std::move(out));
      }
    }
  }

  // A child's hold on the bookkeeping: the last hold to go (run or dropped) frees it.
  class Hold {
   public:
    explicit Hold(Gather* g) noexcept : g_(g) { ++g_->holds_; }
    Hold(Hold&& other) noexcept : g_(std::exchange(other.g_, nullptr)) {}
    Hold& operator=(Hold&&) = delete;
    ~Hold() {
      if (g_ && --g_->holds_ == 0) delete g_;
    }
    Gather* operator->() const noexcept { return g_; }

   private:
    Gather* g_;
  };

 private:
  // Invariant: remaining_ counts the children that have not resolved; result_ resolves
  // when the first child fails or remaining_ reaches 0, whichever comes first, and once.
  // holds_ counts the Holds alive (one per child callback not yet destroyed, and multi()'s
  // own while it attaches them).
  Future<Out> result_;
  std::vector<Slot> values_;  // unused for void
  std::size_t remaining_;
  std::size_t holds_ = 0;
};

template <class T>
Future<typename Gather<T>::Out> gather(std::vector<Future<T>>& children) {
  using Out = typename Gather<T>::Out;
  if (children.empty()) {
    Future<Out> none;
    if constexpr (std::is_void_v<T>)
      none.set_result();
    else
      none.set_result({});
    return none;
  }
  auto* g = new Gather<T>(children.size());
  typename Gather<T>::Hold attaching(g);  // a child already done may finish the rest at once
  auto result = g->result();
  // In a trace, the result is a task that gathers its children and waits on them.
  trace::TaskId task = 0, previous = 0;
  if (trace::on()) [[unlikely]] {
    auto& state = Access::state(result);
    state.set_traced();
    task = state.task_id();
    trace::created(task);
    previous = switch_to(task);
  }
  struct Waiting {  // at the end, however it ends
    trace::TaskId task, previous;
    ~Waiting() {
      if (!task) [[likely]]
        return;
      if (trace::current() == task) trace::suspended(task, trace::Wait::join);
      switch_back(task, previous);
    }
  } waiting{task, previous};
  for (std::size_t i = 0; i < children.size(); ++i) {
    State<T>* child = &Access::state(children[i]);
    child->add_callback(
        [hold = typename Gather<T>::Hold(g), i, child] { hold->child_done(i, *child); });
  }
  return result;
}

}  // namespace detail

// The children's results, in order; fails with the first child's exception.
template <class T>
Future<std::vector<T>> multi(std::vector<Future<T>> children) {
  return detail::gather(children);
}

// Resolves once every child has; fails with the first child's exception.
inline Future<void> multi(std::vector<Future<void>> children) {
  return detail::gather(children);
}

}  // namespace cmbench::futures
