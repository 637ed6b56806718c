// Unit tests of processes::Pool: results in input order, inputs far beyond a pipe's buffer,
// an exception in fn, a worker that dies mid-map, and that no worker is ever left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "models/processes/pool.hpp"

using cmbench::processes::ChildError;
using cmbench::processes::Pool;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

// After every test: this process has no child left, neither running nor a zombie.
class PoolTest : public ::testing::Test {
 protected:
  void TearDown() override {
    int status = 0;
    errno = 0;
    EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1) << "a worker is still running or a zombie";
    EXPECT_EQ(errno, ECHILD);
  }
};

[[noreturn]] void abort_quietly() {
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  std::abort();
}

int twice_plus_one(int x) {
  return 2 * x + 1;
}

std::vector<int> iota(int n) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

struct Range {
  std::uint64_t lo, hi;
};
struct Sum {
  std::uint64_t total;
  pid_t worker;
};
Sum sum_range(const Range& r) {
  Sum s{0, ::getpid()};
  for (auto i = r.lo; i < r.hi; ++i) s.total += i;
  return s;
}

}  // namespace

TEST_F(PoolTest, ResultsComeBackInInputOrder) {
  // Later inputs finish first: input i sleeps (8 - i) × 5 ms.
  Pool pool(4, [](int i) {
    std::this_thread::sleep_for((8 - i) * 5ms);
    return i * i;
  });
  const auto results = pool.map(iota(8));
  ASSERT_EQ(results.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i], i * i);
}

TEST_F(PoolTest, MapsAFunctionOverStructs) {
  Pool pool(2, sum_range);
  const std::vector<Range> ranges = {{0, 10}, {10, 100}, {100, 1000}, {5, 5}};
  const std::vector<Sum> sums = pool.map(ranges);
  ASSERT_EQ(sums.size(), 4u);
  EXPECT_EQ(sums[0].total, 45u);
  EXPECT_EQ(sums[1].total, 4905u);
  EXPECT_EQ(sums[2].total, 494550u);
  EXPECT_EQ(sums[3].total, 0u);
  for (const Sum& s : sums) EXPECT_NE(s.worker, ::getpid());
}

TEST_F(PoolTest, EmptyInputGivesEmptyOutput) {
  Pool pool(2, twice_plus_one);
  EXPECT_TRUE(pool.map(std::vector<int>{}).empty());
}

// 100 000 inputs are ≈ 1.2 MB of tasks and ≈ 2 MB of results: many times the 64 KiB a pipe
// holds, so parent and workers must interleave writing and reading.
TEST_F(PoolTest, ManySmallInputsThroughTwoWorkers) {
  Pool pool(2, twice_plus_one);
  const auto inputs = iota(100'000);
  const auto results = pool.map(inputs);
  ASSERT_EQ(results.size(), inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) ASSERT_EQ(results[i], 2 * inputs[i] + 1);
}

TEST_F(PoolTest, EveryWorkerTakesPart) {
  Pool pool(2, [](int) {
    std::this_thread::sleep_for(2ms);
    return ::getpid();
  });
  const auto pids = pool.map(iota(50));
  const std::set<pid_t> distinct(pids.begin(), pids.end());
  EXPECT_EQ(distinct.size(), 2u);
}

TEST_F(PoolTest, IsReusableAcrossMaps) {
  Pool pool(3, twice_plus_one);
  for (int round = 0; round < 5; ++round) {
    const auto results = pool.map(iota(1000 * round));
    ASSERT_EQ(results.size(), 1000u * round);
    for (int i = 0; i < 1000 * round; ++i) ASSERT_EQ(results[i], 2 * i + 1);
  }
}

TEST_F(PoolTest, ExceptionInFnBecomesChildErrorAndThePoolStaysUsable) {
  Pool pool(2, [](int x) {
    if (x == 37) throw std::runtime_error("bad item " + std::to_string(x));
    return x;
  });
  try {
    pool.map(iota(10'000));
    FAIL() << "no exception";
  } catch (const ChildError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("child " + std::to_string(e.pid()) + ": "));
    EXPECT_THAT(e.what(), HasSubstr("bad item 37"));
    EXPECT_NE(e.pid(), ::getpid());
  }
  const auto results = pool.map(iota(30));  // all below 37
  for (int i = 0; i < 30; ++i) EXPECT_EQ(results[i], i);
}

TEST_F(PoolTest, LongErrorTextIsCutToFitOneMessage) {
  Pool pool(1, [](int) -> int { throw std::runtime_error(std::string(100'000, 'x')); });
  try {
    pool.map(iota(3));
    FAIL() << "no exception";
  } catch (const ChildError& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("xxxx"));
    EXPECT_LT(what.size(), 4200u);
  }
}

TEST_F(PoolTest, WorkerThatAbortsMidMapThrowsAndBreaksThePool) {
  Pool pool(2, [](int x) {
    if (x == 500) abort_quietly();
    return x;
  });
  try {
    pool.map(iota(1000));
    FAIL() << "no exception";
  } catch (const ChildError& e) {
    EXPECT_EQ(std::string(e.what()),
              "child " + std::to_string(e.pid()) + " killed by signal 6 (Aborted)");
  }
  try {
    pool.map(iota(3));
    FAIL() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("killed by signal 6"));
  }
}

// The only worker dies at once while the parent still has most of 100 000 tasks to write:
// no SIGPIPE may kill the parent and map must not wait for room that never comes.
TEST_F(PoolTest, EveryWorkerDeadWhileTasksRemainDoesNotHang) {
  Pool pool(1, [](int) -> int { abort_quietly(); });
  EXPECT_THROW(pool.map(iota(100'000)), ChildError);
}

TEST_F(PoolTest, WorkerThatExitsMidMapIsReported) {
  Pool pool(2, [](int x) {
    if (x == 3) ::_exit(4);
    return x;
  });
  try {
    pool.map(iota(10));
    FAIL() << "no exception";
  } catch (const ChildError& e) {
    EXPECT_THAT(e.what(), HasSubstr("exited with status 4"));
  }
}

TEST_F(PoolTest, ZeroWorkersIsInvalid) {
  EXPECT_THROW(Pool(0, twice_plus_one), std::invalid_argument);
}

TEST_F(PoolTest, DestroyedRightAfterConstruction) {
  Pool pool(4, twice_plus_one);
}

// A Process forked while a Pool is alive inherits the task pipe's write end, which withholds
// EOF from the workers; the stop messages still end them well within the 1 s grace.
TEST_F(PoolTest, WorkersStopWhileAnotherChildHoldsTheTaskPipe) {
  auto pool = std::make_unique<Pool<int (*)(int)>>(2, twice_plus_one);
  cmbench::processes::Process<int> bystander([] {
    std::this_thread::sleep_for(3s);
    return 0;
  });
  const auto start = std::chrono::steady_clock::now();
  pool.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
}
