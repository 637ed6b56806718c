// error_handling, sequential: a plain loop with try/except around each call. Collecting
// catches each error and goes on; cancelling on the first failure is `break`: the tasks
// after it never start, so there is nothing to cancel and nothing to clean up. A failure
// is noticed only once every task before it has run.
#include <thread>

#include "spec.hpp"

namespace cmbench::error_handling {

Result sequential(const Params& p) {
  Result r;
  r.tasks.resize(p.waits.size());
  for (std::size_t i = 0; i < p.waits.size(); ++i) {
    TaskRecord& t = r.tasks[i];
    try {
      CleanUp clean_up(t);
      std::this_thread::sleep_for(p.waits[i]);
      t.value = finish(p, i);
      t.ending = Ending::value;
    } catch (const TaskFailed& e) {
      t.ending = Ending::error;
      t.error = e.what();
      r.errors.push_back(e.what());
      if (p.policy == Policy::cancel_on_first) break;
    }
  }
  return r;
}

}  // namespace cmbench::error_handling
