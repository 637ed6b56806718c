// three_tasks in every model holds to demos/three_tasks/spec.hpp: 2-3-1 takes about 6 units
// one after another and about 3 concurrently, finishing 3, 1, 2.
#include <gtest/gtest.h>

#include <set>

#include "demo_output.hpp"

namespace {

class ThreeTasks : public testing::TestWithParam<std::string> {};

TEST_P(ThreeTasks, ShowsTheWaitsAddingUpOrOverlapping) {
  const std::string model = GetParam();
  auto d = demo_test::run("three_tasks", model);
  ASSERT_EQ(d.status, 0) << d.text;
  for (int n = 1; n <= 3; ++n) {
    ASSERT_TRUE(d.said("Task " + std::to_string(n) + " started")) << d.text;
    ASSERT_TRUE(d.said("Task " + std::to_string(n) + " finished")) << d.text;
  }
  const std::size_t total = d.find_prefix("total ");
  ASSERT_NE(total, demo_test::DemoOutput::npos) << d.text;
  const double took = d.lines[total].units;
  // Each task waits at least its own wait (less the printed times' rounding, 1 ms each).
  constexpr double printed = 2.0 / demo_test::unit_ms;
  EXPECT_GE(d.at("Task 1 finished") - d.at("Task 1 started"), 2.0 - printed) << d.text;
  EXPECT_GE(d.at("Task 2 finished") - d.at("Task 2 started"), 3.0 - printed) << d.text;
  EXPECT_GE(d.at("Task 3 finished") - d.at("Task 3 started"), 1.0 - printed) << d.text;
  if (model == "sequential") {
    EXPECT_GE(took, 6.0 - printed) << d.text;
    // Call order, each task done before the next begins.
    EXPECT_LT(d.find("Task 1 finished"), d.find("Task 2 started")) << d.text;
    EXPECT_LT(d.find("Task 2 finished"), d.find("Task 3 started")) << d.text;
    EXPECT_NE(d.lesson.find("add up"), std::string::npos) << d.lesson;
    return;
  }
  // Concurrent: about 3 units, far from 6 (the margin is the 3 units between them, less
  // what forking or a slow machine adds).
  EXPECT_GE(took, 3.0 - printed) << d.text;
  EXPECT_LT(took, 5.0) << d.text;
  // Every task starts before any finishes, and they finish shortest wait first: 3, 1, 2.
  EXPECT_LT(d.find("Task 3 started"), d.find("Task 3 finished")) << d.text;
  EXPECT_LT(d.find("Task 3 started"), d.find("Task 1 finished")) << d.text;
  EXPECT_LT(d.find("Task 3 finished"), d.find("Task 1 finished")) << d.text;
  EXPECT_LT(d.find("Task 1 finished"), d.find("Task 2 finished")) << d.text;
  // Where they ran: one lane on an event loop, a lane each for threads and processes.
  std::set<std::string> lanes;
  for (const auto& l : d.lines)
    if (l.text.rfind("Task ", 0) == 0) lanes.insert(l.lane);
  if (model == "threads" || model == "processes") {
    EXPECT_EQ(lanes.size(), 3u) << d.text;
    for (const auto& lane : lanes)
      EXPECT_EQ(lane.rfind(model == "threads" ? "thread " : "process ", 0), 0u) << lane;
  } else {
    EXPECT_EQ(lanes, std::set<std::string>{"thread A"}) << d.text;
  }
  EXPECT_NE(d.lesson.find("overlap"), std::string::npos) << d.lesson;
}

INSTANTIATE_TEST_SUITE_P(EveryModel, ThreeTasks, testing::ValuesIn(demo_test::models),
                         [](const auto& info) { return info.param; });

}  // namespace
