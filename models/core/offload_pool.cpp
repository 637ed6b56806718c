#include "offload_pool.hpp"

#include <algorithm>
#include <exception>

namespace cmbench {

OffloadPool& OffloadPool::instance() {
  // Leaked on purpose: its threads wait for work until the process ends, and a static
  // destructor joining them could run while another static still submits.
  static OffloadPool* pool = new OffloadPool(std::max(2u, std::thread::hardware_concurrency()));
  return *pool;
}

OffloadPool::OffloadPool(unsigned threads) : count_(threads) {}

void OffloadPool::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    while (threads_.size() < count_) threads_.emplace_back([this] { thread_main(); });
  }
  ready_.notify_one();
}

void OffloadPool::thread_main() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return !jobs_.empty(); });
      job = jobs_.pop_front();
    }
    std::string error;
    bool failed = false;
    try {
      job.work();
    } catch (const std::exception& e) {
      failed = true;
      error = e.what();
    } catch (...) {
      failed = true;
      error = "an exception not derived from std::exception";
    }
    job.finished(failed ? &error : nullptr);
  }
}

}  // namespace cmbench
