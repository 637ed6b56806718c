// memory_per_task beyond its smallest cell: the verifier rejects a count that is off; the
// memory a model's waiting task is measured to cost is positive and of the right order for
// that model (wide margins: the point is to catch a reading that measures nothing, or the
// wrong process); and a run that fails while every task waits leaves no thread and no child
// behind.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>

#include "catalog.hpp"
#include "harness/holdings.hpp"
#include "models/coroutines/info.hpp"
#include "models/processes/info.hpp"
#include "models/threads/info.hpp"
#include "workloads/memory_per_task/spec.hpp"

using namespace cmbench;
namespace mpt = cmbench::memory_per_task;
using mpt::in_fresh_process;
using mpt::Params;
using mpt::Result;
using mpt::verify;
using ::testing::HasSubstr;

using cmbench::entries;

namespace {

double metric(const Verdict& v, const std::string& name) {
  for (const auto& [key, value] : v.metrics)
    if (key == name) return value;
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

bool has_metric(const Verdict& v, const std::string& name) {
  for (const auto& entry : v.metrics)
    if (entry.first == name) return true;
  return false;
}

// One waiting task's measured cost (bytes), the model's run in a fresh process.
double bytes_per_task(Result (*run)(const Params&), const ModelInfo& m, std::uint64_t n) {
  const Params p{n};
  const Verdict v = verify(p, in_fresh_process(run, p), m);
  EXPECT_TRUE(v.ok) << v.why;
  return metric(v, "bytes_per_task");
}

}  // namespace

TEST(MemoryPerTask, VerifierAcceptsAllWaitingAndFinished) {
  const Params p{100};
  Result r{.waiting = 100,
           .finished = 100,
           .user_bytes = 25'600,
           .kernel_bytes = 1'638'400,
           .peak_rss_bytes = 3 << 20};
  const Verdict v = verify(p, r, threads::info);
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.tasks, 100u);
  EXPECT_DOUBLE_EQ(metric(v, "bytes_per_task"), 256);
  EXPECT_DOUBLE_EQ(metric(v, "kernel_bytes_per_task"), 16'384);
  EXPECT_DOUBLE_EQ(metric(v, "peak_rss_mib"), 3);
  // A coroutine has no kernel share of its own: none is reported for it.
  EXPECT_FALSE(has_metric(verify(p, r, coroutines::info), "kernel_bytes_per_task"));
}

TEST(MemoryPerTask, VerifierRejectsTasksThatWereNotAllWaiting) {
  const Params p{100};
  const Verdict v = verify(p, Result{.waiting = 99, .finished = 100}, coroutines::info);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("99 of 100 tasks were waiting"));
}

TEST(MemoryPerTask, VerifierRejectsTasksThatDidNotFinish) {
  const Params p{100};
  const Verdict v = verify(p, Result{.waiting = 100, .finished = 98}, coroutines::info);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("only 98 of 100 tasks finished"));
}

TEST(MemoryPerTask, BadParametersAreRejected) {
  EXPECT_THROW(catalog().parse_cell("memory_per_task/coroutines/N:0"), BadInput);
}

// The margins are wide on purpose; docs/memory_per_task.md has the measured figures.
TEST(MemoryPerTask, EventDrivenTasksCostBytesNotPages) {
  for (auto run : {mpt::coroutines, mpt::callbacks, mpt::futures}) {
    const double b = bytes_per_task(run, coroutines::info, 2'000);
    EXPECT_GT(b, 16);
    EXPECT_LT(b, 4'096);
  }
}

TEST(MemoryPerTask, AGreenletCostsAtLeastItsStacksTouchedPage) {
  const double b = bytes_per_task(mpt::fibers, coroutines::info, 1'000);
  EXPECT_GT(b, 1'024);
  EXPECT_LT(b, 64 * 1'024);
}

TEST(MemoryPerTask, AThreadCostsItsTouchedStackAndAKernelStack) {
  const Params p{200};
  const Verdict v = verify(p, in_fresh_process(mpt::threads, p), threads::info);
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_GT(metric(v, "bytes_per_task"), 1'024);
  // ThreadSanitizer keeps about a megabyte of state per thread of its own.
#if defined(__SANITIZE_THREAD__)
  constexpr double most = 64 << 20;
#else
  constexpr double most = 1 << 20;
#endif
  EXPECT_LT(metric(v, "bytes_per_task"), most);
  EXPECT_TRUE(has_metric(v, "kernel_bytes_per_task"));  // its value is system-wide: noisy
}

TEST(MemoryPerTask, AProcessCostsThePagesItWrote) {
  const double b = bytes_per_task(mpt::processes, processes::info, 20);
  EXPECT_GT(b, 4'096);
  EXPECT_LT(b, 64 << 20);
}

// A run that fails with every task waiting: the threads are released and joined, the
// children killed and reaped, the loops' tasks dropped. Run here, in this process, so that
// what a model leaves behind would be seen.
TEST(MemoryPerTask, AFailedRunLeavesNoThreadAndNoChildBehind) {
  const Params p{.n = 50, .fail_while_waiting = true};
  // A sanitizer's own background thread starts with the process's first thread: start one
  // before counting, so that it is counted on both sides.
  std::thread([] {}).join();
  const std::size_t threads_before = entries("/proc/self/task");
  EXPECT_THROW(mpt::threads(p), std::runtime_error);
  EXPECT_EQ(entries("/proc/self/task"), threads_before) << "a waiting thread was left";
  for (auto run : {mpt::processes, mpt::callbacks, mpt::futures, mpt::coroutines, mpt::fibers}) {
    EXPECT_THROW(run(p), std::runtime_error);
    EXPECT_EQ(Holdings::now().children.size(), 0u);
  }
}

TEST(MemoryPerTask, AFailedRunInItsOwnProcessSaysWhy) {
  const Params p{.n = 10, .fail_while_waiting = true};
  try {
    in_fresh_process(mpt::coroutines, p);
    FAIL() << "the run did not fail";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("failing while all tasks wait"));
  }
  EXPECT_EQ(Holdings::now().children.size(), 0u);
}
