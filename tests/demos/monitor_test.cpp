// monitor in every model holds to demos/monitor/spec.hpp: the task table lists the workers
// still waiting, by name, and shrinks as they finish (5, 4, 3, 2, 1, 0 alive); sequential
// code never has more than one task alive.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "demo_output.hpp"

namespace {

struct Table {
  double at = 0;         // units
  int alive = 0;         // the count it printed
  std::set<int> listed;  // the workers it named
};

std::vector<Table> tables(const demo_test::DemoOutput& d) {
  std::vector<Table> found;
  for (const auto& l : d.lines) {
    if (l.text.rfind("ps: ", 0) != 0) continue;
    Table t;
    t.at = l.units;
    t.alive = std::stoi(l.text.substr(4));
    // The workers named before the "|" (what follows is the model's other tasks).
    const std::string entries = l.text.substr(0, l.text.find('|'));
    for (std::size_t at = entries.find("worker-"); at != std::string::npos;
         at = entries.find("worker-", at + 1))
      if (at + 7 < entries.size() && std::isdigit(static_cast<unsigned char>(entries[at + 7])))
        t.listed.insert(entries[at + 7] - '0');
    found.push_back(t);
  }
  return found;
}

class Monitor : public testing::TestWithParam<std::string> {};

TEST_P(Monitor, TheTableListsTheLiveWorkersAndShrinksAsTheyFinish) {
  const std::string model = GetParam();
  auto d = demo_test::run("monitor", model);
  ASSERT_EQ(d.status, 0) << d.text;
  for (int k = 1; k <= 5; ++k)
    ASSERT_TRUE(d.said("worker-" + std::to_string(k) + " finished")) << d.text;
  const auto ps = tables(d);
  ASSERT_GE(ps.size(), 6u) << d.text;
  for (const auto& t : ps) EXPECT_EQ(t.alive, static_cast<int>(t.listed.size())) << d.text;
  EXPECT_EQ(ps.back().alive, 0) << d.text;
  const std::size_t total = d.find_prefix("total ");
  ASSERT_NE(total, demo_test::DemoOutput::npos) << d.text;
  const double took = d.lines[total].units;
  constexpr double printed = 2.0 / demo_test::unit_ms;

  if (model == "sequential") {
    // One task at a time, in order, and the waits add up: 1 + 2 + 3 + 4 + 5.
    ASSERT_EQ(ps.size(), 6u) << d.text;
    for (int k = 1; k <= 5; ++k) EXPECT_EQ(ps[k - 1].listed, std::set<int>{k}) << d.text;
    EXPECT_GE(took, 15.0 - printed) << d.text;
    EXPECT_NE(d.lesson.find("a single task"), std::string::npos) << d.lesson;
    return;
  }
  EXPECT_EQ(ps.front().listed, (std::set<int>{1, 2, 3, 4, 5})) << d.text;
  for (std::size_t i = 1; i < ps.size(); ++i) EXPECT_LE(ps[i].alive, ps[i - 1].alive) << d.text;
  // Worker k is listed until it says it finished, and gone from the table a tick after
  // (two ticks for a process, which still has to exit: a slow fork or exit under a
  // sanitizer moves a child's whole life later than the monitor's ticks, so the times
  // are the worker's own, not k units from the start).
  const double grace = model == "processes" ? 1.05 : 0.55;
  for (int k = 1; k <= 5; ++k) {
    const double finished = d.at("worker-" + std::to_string(k) + " finished");
    ASSERT_GE(finished, k - printed) << d.text;
    for (const auto& t : ps) {
      const std::string at = "worker-" + std::to_string(k) + " at " + std::to_string(t.at);
      if (t.at < std::min(finished, k - 0.2)) {
        EXPECT_TRUE(t.listed.count(k)) << at << "\n" << d.text;
      }
      if (t.at > finished + grace) {
        EXPECT_FALSE(t.listed.count(k)) << at << "\n" << d.text;
      }
    }
  }
  // Every count from 5 down to 0 was shown.
  std::set<int> counts;
  for (const auto& t : ps) counts.insert(t.alive);
  EXPECT_EQ(counts, (std::set<int>{0, 1, 2, 3, 4, 5})) << d.text;
  EXPECT_GE(took, 5.0 - printed) << d.text;
  EXPECT_LT(took, 7.5) << d.text;
  EXPECT_NE(d.lesson.find("shrinks"), std::string::npos) << d.lesson;
}

INSTANTIATE_TEST_SUITE_P(EveryModel, Monitor, testing::ValuesIn(demo_test::models),
                         [](const auto& info) { return info.param; });

}  // namespace
