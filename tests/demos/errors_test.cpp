// errors in every model holds to demos/errors/spec.hpp: collected, the failure is one
// result among two values; cancelling, the siblings stop within one unit of the failure and
// their clean-up runs (sequential: they never start); threads are joined, children reaped.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "demo_output.hpp"

namespace {

using demo_test::DemoOutput;
using demo_test::Said;

const Said* find(const std::vector<Said>& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.text == text) return &l;
  return nullptr;
}

class Errors : public testing::TestWithParam<std::string> {};

TEST_P(Errors, CollectedOrCancellingTheSiblings) {
  const std::string model = GetParam();
  auto d = demo_test::run("errors", model);
  ASSERT_EQ(d.status, 0) << d.text;

  // (a) one error and two values, in call order.
  auto a = d.part("-- errors collected with the results");
  std::vector<std::string> results;
  for (const auto& l : a)
    if (l.text.rfind("Task ", 0) == 0 && l.text.find(" -> ") != std::string::npos)
      results.push_back(l.text);
  ASSERT_EQ(results.size(), 3u) << d.text;
  EXPECT_EQ(results[0].rfind("Task 1 -> error: ", 0), 0u) << d.text;
  EXPECT_NE(results[0].find("error in Task 1"), std::string::npos) << d.text;
  EXPECT_EQ(results[1], "Task 2 -> 2") << d.text;
  EXPECT_EQ(results[2], "Task 3 -> 3") << d.text;

  // (b) the first failure stops the rest.
  auto b = d.part("-- cancel the siblings on the first failure");
  const Said* failed = find(b, "Task 1 raises an error");
  ASSERT_NE(failed, nullptr) << d.text;
  ASSERT_NE(d.find_prefix("first failure: "), DemoOutput::npos) << d.text;
  EXPECT_NE(d.lines[d.find_prefix("first failure: ")].text.find("error in Task 1"),
            std::string::npos)
      << d.text;
  EXPECT_EQ(find(b, "Task 2 finished"), nullptr) << d.text;
  EXPECT_EQ(find(b, "Task 3 finished"), nullptr) << d.text;
  if (model == "sequential") {
    EXPECT_EQ(find(b, "Task 2 started"), nullptr) << d.text;
    EXPECT_EQ(find(b, "Task 3 started"), nullptr) << d.text;
    EXPECT_NE(d.lesson.find("never started"), std::string::npos) << d.lesson;
    return;
  }
  for (int n : {2, 3}) {
    const Said* cleanup = find(b, "Task " + std::to_string(n) + " cancelled, cleaning up");
    ASSERT_NE(cleanup, nullptr) << d.text;
    EXPECT_GE(cleanup->units, failed->units - 0.02) << d.text;  // printed times' rounding
    EXPECT_LT(cleanup->units, failed->units + 1.0) << d.text;   // within one unit
  }
  if (model == "threads") {
    EXPECT_NE(find(b, "3 threads joined"), nullptr) << d.text;
  }
  if (model == "processes") {
    EXPECT_NE(find(b, "3 children reaped"), nullptr) << d.text;
  }
  EXPECT_NE(d.lesson.find("cancelled and cleaned up"), std::string::npos) << d.lesson;
}

INSTANTIATE_TEST_SUITE_P(EveryModel, Errors, testing::ValuesIn(demo_test::models),
                         [](const auto& info) { return info.param; });

}  // namespace
