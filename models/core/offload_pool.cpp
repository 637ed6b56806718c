#include "offload_pool.hpp"

#include <algorithm>
#include <exception>

namespace cmbench {

OffloadPool& OffloadPool::instance() {
  // Leaked on purpose: its threads wait for work until the process ends, and a static
  // destructor joining them could run while another static still submits.
  static OffloadPool* pool = new OffloadPool(default_threads());
  return *pool;
}

unsigned OffloadPool::default_threads() {
  return std::max(2u, std::thread::hardware_concurrency());
}

bool OffloadPool::set_threads(unsigned threads) {
  if (threads == 0) threads = default_threads();
  std::lock_guard lock(mutex_);
  if (!threads_.empty()) return threads == count_.load(std::memory_order_relaxed);
  count_.store(threads, std::memory_order_relaxed);
  return true;
}

OffloadPool::OffloadPool(unsigned threads) : count_(threads) {}

void OffloadPool::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    while (threads_.size() < count_.load(std::memory_order_relaxed)) {
      threads_.emplace_back([this, n = threads_.size() + 1] {
        trace::name_thread("offload " + std::to_string(n));
        thread_main();
      });
    }
  }
  ready_.notify_one();
}

void OffloadPool::thread_main() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      if (jobs_.empty()) {  // idle in a trace until a job comes
        trace::blocked(trace::Wait::lock);
        ready_.wait(lock, [this] { return !jobs_.empty(); });
        trace::unblocked();
      }
      job = jobs_.pop_front();
    }
    std::string error;
    bool failed = false;
    trace::offload_begin(job.task);
    try {
      job.work();
    } catch (const std::exception& e) {
      failed = true;
      error = e.what();
    } catch (...) {
      failed = true;
      error = "an exception not derived from std::exception";
    }
    trace::offload_end(job.task);
    job.finished(failed ? &error : nullptr);
  }
}

}  // namespace cmbench
