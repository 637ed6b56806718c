#include "models/coroutines/task_group.hpp"

namespace cmbench::coroutines {

TaskGroup::~TaskGroup() {
  // join() was never reached: the tasks are cancelled, and no longer tell this group.
  for (Member& m : members_) {
    if (m.watch.linked) m.task.core().unwatch(m.watch);
    if (!m.task.done()) m.task.cancel();
  }
}

void TaskGroup::admit() const {
  if (joined_) throw InvalidStateError("TaskGroup: it has finished; create a new one");
  if (aborting_) throw InvalidStateError("TaskGroup: it is shutting down after a failure");
}

void TaskGroup::adopt(TaskRef task) {
  Member& m = members_.emplace_back(Member{this, std::move(task), {}});
  m.task.core().retrieve();  // the group looks at every result
  m.watch.owner = &m;
  m.watch.fired = [](detail::DoneWatch& w) noexcept {
    auto& member = *static_cast<Member*>(w.owner);
    member.group->on_done(member);
  };
  ++remaining_;
  m.task.core().watch(m.watch);
}

void TaskGroup::on_done(Member& m) noexcept {
  --remaining_;
  if (m.task.exception() && !m.task.cancelled()) {
    errors_.push_back(m.task.exception());
    if (!aborting_) {
      aborting_ = true;
      cancel_all();
    }
  }
  if (remaining_ == 0 && joining_) {
    Join* j = std::exchange(joining_, nullptr);
    j->task_->wake();
  }
}

void TaskGroup::cancel_all() noexcept {
  for (Member& m : members_)
    if (!m.task.done()) m.task.cancel();
}

bool TaskGroup::Join::await_suspend(std::coroutine_handle<> h) {
  // A cancel already pending is taken here, not refused: the group's tasks are cancelled
  // and still waited for, so that none outlives join().
  task_ = &detail::TaskCore::current();
  if (task_->take_cancel()) withdraw();
  task_->suspend(h, this);
  group_.joining_ = this;
  return true;
}

bool TaskGroup::Join::withdraw() noexcept {
  group_.parent_cancelled_ = true;
  group_.aborting_ = true;
  group_.cancel_all();
  return false;  // keep waiting for them
}

void TaskGroup::Join::await_resume() {
  group_.joined_ = true;
  if (!group_.errors_.empty()) throw ExceptionGroup(std::move(group_.errors_));
  if (group_.parent_cancelled_) {
    task_->take_cancel();
    throw CancelledError{};
  }
}

}  // namespace cmbench::coroutines
