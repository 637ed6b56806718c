// TBB's workers in a trace (models/core/trace.hpp): each worker thread's lane is named
// "tbb worker N", and shows it blocked (Wait::lock) from the moment it leaves the arena
// (it has run out of work and goes to sleep in TBB's scheduler) until it enters it again.
// So the lanes show when the workers were busy beside the thread that waits on the
// task_group (usually main, which runs tasks too while it waits).
//
// How: a tbb::task_scheduler_observer, switched on during static initialisation, which
// observes the arena of the thread that builds it: the main thread's implicit (default)
// arena, where a tbb::task_group or parallel_for called from main runs. Not seen: arenas of
// other threads and explicit task_arenas (their workers' lanes keep TBB's own thread names).
//
// Cost: TBB calls the observer when a worker joins or leaves the arena (not per task): a
// virtual call and a flag test when no trace is recorded, plus, once per worker thread, the
// naming (a lock and a string). Built into every program that links cmbench_threads
// (models/CMakeLists.txt links this file whole), since nothing refers to it by name.
#include <oneapi/tbb/task_scheduler_observer.h>

#include <atomic>
#include <string>

#include "models/core/trace.hpp"

namespace cmbench::threads {
namespace {

class WorkerLanes final : public tbb::task_scheduler_observer {
 public:
  WorkerLanes() { observe(true); }

  void on_scheduler_entry(bool is_worker) override {
    if (!is_worker) return;
    thread_local bool named = false;
    if (!named) [[unlikely]] {
      named = true;
      trace::name_thread("tbb worker " + std::to_string(workers_.fetch_add(1) + 1));
    }
    trace::unblocked();
  }

  void on_scheduler_exit(bool is_worker) override {
    if (is_worker) trace::blocked(trace::Wait::lock);
  }

 private:
  std::atomic<unsigned> workers_{0};
};

}  // namespace

// Never destroyed: at exit TBB's workers may still be leaving the arena, and an observer
// switched off from a static destructor could race with them. A global keeps it reachable
// (no leak report).
extern tbb::task_scheduler_observer* const worker_lanes;
tbb::task_scheduler_observer* const worker_lanes = new WorkerLanes();

}  // namespace cmbench::threads
