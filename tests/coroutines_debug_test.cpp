// Debug mode of the coroutines model: forgotten coroutines and tasks are reported with where
// they were created, and a step that holds the loop too long is logged.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/sleep.hpp"

using namespace std::chrono_literals;
using cmbench::coroutines::create_task;
using cmbench::coroutines::EventLoop;
using cmbench::coroutines::RunOptions;
using cmbench::coroutines::Task;

// Outside any anonymous namespace, so that the executable exports its name (-rdynamic) and
// the report can name it.
Task<int> debug_test_forgotten_coroutine() {
  co_return 1;
}

namespace {

Task<int> answer() {
  co_return 42;
}

// Collects the loop's debug reports for the life of the object.
class Reports {
 public:
  Reports() {
    EventLoop::current().set_debug_handler(
        [this](std::string_view line) { lines.emplace_back(line); });
  }
  ~Reports() { EventLoop::current().set_debug_handler(nullptr); }
  bool any_contains(const std::string& a, const std::string& b = "") const {
    for (const auto& l : lines)
      if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) return true;
    return false;
  }
  std::vector<std::string> lines;
};

std::string all(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

Task<void> forget_a_coroutine() {
  { auto forgotten = debug_test_forgotten_coroutine(); }  // created, dropped, never awaited
  co_return;
}

TEST(CoroutinesDebug, ReportsACoroutineNeverAwaitedWithWhereItWasCreated) {
  Reports reports;
  cmbench::coroutines::run(forget_a_coroutine(), RunOptions{.debug = true});
  EXPECT_TRUE(reports.any_contains("never awaited", "debug_test_forgotten_coroutine"))
      << all(reports.lines);
}

Task<void> forget_a_task() {
  (void)create_task(answer(), "orphan");  // runs, but nobody ever looks at its result
  co_await cmbench::coroutines::sleep(1ms);
}

TEST(CoroutinesDebug, ReportsATaskNeverAwaitedWithItsNameAndCreateTaskLine) {
  Reports reports;
  cmbench::coroutines::run(forget_a_task(), RunOptions{.debug = true});
  EXPECT_TRUE(reports.any_contains("orphan", "never awaited")) << all(reports.lines);
  EXPECT_TRUE(reports.any_contains("orphan", "coroutines_debug_test.cpp:")) << all(reports.lines);
}

Task<int> awaits_everything() {
  int a = co_await answer();
  Task<int> t = create_task(answer(), "awaited");
  co_return a + co_await t;
}

TEST(CoroutinesDebug, SaysNothingAboutCoroutinesAndTasksThatWereAwaited) {
  Reports reports;
  EXPECT_EQ(cmbench::coroutines::run(awaits_everything(), RunOptions{.debug = true}), 84);
  EXPECT_TRUE(reports.lines.empty()) << all(reports.lines);
}

TEST(CoroutinesDebug, IsSilentWhenOff) {
  Reports reports;
  cmbench::coroutines::run(forget_a_task(), RunOptions{.debug = false});
  cmbench::coroutines::run(forget_a_coroutine(), RunOptions{.debug = false});
  EXPECT_TRUE(reports.lines.empty()) << all(reports.lines);
}

Task<void> hog_the_loop(std::chrono::milliseconds busy) {
  auto until = std::chrono::steady_clock::now() + busy;
  while (std::chrono::steady_clock::now() < until) {
  }  // no co_await: nothing else can run meanwhile
  co_return;
}

Task<void> slow_step() {
  Task<void> hog = create_task(hog_the_loop(60ms), "hog");
  co_await hog;
}

TEST(CoroutinesDebug, LogsAStepThatBlocksTheLoopTooLong) {
  Reports reports;
  EventLoop::current().set_slow_callback_duration(20ms);
  cmbench::coroutines::run(slow_step(), RunOptions{.debug = true});
  EventLoop::current().set_slow_callback_duration(100ms);
  EXPECT_TRUE(reports.any_contains("hog", "took")) << all(reports.lines);
}

TEST(CoroutinesDebug, DoesNotLogQuickSteps) {
  Reports reports;
  cmbench::coroutines::run(awaits_everything(), RunOptions{.debug = true});
  EXPECT_FALSE(reports.any_contains("took")) << all(reports.lines);
}

}  // namespace
