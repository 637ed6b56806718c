// DoneSet: the current task waits for a set of tasks to finish: all of them, the first to
// fail, or the first to finish, with an optional deadline. gather, wait and wait_for are
// built on it.
//
// Invariant: while the waiting task is suspended on it, exactly the tasks not yet done have
// a DoneWatch linked, `remaining_` counts them, and `resolved_` is false. It resolves once:
// it unlinks every watch, cancels its timer, and wakes the task.
// Cancellation: with `cancel_on_withdraw` (gather) a cancel of the waiting task cancels
// every task in the set that has not finished and keeps waiting until its condition holds
// (for gather: the first of them has finished, or all of them with return_exceptions), then
// finish() raises CancelledError; without (wait, wait_for) it stops waiting at once and
// finish() raises CancelledError.
// Cost: one DoneWatch (40 bytes) per task, in one allocation; a wake-up when it resolves.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>

#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines::detail {

class DoneSet final : public Suspension {
 public:
  enum class Until { all, first_error, first_done };
  static constexpr std::size_t none = static_cast<std::size_t>(-1);

  // `count_cancel_as_error`: a task that was cancelled counts as failed (gather) or not
  // (wait's FIRST_EXCEPTION, as asyncio's).
  DoneSet(Until until, bool cancel_on_withdraw, bool count_cancel_as_error,
          std::optional<std::chrono::nanoseconds> timeout = std::nullopt) noexcept
      : until_(until),
        cancel_on_withdraw_(cancel_on_withdraw),
        count_cancel_(count_cancel_as_error),
        timeout_(timeout) {}
  ~DoneSet() { unlink_all(); }

  // The tasks to wait for (not owned; they must outlive the wait). Returns true if nothing
  // needs waiting for (the condition already holds).
  bool start(TaskCore* const* tasks, std::size_t n) {
    tasks_ = tasks;
    n_ = n;
    for (std::size_t i = 0; i < n; ++i) {
      if (!tasks[i]->done()) {
        ++remaining_;
      } else if (first_failed_ == none && failed(*tasks[i])) {
        first_failed_ = i;
      }
    }
    return satisfied();
  }

  // await_suspend of gather and wait: suspends the task until the set is satisfied.
  std::coroutine_handle<> suspend(std::coroutine_handle<> h) {
    if (!begin(h)) return h;
    watches_ = std::make_unique<DoneWatch[]>(n_);
    for (std::size_t i = 0; i < n_; ++i) {
      if (tasks_[i]->done()) continue;
      watches_[i].owner = this;
      watches_[i].fired = [](DoneWatch& w) noexcept { static_cast<DoneSet*>(w.owner)->on_done(w); };
      tasks_[i]->watch(watches_[i]);
    }
    if (timeout_) {
      timer_ = engine().call_later(*timeout_, [this] {
        timed_out_ = true;
        resolve();
      });
      timer_armed_ = true;
    }
    return switch_away();
  }

  // In await_resume: raises CancelledError if the wait was withdrawn. With
  // cancel_on_withdraw the cancel was passed on (withdraw() returned false), so it is still
  // pending on the task: this CancelledError delivers it, and it is taken, so that the
  // task's next suspension (its cleanup awaiting something) is not cancelled a second time.
  void finish() const {
    if (withdrawn_) {
      task_->take_cancel();
      throw CancelledError{};
    }
    end();
  }
  // The waiting task was cancelled while the set was waiting with cancel_on_withdraw.
  bool withdrawn() const noexcept { return withdrawn_; }
  bool timed_out() const noexcept { return timed_out_; }
  // The index of the task that failed first, or `none`.
  std::size_t first_failed() const noexcept { return first_failed_; }

  trace::Wait waits_on() const noexcept override { return trace::Wait::join; }
  bool withdraw() noexcept override {
    if (cancel_on_withdraw_) {
      withdrawn_ = true;
      for (std::size_t i = 0; i < n_; ++i)
        if (!tasks_[i]->done()) tasks_[i]->cancel();
      return false;
    }
    unlink_all();
    resolved_ = true;
    cancelled_ = true;
    return true;
  }

 private:
  bool failed(const TaskCore& t) const noexcept {
    return t.error() && (count_cancel_ || !t.cancelled());
  }
  bool satisfied() const noexcept {
    switch (until_) {
      case Until::all:
        return remaining_ == 0;
      case Until::first_error:
        return remaining_ == 0 || first_failed_ != none;
      case Until::first_done:
        return remaining_ < n_ || n_ == 0;
    }
    return true;
  }
  void on_done(DoneWatch& w) noexcept {
    std::size_t i = static_cast<std::size_t>(&w - watches_.get());
    --remaining_;
    if (first_failed_ == none && failed(*tasks_[i])) first_failed_ = i;
    if (satisfied()) resolve();
  }
  void resolve() noexcept {
    if (resolved_) return;
    resolved_ = true;
    unlink_all();
    task_->wake();
  }
  void unlink_all() noexcept {
    if (watches_)
      for (std::size_t i = 0; i < n_; ++i)
        if (watches_[i].linked) tasks_[i]->unwatch(watches_[i]);
    if (timer_armed_) engine().cancel(timer_);  // harmless once it has fired
    timer_armed_ = false;
  }

  Until until_;
  bool cancel_on_withdraw_;
  bool count_cancel_;
  std::optional<std::chrono::nanoseconds> timeout_;
  TaskCore* const* tasks_ = nullptr;
  std::size_t n_ = 0;
  std::size_t remaining_ = 0;
  std::size_t first_failed_ = none;
  std::unique_ptr<DoneWatch[]> watches_;
  Engine::TimerHandle timer_{};
  bool timer_armed_ = false;
  bool resolved_ = false;
  bool timed_out_ = false;
  bool withdrawn_ = false;
};

}  // namespace cmbench::coroutines::detail
