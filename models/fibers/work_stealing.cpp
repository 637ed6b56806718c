#include "work_stealing.hpp"

#include <boost/fiber/algo/work_stealing.hpp>
#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/operations.hpp>
#include <cstdlib>
#include <deque>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "models/core/trace.hpp"
#include "models/fibers/pool_algorithm.hpp"
#include "models/fibers/tsan_fibers.hpp"
#include "models/fibers/wait.hpp"

namespace cmbench::fibers {
namespace {

thread_local bool pool_thread = false;

using Job = std::function<void()>;

#if defined(__SANITIZE_THREAD__)
// Under TSan (tsan_fibers.hpp): an algorithm that tells TSan of each switch, fibers built
// where Boost's frames stay out of TSan's shadow stacks, and jobs that wait in a WaitQueue,
// not in a boost::fibers channel. Boost unlocks a channel's spinlock after the waiter has
// switched away, in libboost_fiber, where TSan does not see it, and TSan then reports the
// next push as a race with the wait; WaitQueue's park tells TSan (wait.cpp).
using Algorithm = detail::TsanWorkStealing;

void start_fiber(Job job) {
  detail::start_pool_fiber(
      [](void* j) { std::unique_ptr<Job>(static_cast<Job*>(j))->operator()(); },
      new Job(std::move(job)));
}

class JobQueue {
 public:
  void push(Job job) {
    SpinGuard lock(lock_);
    jobs_.push_back(std::move(job));
    waiting_.notify_one();
  }
  Job pop() {
    SpinGuard lock(lock_);
    while (jobs_.empty()) {
      waiting_.wait(lock);  // unlocks it
      lock.lock();
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    return job;
  }

 private:
  Spinlock lock_;
  WaitQueue waiting_{lock_};
  std::deque<Job> jobs_;
};
#else
using Algorithm = detail::PoolAlgorithm;

void start_fiber(Job job) {
  boost::fibers::fiber(std::move(job)).detach();
}

// Capacity: a power of two, as Boost requires; posting waits when 63 jobs are queued.
class JobQueue {
 public:
  void push(Job job) {
    if (jobs_.push(std::move(job)) != boost::fibers::channel_op_status::success)
      throw std::logic_error("fibers: the work-stealing pool has stopped");
  }
  Job pop() {
    Job job;
    jobs_.pop(job);  // never closed
    return job;
  }

 private:
  boost::fibers::buffered_channel<Job> jobs_{64};
};
#endif

// The process's one pool. Thread 0's main context takes jobs from a queue and starts a
// fiber for each; thread 1's main context just waits. Both threads' dispatchers run fibers
// and steal from each other. Built on first use; it lasts as long as the process.
class WorkStealingPool {
 public:
  // Never destroyed: at exit the main thread's Boost context (a thread_local) is gone
  // before static destructors run, so destroying the queues from there would crash. The two
  // threads sleep in their schedulers until the process ends.
  static WorkStealingPool& instance() {
    static WorkStealingPool& pool = *new WorkStealingPool();
    return pool;
  }

  // Boost's work_stealing with suspend = true only wakes a sleeping thread for work
  // scheduled to it from elsewhere, never to steal: without this nudge the second thread
  // sleeps through a fan-out on the first and the chunks run one after another.
  void nudge_others() noexcept {
    for (unsigned i = 0; i < work_stealing_threads; ++i)
      if (i != this_index) algorithms_[i]->notify();
  }

  void post(Job job) { jobs_.push(std::move(job)); }

 private:
  WorkStealingPool() {
    for (unsigned i = 0; i < work_stealing_threads; ++i)
      std::thread([this, i] { serve(i, ready_); }).detach();
    ready_.wait();
    // The threads outlive main(); a thread still stealing when libboost_fiber's static
    // state is destroyed crashes the exit. Before that, wait (briefly) for both to sleep.
    std::atexit([] {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
      while (Algorithm::asleep.load(std::memory_order_acquire) < work_stealing_threads &&
             std::chrono::steady_clock::now() < give_up)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    });
  }

  void serve(unsigned index, std::latch& ready) {
    pool_thread = true;
    trace::name_thread("fiber worker " + std::to_string(index + 1));
    this_index = index;
    algorithms_[index] = new Algorithm(work_stealing_threads, true);
    boost::fibers::context::active()->get_scheduler()->set_algo(algorithms_[index]);
    // No thread may steal before every thread has registered its scheduler.
    ready.arrive_and_wait();
    if (index == 0) {
      for (;;) start_fiber(jobs_.pop());
    } else {
      stop_.pop();  // never posted to: the thread serves until the process ends
    }
  }

  JobQueue jobs_;
  JobQueue stop_;
  std::latch ready_{work_stealing_threads};  // a member: the threads may still be leaving it
  boost::intrusive_ptr<boost::fibers::algo::work_stealing> algorithms_[work_stealing_threads];
  static thread_local unsigned this_index;
};

thread_local unsigned WorkStealingPool::this_index = 0;

}  // namespace

namespace detail {

bool on_work_stealing_pool() noexcept {
  return pool_thread;
}

void pool_work_posted() noexcept {
  WorkStealingPool::instance().nudge_others();
}

void post_to_pool(std::function<void()> job) {
  WorkStealingPool::instance().post(std::move(job));
}

}  // namespace detail
}  // namespace cmbench::fibers
