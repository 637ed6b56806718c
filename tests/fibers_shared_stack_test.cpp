// Greenlets on one shared stack (models/fibers/shared_stack.hpp): results and exceptions,
// gevent's order (a spawned greenlet starts at the next turn, ready ones run first come,
// first served), timers served while greenlets only yield, frames that survive being
// copied out and back, sleeps that overlap, and what a parked greenlet costs.
//
// Shared state lives outside run() (on the test's own stack) or on the heap: a greenlet's
// frame is not at its address while another greenlet runs, so nothing may point into it.
#include "models/fibers/shared_stack.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fibers_sanitizers.hpp"

namespace cmbench::fibers::shared_stack {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
constexpr int parked_greenlets = 2'000;
#else
constexpr bool sanitized = false;
constexpr int parked_greenlets = 100'000;
#endif

class FibersSharedStack : public ::testing::Test {
 protected:
  void SetUp() override {
    if (asan_checks_stack_frames()) GTEST_FAIL() << asan_stack_frames;
  }
};

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

TEST_F(FibersSharedStack, ResultsAndExceptionsComeBackThroughGet) {
  int sum = run([] {
    auto ok = spawn([](int a, int b) { return a + b; }, 2, 3);
    auto bad = spawn([]() -> int { throw std::runtime_error("boom"); });
    EXPECT_THROW(bad.get(), std::runtime_error);
    return ok.get();
  });
  EXPECT_EQ(sum, 5);
  EXPECT_THROW(run([]() -> int { throw std::invalid_argument("main"); }), std::invalid_argument);
}

TEST_F(FibersSharedStack, ASpawnedGreenletStartsAtTheNextTurnNotAtSpawn) {
  std::string order;
  run([&order] {
    auto g = spawn([&order] { order += 'g'; });
    order += 'm';  // spawn did not switch
    g.join();
    order += 'j';
  });
  EXPECT_EQ(order, "mgj");
}

TEST_F(FibersSharedStack, SleepZeroTakesTurnsInFifoOrder) {
  std::string order;
  run([&order] {
    std::vector<Greenlet<void>> gs;
    for (char c : {'a', 'b', 'c'})
      gs.push_back(spawn([&order, c] {
        for (int i = 0; i < 3; ++i) {
          order += c;
          sleep();
        }
      }));
    for (int i = 0; i < 3; ++i) {
      order += 'm';
      sleep();  // to the back of the ready queue, behind a, b and c
    }
    joinall(gs);
  });
  EXPECT_EQ(order, "mabcmabcmabc");
}

TEST_F(FibersSharedStack, JoinersResumeInTheOrderTheyJoined) {
  std::string order;
  run([&order] {
    auto slow = spawn([] { sleep(2ms); });
    std::vector<Greenlet<void>> joiners;
    for (char c : {'x', 'y', 'z'})
      joiners.push_back(spawn([&order, slow, c] {
        slow.join();
        order += c;
      }));
    joinall(joiners);
  });
  EXPECT_EQ(order, "xyz");
}

TEST_F(FibersSharedStack, GreenletsThatOnlyYieldDoNotStarveTimers) {
  bool done = false;
  long yields = 0;
  run([&] {
    auto spinner = spawn([&] {
      while (!done && yields < 10'000'000) {
        sleep();
        ++yields;
      }
    });
    auto sleeper = spawn([&done] {
      sleep(2ms);
      done = true;
    });
    spinner.join();
    sleeper.join();
  });
  EXPECT_TRUE(done);
  EXPECT_LT(yields, 10'000'000);
}

// Each greenlet fills a deep frame with its own pattern and checks it after every switch:
// its frames are copied out while the others run on the same addresses, and back.
TEST_F(FibersSharedStack, FramesSurviveTheOtherGreenletsRunningOnTheSameStack) {
  std::vector<int> intact(8, 0);
  std::size_t copied = 0;
  run([&] {
    std::vector<Greenlet<void>> gs;
    for (int id = 0; id < 8; ++id)
      gs.push_back(spawn([&intact, id] {
        volatile unsigned char frame[24 * 1024];
        for (std::size_t i = 0; i < sizeof frame; ++i)
          frame[i] = static_cast<unsigned char>(i * 7 + id);
        bool same = true;
        for (int round = 0; round < 20; ++round) {
          if (round % 2 == 0)
            sleep();
          else
            sleep(100us);
          for (std::size_t i = 0; i < sizeof frame; i += 97)
            same = same && frame[i] == static_cast<unsigned char>(i * 7 + id);
        }
        intact[static_cast<std::size_t>(id)] = same ? 1 : -1;
      }));
    joinall(gs);
    copied = Loop::current()->copied_bytes();
  });
  EXPECT_EQ(intact, std::vector<int>(8, 1));
  EXPECT_GT(copied, 8u * 20 * 24 * 1024);  // the frames did go out and back
}

TEST_F(FibersSharedStack, SleepsOverlap) {
  const auto start = Clock::now();
  std::size_t finished = run([] {
    std::vector<Greenlet<int>> gs;
    for (int i = 0; i < 100; ++i)
      gs.push_back(spawn([i] {
        sleep(20ms);
        return i;
      }));
    std::size_t n = 0;
    for (auto& g : gs) n += g.get() == static_cast<int>(n) ? 1 : 0;
    return n;
  });
  EXPECT_EQ(finished, 100u);
  EXPECT_LT(Clock::now() - start, 100 * 20ms / 4);  // sequential would take 2 s
}

TEST_F(FibersSharedStack, RunReturnsOnceEveryGreenletHasFinished) {
  int finished = 0;
  run([&finished] {
    for (int i = 0; i < 10; ++i)
      spawn([&finished] {
        sleep(1ms);
        ++finished;
      });
  });
  EXPECT_EQ(finished, 10);
}

TEST_F(FibersSharedStack, MisuseRaisesLogicError) {
  EXPECT_THROW(sleep(1ms), std::logic_error);
  EXPECT_THROW(spawn([] {}), std::logic_error);
  EXPECT_THROW(run([] { run([] {}); }), std::logic_error);
  EXPECT_THROW(run([] {}, Options{.stack_size = 1000}), std::invalid_argument);
  // Every greenlet waits and nothing can wake one: main joins a greenlet joining main.
  // (Not run: the two frames would leak, and the leak checker would report them.)
}

TEST_F(FibersSharedStack, AParkedGreenletCostsItsFramesNotAStack) {
  double per_greenlet = 0;
  run([&per_greenlet] {
    std::vector<Greenlet<void>> gs;
    gs.reserve(parked_greenlets);
    const long before = resident_bytes();
    for (int i = 0; i < parked_greenlets; ++i) gs.push_back(spawn([] { sleep(50ms); }));
    sleep();  // each runs once, up to its sleep, before main's turn comes back
    per_greenlet = static_cast<double>(resident_bytes() - before) / parked_greenlets;
    joinall(gs);
  });
  std::cout << "[ fibers   ] resident memory per parked shared-stack greenlet: " << per_greenlet
            << " B (" << parked_greenlets << " greenlets)\n";
  if (!sanitized) {
    EXPECT_LE(per_greenlet, 2 * 1024);  // a separate stack keeps a 4 KiB page resident
  }
}

}  // namespace
}  // namespace cmbench::fibers::shared_stack
