// ThreadSanitizer and the work-stealing pool (work_stealing.cpp); under TSan only.
//
// TSan keeps one shadow call stack per thread, and Debian's Boost 1.74 does not tell it of
// its fiber switches. A greenlet that parks on one of the pool's threads and resumes on the
// other would return there from frames it entered on the first: the second thread's shadow
// stack underflows and TSan crashes. So each Boost context the pool runs (every fiber, each
// thread's main and dispatcher contexts) gets a TSan fiber of its own, and TSan is told of
// every switch just before it (__tsan_switch_to_fiber), with the happens-before it implies.
//
//  - Switches between contexts: in Boost 1.74 all of them (suspend, yield, timed waits, a
//    fiber's end, the dispatcher's loop) resume what the scheduling algorithm's pick_next()
//    returns, at once; it returns nullptr only to the dispatcher, which then sleeps instead.
//    TsanWorkStealing annotates there. Each context's TSan fiber is kept in its
//    fiber-specific data; a finished fiber's is destroyed once it has switched away.
//  - Two jumps do not go through the scheduler: a new fiber's first (Boost.Context enters
//    the fiber's entry function and jumps straight back), and its last (the dispatcher
//    resumes a finished fiber once, to free its stack, and it returns through its entry
//    frames on the dispatcher's TSan fiber). Those frames are Boost templates, instantiated
//    where the fiber is constructed; their __tsan_func_entry/exit would unbalance the
//    shadow stacks (the last jump alone underflows the dispatcher's). So the pool's fibers
//    are constructed in tsan_fibers.cpp, which is compiled without function entry/exit
//    instrumentation (models/CMakeLists.txt); its memory accesses are still checked.
//  - Handoffs through Boost's queues, which TSan does not see (libboost_fiber is not
//    instrumented): a context made ready (awakened) happens before it runs (pick_next) or
//    is stolen (steal, whose inline queue code TSan must not check against Boost's).
#pragma once

#if defined(__SANITIZE_THREAD__)
#include <boost/fiber/context.hpp>
#include <cstdint>

#include "models/fibers/pool_algorithm.hpp"

namespace cmbench::fibers::detail {

// The pool's algorithm, telling TSan of every switch. Constructed on the pool's thread.
class TsanWorkStealing final : public PoolAlgorithm {
 public:
  TsanWorkStealing(std::uint32_t threads, bool suspend);
  void awakened(boost::fibers::context* ctx) noexcept override;
  boost::fibers::context* pick_next() noexcept override;
  boost::fibers::context* steal() noexcept override;
};

// Starts run(arg) on a new fiber of the pool (launch::post, Boost's default stack).
void start_pool_fiber(void (*run)(void*), void* arg);

}  // namespace cmbench::fibers::detail
#endif
