// OffloadPool: the process's threads for blocking work handed off by event loops
// (deferToThread, run_in_executor, to_thread, the fibers' file calls).
//
// One pool per process, started on first use and kept warm for the life of the process, as
// TBB keeps its workers: a loop created for one run does not pay for starting threads, so a
// run measures the model, not a cold pool (a pool per loop made cpu_bound's offloaded
// runs bimodal here: 11 ms or 16–20 ms for the same work).
// Guarantees: jobs start in submission order; each runs exactly once, on a pool thread; an
// exception escaping a job is handed to the job's `finished` callback with its message.
// Not guaranteed: any order of completion; use after fork() in the child (the child has no
// pool threads; a job submitted there would never run).
// Cost: a mutex and a condition-variable signal per job; waking a sleeping pool thread on
// the other vCPU costs 30–40 µs here.
// Thread-safety: submit() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "models/core/callback.hpp"
#include "models/core/ring_queue.hpp"
#include "models/core/trace.hpp"

namespace cmbench {

class OffloadPool {
 public:
  struct Job {
    Callback work;
    // Runs on the pool thread after `work`, with its exception's message or nothing.
    std::function<void(const std::string* error)> finished;
    // The task the work is done for, shown on the pool thread's lane in a trace (0: none).
    trace::TaskId task = 0;
  };

  static OffloadPool& instance();  // one per process, never destroyed
  // The size the pool has unless told otherwise: one thread per core, at least 2.
  static unsigned default_threads();

  void submit(Job job);
  // How many threads the pool runs (or will run, once the first job starts them).
  unsigned threads() const noexcept { return count_.load(std::memory_order_relaxed); }
  // Sets how many threads the pool runs (0: default_threads()), as a program sizes
  // asyncio's default executor before the first to_thread. Only before the first job has
  // started the threads: afterwards the pool keeps its size, and this returns false unless
  // the size asked for is the one it has. Thread-safe.
  bool set_threads(unsigned threads);

 private:
  explicit OffloadPool(unsigned threads);
  void thread_main();

  std::atomic<unsigned> count_;  // written under mutex_ while no thread has started
  std::mutex mutex_;
  std::condition_variable ready_;
  RingQueue<Job> jobs_;
  std::vector<std::thread> threads_;
};

}  // namespace cmbench
