// error_handling, threads: one threading.Thread per task, each writing its outcome to its
// own slot; the caller joins them all and reads the slots in call order (collect).
// Cancelling on the first failure: every task waits on a threading.Event with
// stop.wait(d), and the first task to fail sets it, so every sibling wakes at once and
// cleans up. A thread cannot be killed from outside; it stops only where it looks at the
// Event. `threads_blocking` is the same program whose tasks block in sleep(), a system call
// no Event interrupts (read() on a socket is the same): they can look at the Event only
// before the call, and every sibling already blocked runs to the end.
// (concurrent.futures reads the same, with as_completed; a Thread per task is the threading
// module's own way, and starts every task at once, as the workload asks.)
#include <mutex>
#include <thread>

#include "models/threads/event.hpp"
#include "spec.hpp"

namespace cmbench::error_handling {
namespace {

using threads::Event;

// Waits `d`, or until stop is set; true if it was (Event.wait(timeout)).
bool stopped_while_waiting(Event& stop, std::chrono::microseconds d) {
  return stop.wait(d);
}

// Blocks in the kernel for `d`: setting stop cannot shorten it.
bool stopped_while_blocked(Event& stop, std::chrono::microseconds d) {
  if (stop.is_set()) return true;  // the only place the task can look
  std::this_thread::sleep_for(d);
  return false;
}

using Wait = bool (*)(Event&, std::chrono::microseconds);

// One task: waits, then returns its value or raises its error; tells the caller when the
// stop reached it instead. Its record is its own until its future is done.
std::int64_t task(const Params& p, std::size_t i, Wait wait, Event& stop, TaskRecord& t) {
  CleanUp clean_up(t);
  if (wait(stop, p.waits[i])) {
    t.ending = Ending::cancelled;
    return 0;
  }
  return finish(p, i);
}

Result fan_out(const Params& p, Wait wait) {
  Result r;
  r.tasks.resize(p.waits.size());
  Event stop;
  std::mutex first_lock;  // guards r.errors in cancel_on_first
  {
    std::vector<std::jthread> workers;
    workers.reserve(p.waits.size());
    for (std::size_t i = 0; i < p.waits.size(); ++i)
      workers.emplace_back([&, i] {
        TaskRecord& t = r.tasks[i];
        try {
          t.value = task(p, i, wait, stop, t);
          if (t.ending != Ending::cancelled) t.ending = Ending::value;
        } catch (const TaskFailed& e) {
          t.ending = Ending::error;
          t.error = e.what();
          if (p.policy == Policy::cancel_on_first) {
            std::lock_guard lock(first_lock);
            if (!stop.is_set()) {  // the first failure: it stops every sibling
              r.errors.push_back(e.what());
              stop.set();
            }
          }
        }
      });
  }  // every thread joined here: what each wrote to its own record is ours now
  if (p.policy == Policy::collect)
    for (const TaskRecord& t : r.tasks)
      if (t.ending == Ending::error) r.errors.push_back(t.error);
  return r;
}

}  // namespace

Result threads(const Params& p) {
  return fan_out(p, stopped_while_waiting);
}

Result threads_blocking(const Params& p) {
  return fan_out(p, stopped_while_blocked);
}

}  // namespace cmbench::error_handling
