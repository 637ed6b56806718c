// Unit tests of the threads model's concurrent.futures: submit and its Future, map's order and
// its failures, as_completed's order of completion, cancellation, shutdown, the bound on
// workers, and that no worker thread outlives its executor.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "models/threads/as_completed.hpp"
#include "models/threads/event.hpp"
#include "models/threads/executor.hpp"

using cmbench::threads::as_completed;
using cmbench::threads::CancelledError;
using cmbench::threads::Future;
using cmbench::threads::ThreadPoolExecutor;
using namespace std::chrono_literals;

namespace {

// Threads of this process now (one entry per thread in /proc/self/task).
std::size_t threads_now() {
  auto tasks = std::filesystem::directory_iterator("/proc/self/task");
  return std::size_t(std::ranges::distance(tasks, std::filesystem::directory_iterator{}));
}

// A gate a call waits at until the test opens it, so that the order of events is the
// test's, not the scheduler's.
struct Gate {
  std::promise<void> opened;
  std::shared_future<void> wait = opened.get_future().share();
  void open() { opened.set_value(); }
};

}  // namespace

TEST(ThreadsExecutor, SubmitReturnsTheFutureOfTheCall) {
  ThreadPoolExecutor pool(2);
  Future<int> sum = pool.submit([](int a, int b) { return a + b; }, 2, 3);
  std::atomic<bool> ran{false};
  Future<void> nothing = pool.submit([&] { ran = true; });
  EXPECT_EQ(sum.result(), 5);
  nothing.result();
  EXPECT_TRUE(ran);
  EXPECT_TRUE(sum.done());
  EXPECT_FALSE(sum.cancelled());
  EXPECT_EQ(sum.exception(), nullptr);
}

TEST(ThreadsExecutor, MapReturnsResultsInTheOrderOfTheInputs) {
  ThreadPoolExecutor pool(4);
  // Later inputs finish first: the order of the results is the inputs', not completion's.
  auto squares = pool.map(
      [](int i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2 * (8 - i)));
        return i * i;
      },
      std::views::iota(0, 8));
  EXPECT_EQ(squares, (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49}));
}

TEST(ThreadsExecutor, MapRethrowsTheFirstFailureInInputOrder) {
  ThreadPoolExecutor pool(4);
  Gate late;
  // Input 3 fails last, after input 5 failed: map still throws 3's exception, the first in
  // the inputs' order, as Python's map raises when its iterator reaches the failed call.
  auto fail = [&](int i) {
    if (i == 3) {
      late.wait.wait();
      throw std::runtime_error("input 3");
    }
    if (i == 5) {
      late.open();
      throw std::runtime_error("input 5");
    }
    return i;
  };
  try {
    pool.map(fail, std::views::iota(0, 6));
    FAIL() << "map returned";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "input 3");
  }
}

TEST(ThreadsExecutor, ExceptionsTravelThroughTheFuture) {
  ThreadPoolExecutor pool(1);
  Future<int> failed = pool.submit([]() -> int { throw std::out_of_range("no page"); });
  EXPECT_THROW(failed.result(), std::out_of_range);
  EXPECT_NE(failed.exception(), nullptr);
  EXPECT_THROW(failed.result(), std::out_of_range);  // the same exception, every time
  std::atomic<int> callbacks{0};
  failed.add_done_callback([&](Future<int> f) {
    if (f.exception()) ++callbacks;
  });
  EXPECT_EQ(callbacks, 1);  // added after the call finished: run at once
}

TEST(ThreadsExecutor, AsCompletedYieldsFuturesAsTheyComplete) {
  ThreadPoolExecutor pool(3);
  Gate gates[3];
  std::vector<Future<int>> futures;
  for (int i = 0; i < 3; ++i)
    futures.push_back(pool.submit([&gates, i] {
      gates[i].wait.wait();
      return i;
    }));
  // One gate open at a time, the next only once the loop saw the previous call complete.
  const int order[] = {2, 0, 1};
  gates[order[0]].open();
  std::vector<int> seen;
  for (auto future : as_completed(futures)) {
    seen.push_back(future.result());
    if (seen.size() < 3) gates[order[seen.size()]].open();
  }
  EXPECT_EQ(seen, (std::vector<int>{2, 0, 1}));
}

