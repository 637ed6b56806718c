// TaskGroup: structured concurrency (asyncio.TaskGroup). Tasks created in a group are
// awaited together by join(); none outlives the group's join.
//
//   TaskGroup tg;
//   tg.create_task(fetch(1));
//   tg.create_task(fetch(2));
//   co_await tg.join();      // the end of asyncio's `async with TaskGroup() as tg:`
//
// The first task to fail (with anything but CancelledError) cancels all the others; join()
// waits until every task has finished, then raises an ExceptionGroup holding every
// exception raised (CancelledError aside). If the task awaiting join() is cancelled, every
// task of the group is cancelled and waited for, then join() raises CancelledError (an
// ExceptionGroup, if any task had failed).
// Differences from asyncio, because C++ has no `async with`: the code between the group's
// creation and join() is not cancelled when a task fails (it learns at join()); a group
// destroyed without join() (an exception left the scope) cancels its tasks but cannot wait
// for them, so they must not use what the scope owned — always reach join().
// create_task after a failure, or after join() has returned, raises InvalidStateError.
// Cost: one small node per task (a reference and a DoneWatch); a wake-up at the end.
#pragma once

#include <coroutine>
#include <deque>
#include <exception>
#include <source_location>
#include <string>
#include <vector>

#include "models/coroutines/suspension.hpp"
#include "models/coroutines/task.hpp"

namespace cmbench::coroutines {

class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  // A Task that may be dropped without a warning: the group awaits it.
  template <class T>
  class Started : public Task<T> {
   public:
    explicit Started(Task<T> t) noexcept : Task<T>(std::move(t)) {}
  };

  template <class T>
  Started<T> create_task(Task<T> coro, std::string name = {},
                         std::source_location where = std::source_location::current()) {
    admit();
    Task<T> task = coroutines::create_task(std::move(coro), std::move(name), where);
    adopt(task);
    return Started<T>(std::move(task));
  }

  class [[nodiscard]] Join final : public detail::Suspension {
   public:
    explicit Join(TaskGroup& g) noexcept : group_(g) {}
    bool await_ready() const noexcept { return group_.remaining_ == 0; }
    bool await_suspend(std::coroutine_handle<> h);
    void await_resume();
    trace::Wait waits_on() const noexcept override { return trace::Wait::join; }
    bool withdraw() noexcept override;

   private:
    friend class TaskGroup;
    TaskGroup& group_;
  };
  // Waits for every task of the group; see the header comment for what it raises.
  Join join() noexcept { return Join(*this); }

  std::size_t size() const noexcept { return members_.size(); }

 private:
  struct Member {
    TaskGroup* group;
    TaskRef task;
    detail::DoneWatch watch;
  };
  void admit() const;
  void adopt(TaskRef task);
  void on_done(Member& m) noexcept;
  void cancel_all() noexcept;

  std::deque<Member> members_;  // stable addresses: the watches are linked into the tasks
  std::vector<std::exception_ptr> errors_;
  std::size_t remaining_ = 0;
  Join* joining_ = nullptr;  // the join() awaiting the last task, if any
  bool aborting_ = false;    // a task failed, or the joiner was cancelled
  bool parent_cancelled_ = false;
  bool joined_ = false;
};

}  // namespace cmbench::coroutines
