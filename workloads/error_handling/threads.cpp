// error_handling, threads: concurrent.futures, one worker per task. Collecting reads every
// future in call order (result() or exception()). Cancelling on the first failure is
// as_completed until a future holds an exception, then stop.set(): Python's
// threading.Event, here a std::stop_source whose token every task waits on. A thread cannot
// be killed from outside; it stops only where it looks at the token. So the task waits on a
// condition variable that the stop request wakes (Event.wait(timeout)), and stops within a
// wake-up. `threads_blocking` is the same program whose tasks block in sleep(), a system
// call no token interrupts (read() on a socket is the same): they can look at the token
// only before the call, and every sibling already blocked runs to the end.
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "models/threads/as_completed.hpp"
#include "models/threads/executor.hpp"
#include "spec.hpp"

namespace cmbench::error_handling {
namespace {

using threads::ThreadPoolExecutor;

// Waits `d` or until a stop is requested; true if it was (stop.wait(d) on an Event).
bool stopped_while_waiting(std::stop_token stop, std::chrono::microseconds d) {
  std::mutex m;
  std::condition_variable_any wake;
  std::unique_lock lock(m);
  wake.wait_for(lock, stop, d, [] { return false; });
  return stop.stop_requested();
}

// Blocks in the kernel for `d`: a stop request cannot shorten it.
bool stopped_while_blocked(std::stop_token stop, std::chrono::microseconds d) {
  if (stop.stop_requested()) return true;  // the only place the task can look
  std::this_thread::sleep_for(d);
  return false;
}

using Wait = bool (*)(std::stop_token, std::chrono::microseconds);

// One task: waits, then returns its value or raises its error; tells the caller when the
// stop reached it instead. Its record is its own until its future is done.
std::int64_t task(const Params& p, std::size_t i, Wait wait, std::stop_token stop, TaskRecord& t) {
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
  std::stop_source stop;
  std::vector<threads::Future<std::int64_t>> futures;
  {
    ThreadPoolExecutor pool(p.waits.size());
    for (std::size_t i = 0; i < p.waits.size(); ++i)
      futures.push_back(
          pool.submit(task, std::cref(p), i, wait, stop.get_token(), std::ref(r.tasks[i])));
    if (p.policy == Policy::cancel_on_first) {
      for (const auto& done : threads::as_completed(futures)) {
        if (auto error = done.exception()) {
          stop.request_stop();  // every sibling that waits on the token wakes now
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            r.errors.push_back(e.what());
          }
          break;
        }
      }
    }
  }  // leaving the block: shutdown(wait=True), every worker joined
  for (std::size_t i = 0; i < futures.size(); ++i) {
    TaskRecord& t = r.tasks[i];
    try {
      const std::int64_t value = futures[i].result();
      if (t.ending != Ending::cancelled) {
        t.ending = Ending::value;
        t.value = value;
      }
    } catch (const TaskFailed& e) {
      t.ending = Ending::error;
      t.error = e.what();
      if (p.policy == Policy::collect) r.errors.push_back(e.what());
    }
  }
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
