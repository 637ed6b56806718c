#include "work_stealing.hpp"

#include <boost/fiber/algo/work_stealing.hpp>
#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/operations.hpp>
#include <latch>
#include <thread>
#include <vector>

namespace cmbench::fibers {
namespace {

thread_local bool pool_thread = false;

// The process's one pool. Thread 0's main context takes jobs from a channel and starts a
// fiber for each; thread 1's main context just waits. Both threads' dispatchers run fibers
// and steal from each other. Built on first use; it lasts as long as the process.
class WorkStealingPool {
 public:
  // Never destroyed: at exit the main thread's Boost context (a thread_local) is gone
  // before static destructors run, so closing the channels from there would crash. The two
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

  void post(std::function<void()> job) {
    if (jobs_.push(std::move(job)) != boost::fibers::channel_op_status::success)
      throw std::logic_error("fibers: the work-stealing pool has stopped");
  }

 private:
  WorkStealingPool() {
    for (unsigned i = 0; i < work_stealing_threads; ++i)
      std::thread([this, i] { serve(i, ready_); }).detach();
    ready_.wait();
  }

  void serve(unsigned index, std::latch& ready) {
    pool_thread = true;
    this_index = index;
    algorithms_[index] = new boost::fibers::algo::work_stealing(work_stealing_threads, true);
    boost::fibers::context::active()->get_scheduler()->set_algo(algorithms_[index]);
    // No thread may steal before every thread has registered its scheduler.
    ready.arrive_and_wait();
    std::function<void()> job;
    if (index == 0) {
      while (jobs_.pop(job) == boost::fibers::channel_op_status::success)
        boost::fibers::fiber(std::move(job)).detach();
    } else {
      stop_.pop(job);  // never closed: the thread serves until the process ends
    }
  }

  // Capacity: a power of two, as Boost requires; posting waits when 63 jobs are queued.
  boost::fibers::buffered_channel<std::function<void()>> jobs_{64};
  boost::fibers::buffered_channel<std::function<void()>> stop_{2};
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
