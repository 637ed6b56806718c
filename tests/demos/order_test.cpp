// order in every model holds to demos/order/spec.hpp: a collector gives the results in
// call order (1, 2, 3); taken as they complete they come 3, 1, 2 in every concurrent model;
// and main's own work falls between the tasks' lines.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "demo_output.hpp"

namespace {

using demo_test::DemoOutput;

// The index within `lines` of the first line that is `text`; -1 when none.
int index_of(const std::vector<demo_test::Said>& lines, const std::string& text) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].text == text) return static_cast<int>(i);
  return -1;
}

class Order : public testing::TestWithParam<std::string> {};

TEST_P(Order, CallOrderCompletionOrderAndMainWorkingMeanwhile) {
  const std::string model = GetParam();
  auto d = demo_test::run("order", model);
  ASSERT_EQ(d.status, 0) << d.text;
  const bool sequential = model == "sequential";

  // (a) the collector's list is in call order.
  auto a = d.part("-- results in call order");
  ASSERT_FALSE(a.empty()) << d.text;
  EXPECT_GE(index_of(a, "results in call order: 1, 2, 3"), 0) << d.text;
  // ... though the tasks finished 3, 1, 2 (concurrently) before it was said.
  if (!sequential) {
    EXPECT_LT(index_of(a, "Task 3 finished"), index_of(a, "Task 1 finished")) << d.text;
    EXPECT_LT(index_of(a, "Task 1 finished"), index_of(a, "Task 2 finished")) << d.text;
  }

  // (b) taken as they complete.
  std::string got;
  for (const auto& l : d.part("-- results as they complete"))
    if (l.text.rfind("got result ", 0) == 0) got += l.text.substr(11);
  EXPECT_EQ(got, sequential ? "123" : "312") << d.text;

  // (c) main working: between the tasks' lines, or (sequential) after them all.
  auto c = d.part("-- main keeps working");
  const int working = index_of(c, "main working"), done = index_of(c, "main done working");
  const int t1 = index_of(c, "Task 1 finished"), t2 = index_of(c, "Task 2 finished"),
            t3 = index_of(c, "Task 3 finished");
  ASSERT_TRUE(working >= 0 && done >= 0 && t1 >= 0 && t2 >= 0 && t3 >= 0) << d.text;
  if (sequential) {
    EXPECT_GT(working, t3) << d.text;
    EXPECT_GT(working, t2) << d.text;
  } else {
    EXPECT_LT(working, t3) << d.text;  // before any task finishes (Task 3 is the first)
    EXPECT_GT(done, t3) << d.text;     // 1.5 units: after Task 3 (1 unit) ...
    EXPECT_LT(done, t1) << d.text;     // ... and before Task 1 (2 units)
    EXPECT_NE(d.lesson.find("main worked while its tasks waited"), std::string::npos) << d.lesson;
  }
  EXPECT_NE(d.lesson.find("results in call order 1, 2, 3"), std::string::npos) << d.lesson;
}

INSTANTIATE_TEST_SUITE_P(EveryModel, Order, testing::ValuesIn(demo_test::models),
                         [](const auto& info) { return info.param; });

}  // namespace