TEST(ThreadsExecutor, OnlyACallNotYetStartedCanBeCancelled) {
  ThreadPoolExecutor pool(1);
  Gate gate;
  std::promise<void> started;
  Future<int> running = pool.submit([&] {
    started.set_value();
    gate.wait.wait();
    return 1;
  });
  std::atomic<bool> ran{false};
  Future<int> queued = pool.submit([&] {
    ran = true;
    return 2;
  });
  started.get_future().wait();
  EXPECT_TRUE(running.running());
  EXPECT_FALSE(running.cancel());
  EXPECT_TRUE(queued.cancel());
  EXPECT_TRUE(queued.cancelled());
  EXPECT_TRUE(queued.done());
  gate.open();
  EXPECT_EQ(running.result(), 1);
  EXPECT_THROW(queued.result(), CancelledError);
  pool.shutdown();
  EXPECT_FALSE(ran);
}

TEST(ThreadsExecutor, ShutdownRunsTheQueuedCallsUnlessTheyAreCancelled) {
  Gate gate;
  std::atomic<int> ran{0};
  auto call = [&] {
    gate.wait.wait();
    ++ran;
  };
  std::vector<Future<void>> kept, cancelled;
  {
    ThreadPoolExecutor pool(1);
    for (int i = 0; i < 3; ++i) kept.push_back(pool.submit(call));
    gate.open();
    pool.shutdown();  // wait=true: the queued calls run first
    EXPECT_EQ(ran, 3);
    EXPECT_THROW(pool.submit(call), std::runtime_error);
  }
  Gate second;
  {
    ThreadPoolExecutor pool(1);
    std::promise<void> started;
    auto first = pool.submit([&] {
      started.set_value();
      second.wait.wait();
    });
    for (int i = 0; i < 3; ++i) cancelled.push_back(pool.submit(call));
    started.get_future().wait();
    pool.shutdown(/*wait=*/false, /*cancel_futures=*/true);
    second.open();
    first.result();
  }
  EXPECT_EQ(ran, 3);
  for (auto& f : cancelled) EXPECT_TRUE(f.cancelled());
}

TEST(ThreadsExecutor, NeverRunsMoreThanMaxWorkersAndLeavesNoThread) {
  // A thread started and joined first: ThreadSanitizer starts a background thread of its
  // own with the process's second thread, and it must be in the count before, not after.
  std::thread([] {}).join();
  const std::size_t before = threads_now();
  std::atomic<int> now{0}, peak{0};
  std::size_t during = 0;
  {
    ThreadPoolExecutor unused(4);
    EXPECT_EQ(threads_now(), before);  // no call queued, no worker started
    ThreadPoolExecutor pool(4);
    auto done = pool.map(
        [&](int) {
          const int mine = ++now;
          int seen = peak.load();
          while (mine > seen && !peak.compare_exchange_weak(seen, mine)) {
          }
          std::this_thread::sleep_for(2ms);
          --now;
          return true;
        },
        std::views::iota(0, 32));
    EXPECT_EQ(done.size(), 32u);
    during = threads_now();
  }
  EXPECT_LE(peak, 4);
  EXPECT_LE(during, before + 4);
  EXPECT_EQ(threads_now(), before);
}

TEST(ThreadsExecutor, RejectsNoWorkers) {
  EXPECT_THROW(ThreadPoolExecutor(0), std::invalid_argument);
}

// ---- Event (threading.Event) -------------------------------------------------------------

TEST(ThreadsEvent, WaitTimesOutFalseAndSetWakesEveryWaiterAtOnce) {
  cmbench::threads::Event stop;
  EXPECT_FALSE(stop.wait(1ms));
  std::atomic<int> woken{0};
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> waiters;
    for (int i = 0; i < 8; ++i)
      waiters.emplace_back([&] {
        if (stop.wait(60s)) ++woken;
      });
    std::this_thread::sleep_for(10ms);
    stop.set();
  }
  EXPECT_EQ(woken.load(), 8);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);  // not the 60 s timeout
  EXPECT_TRUE(stop.is_set());
  EXPECT_TRUE(stop.wait(0s));  // set before the wait: returns at once
  stop.clear();
  EXPECT_FALSE(stop.is_set());
  EXPECT_FALSE(stop.wait(1ms));
}
