// The shared reactor: ready-queue and timer order, cancellation, fd readiness, wake-up from
// another thread, a throwing callback, stop with pending work, offloaded work, a watcher
// destroyed by another watcher's handler in the same batch, and 10^6 timers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "models/core/engine.hpp"
#include "models/core/span.hpp"

using namespace cmbench;
using namespace std::chrono_literals;

TEST(Engine, RunsCallbacksInOrderAndReturnsWhenIdle) {
  Engine r;
  std::vector<int> log;
  for (int i = 0; i < 5; ++i) r.call_soon([&log, i] { log.push_back(i); });
  r.run();
  EXPECT_EQ(log, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(r.alive());
}

TEST(Engine, TimersFireInDeadlineOrderAndNeverEarly) {
  Engine r;
  std::vector<int> log;
  const std::int64_t start = monotonic_ns();
  std::vector<std::int64_t> when(4);
  for (int i : {3, 1, 2, 0}) {
    r.call_later(std::chrono::milliseconds(1 + 2 * i), [&, i] {
      log.push_back(i);
      when[i] = monotonic_ns();
    });
  }
  r.run();
  EXPECT_EQ(log, (std::vector<int>{0, 1, 2, 3}));
  for (int i = 0; i < 4; ++i) EXPECT_GE(when[i] - start, (1 + 2 * i) * 1'000'000) << i;
}

TEST(Engine, CancelledTimerDoesNotRun) {
  Engine r;
  bool ran = false, other = false;
  auto h = r.call_later(5ms, [&] { ran = true; });
  r.call_later(1ms, [&] { other = r.cancel(h); });
  r.run();
  EXPECT_TRUE(other);
  EXPECT_FALSE(ran);
}

TEST(Engine, WatcherSeesReadabilityAndStopsWhenItStopsWanting) {
  Engine r;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string got;
  Watcher w(r, fds[0], [&](std::uint32_t events) {
    ASSERT_TRUE(events & EPOLLIN);
    char buf[16];
    auto n = read(fds[0], buf, sizeof buf);
    got.append(buf, static_cast<std::size_t>(n));
    if (got == "hello") w.want(0);  // done: the loop has nothing left and returns
  });
  w.want(EPOLLIN);
  r.call_later(2ms, [&] { ASSERT_EQ(write(fds[1], "hel", 3), 3); });
  r.call_later(4ms, [&] { ASSERT_EQ(write(fds[1], "lo", 2), 2); });
  r.run();
  EXPECT_EQ(got, "hello");
  close(fds[0]);
  close(fds[1]);
}

TEST(Engine, AWatcherDestroyedByAnotherHandlerInTheSameBatchIsNotCalled) {
  Engine r;
  int a[2], b[2];
  ASSERT_EQ(pipe(a), 0);
  ASSERT_EQ(pipe(b), 0);
  ASSERT_EQ(write(a[1], "x", 1), 1);
  ASSERT_EQ(write(b[1], "x", 1), 1);  // both readable before the first poll
  int calls = 0;
  std::unique_ptr<Watcher> wa, wb;
  // Each handler destroys the other watcher and stops its own: the one polled second
  // must not be called, although its event is already in the batch.
  wa = std::make_unique<Watcher>(r, a[0], [&](std::uint32_t) {
    ++calls;
    wb.reset();
    wa->want(0);
  });
  wb = std::make_unique<Watcher>(r, b[0], [&](std::uint32_t) {
    ++calls;
    wa.reset();
    wb->want(0);
  });
  wa->want(EPOLLIN);
  wb->want(EPOLLIN);
  r.run();
  EXPECT_EQ(calls, 1);
  for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
}

TEST(Engine, WakesUpForACallbackFromAnotherThread) {
  Engine r;
  std::atomic<bool> ran{false};
  std::thread::id ran_on;
  r.hold();  // nothing else keeps the loop alive while the other thread sleeps
  std::thread other([&] {
    std::this_thread::sleep_for(5ms);
    r.call_soon_threadsafe([&] {
      ran = true;
      ran_on = std::this_thread::get_id();
      r.release();
    });
  });
  r.run();
  other.join();
  EXPECT_TRUE(ran);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(Engine, AThrowingCallbackIsReportedAndTheLoopGoesOn) {
  Engine r;
  std::vector<std::string> reported;
  r.set_error_handler([&](std::string_view what) { reported.emplace_back(what); });
  bool after = false;
  r.call_soon([] { throw std::runtime_error("boom"); });
  r.call_later(1ms, [] { throw std::logic_error("timer boom"); });
  r.call_later(2ms, [&] { after = true; });
  r.run();
  EXPECT_TRUE(after);
  EXPECT_THAT(reported, ::testing::ElementsAre("boom", "timer boom"));
  EXPECT_EQ(r.errors(), 2u);
}

TEST(Engine, ACallbackThatThrowsMidBatchLeavesTheRestOfTheBatchInOrder) {
  Engine r;
  std::vector<std::string> log;
  r.set_error_handler([&](std::string_view what) { log.emplace_back(what); });
  r.call_soon([&] { log.emplace_back("first"); });
  r.call_soon([] { throw std::runtime_error("second threw"); });
  r.call_soon([&] { log.emplace_back("third"); });
  r.call_soon([] { throw 42; });
  r.call_soon([&] { log.emplace_back("fifth"); });
  r.run_once(false);  // the five are one batch
  EXPECT_THAT(log, ::testing::ElementsAre("first", "second threw", "third",
                                          "an exception not derived from std::exception", "fifth"));
  EXPECT_EQ(r.errors(), 2u);
  EXPECT_FALSE(r.alive());
}

TEST(Engine, StopKeepsPendingWorkForTheNextRun) {
  Engine r;
  int ran = 0;
  r.call_later(1ms, [&] {
    ++ran;
    r.stop();
  });
  r.call_later(200ms, [&] { ++ran; });  // far enough not to be due in the same turn
  r.run();
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(r.alive());
  EXPECT_EQ(r.pending_timers(), 1u);
  r.run();
  EXPECT_EQ(ran, 2);
}

TEST(Engine, OffloadRunsWorkOnAnotherThreadAndDoneOnTheLoop) {
  Engine r;
  const auto loop_thread = std::this_thread::get_id();
  std::vector<std::thread::id> workers(8);
  std::vector<std::thread::id> dones(8);
  for (int i = 0; i < 8; ++i)
    r.offload([&workers, i] { workers[i] = std::this_thread::get_id(); },
              [&dones, i] { dones[i] = std::this_thread::get_id(); });
  r.run();
  for (int i = 0; i < 8; ++i) {
    EXPECT_NE(workers[i], loop_thread);
    EXPECT_EQ(dones[i], loop_thread);
  }
}

TEST(Engine, AThrowingOffloadedJobIsReportedAndItsDoneStillRuns) {
  Engine r;
  std::vector<std::string> reported;
  r.set_error_handler([&](std::string_view what) { reported.emplace_back(what); });
  bool done = false;
  r.offload([] { throw std::runtime_error("job failed"); }, [&] { done = true; });
  r.run();
  EXPECT_TRUE(done);
  EXPECT_THAT(reported, ::testing::ElementsAre("job failed"));
}

TEST(Engine, AMillionConcurrentTimersAllFireAfterTheirDelay) {
  Engine r;
  std::size_t fired = 0;
  const std::int64_t start = monotonic_ns();
  std::int64_t earliest = INT64_MAX;
  for (int i = 0; i < 1'000'000; ++i)
    r.call_later(20ms, [&] {
      ++fired;
      earliest = std::min(earliest, monotonic_ns());
    });
  r.run();
  EXPECT_EQ(fired, 1'000'000u);
  EXPECT_GE(earliest - start, 20'000'000);
}

// ---- the slow-callback detector --------------------------------------------------------

namespace {

struct Found {
  std::vector<std::string> kinds;
  std::vector<std::int64_t> took_ns;
};

void watch(Engine& r, Found& found, std::chrono::nanoseconds threshold = 20ms) {
  r.set_slow_callback(threshold, [&found](const Engine::SlowCallback& slow) {
    found.kinds.emplace_back(slow.kind);
    found.took_ns.push_back(slow.took.count());
  });
}

}  // namespace

TEST(ReactorSlowCallback, ReportsACallbackATimerAndAnIOHandlerThatBlockTheLoop) {
  Engine r;
  Found found;
  watch(r, found);
  r.call_soon([] { std::this_thread::sleep_for(30ms); });
  r.call_later(1ms, [] { std::this_thread::sleep_for(30ms); });
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  Watcher* self = nullptr;
  Watcher w(r, fds[0], [&](std::uint32_t) {
    std::this_thread::sleep_for(30ms);
    self->want(0);
  });
  self = &w;
  w.want(EPOLLIN);
  r.run();
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_THAT(found.kinds,
              testing::UnorderedElementsAre("a callback", "a timer callback", "an I/O handler"));
  for (auto took : found.took_ns) EXPECT_GE(took, 30'000'000);
}

TEST(ReactorSlowCallback, QuickCallbacksAreNotReported) {
  Engine r;
  Found found;
  watch(r, found, 50ms);
  for (int i = 0; i < 1000; ++i) r.call_soon([] {});
  r.call_later(1ms, [] { std::this_thread::sleep_for(1ms); });
  r.run();
  EXPECT_TRUE(found.kinds.empty());
}

TEST(ReactorSlowCallback, OffByDefaultAndTurnedOffByAZeroThresholdOrNoHandler) {
  Found found;
  {
    Engine r;  // never set
    r.call_soon([] { std::this_thread::sleep_for(30ms); });
    r.run();
  }
  for (int how = 0; how < 2; ++how) {
    Engine r;
    watch(r, found);
    if (how == 0)
      r.set_slow_callback(0ns, [&found](const Engine::SlowCallback&) {
        found.kinds.emplace_back("zero threshold");
      });
    else
      r.set_slow_callback(20ms, nullptr);
    r.call_soon([] { std::this_thread::sleep_for(30ms); });
    r.run();
  }
  EXPECT_TRUE(found.kinds.empty());
}

TEST(ReactorSlowCallback, AThrowingHandlerIsReportedLikeACallbackAndTheLoopGoesOn) {
  Engine r;
  std::vector<std::string> errors;
  r.set_error_handler([&](std::string_view what) { errors.emplace_back(what); });
  r.set_slow_callback(
      10ms, [](const Engine::SlowCallback&) { throw std::runtime_error("handler failed"); });
  int after = 0;
  r.call_soon([] { std::this_thread::sleep_for(20ms); });
  r.call_later(1ms, [&after] { ++after; });
  r.run();
  EXPECT_EQ(errors, std::vector<std::string>{"handler failed"});
  EXPECT_EQ(after, 1);
}

TEST(ReactorSlowCallback, ASlowCallbackThatThrowsIsReportedAsBoth) {
  Engine r;
  std::vector<std::string> errors;
  Found found;
  r.set_error_handler([&](std::string_view what) { errors.emplace_back(what); });
  watch(r, found, 10ms);
  r.call_soon([] {
    std::this_thread::sleep_for(20ms);
    throw std::runtime_error("late and failing");
  });
  r.run();
  EXPECT_EQ(errors, std::vector<std::string>{"late and failing"});
  EXPECT_EQ(found.kinds, std::vector<std::string>{"a callback"});
}
