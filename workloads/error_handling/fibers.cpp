// error_handling, fibers: gevent. A task is a greenlet that sleeps as if it blocked and then
// returns or raises; its `finally:` runs however it ends, GreenletExit included. Collecting
// is joinall() (raise_error=False) and then each greenlet's get() in spawn order: its value
// or its exception. Cancelling on the first failure is joinall(raise_error=True), which
// raises the first failure as soon as it happens, and killall(), which raises GreenletExit
// in every sibling where it sleeps and waits until they have all died.
#include "models/fibers/fibers.hpp"
#include "models/fibers/iwait.hpp"
#include "spec.hpp"

namespace cmbench::error_handling {

Result fibers(const Params& p) {
  Result r;
  r.tasks.resize(p.waits.size());
  fibers::run([&p, &r] {
    std::vector<fibers::Greenlet<std::int64_t>> tasks;
    for (std::size_t i = 0; i < p.waits.size(); ++i)
      tasks.push_back(fibers::spawn([&p, i, &t = r.tasks[i]] {
        CleanUp clean_up(t);
        try {
          fibers::sleep(p.waits[i]);
        } catch (const fibers::GreenletExit&) {
          t.ending = Ending::cancelled;
          throw;
        }
        return finish(p, i);
      }));
    if (p.policy == Policy::collect) {
      fibers::joinall(tasks);
    } else {
      try {
        fibers::joinall(tasks, fibers::raise_error);
      } catch (const TaskFailed& first) {
        r.errors.push_back(first.what());
        fibers::killall(tasks);
      }
    }
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      TaskRecord& t = r.tasks[i];
      if (t.ending == Ending::cancelled) continue;
      try {
        t.value = tasks[i].get();
        t.ending = Ending::value;
      } catch (const TaskFailed& e) {
        t.ending = Ending::error;
        t.error = e.what();
        if (p.policy == Policy::collect) r.errors.push_back(e.what());
      }
    }
  });
  return r;
}

}  // namespace cmbench::error_handling
