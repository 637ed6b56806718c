// Every registered cell, at its workload's smallest scale, returns the verified answer:
// one test per (workload, model), named after the cell.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog.hpp"

using namespace cmbench;

namespace {

// Parameterised by "<workload>/<model>", so that test names read as cell names. Leftover
// children are caught after every test by no_leftover_children_test.cpp.
class EveryCell : public ::testing::TestWithParam<std::string> {};

std::vector<std::string> all_impls() {
  std::vector<std::string> out;
  for (const auto& i : catalog().impls()) out.push_back(i->workload->name + "/" + i->label());
  return out;
}

}  // namespace

TEST_P(EveryCell, SmallestScaleGivesTheVerifiedAnswer) {
  auto slash = GetParam().find('/');
  const CellImpl& impl = catalog().impl(GetParam().substr(0, slash), GetParam().substr(slash + 1));
  Cell cell{&impl, impl.workload->smallest};
  ASSERT_FALSE(cell.beyond_limit()) << cell.name();
  cmbench::Run run = impl.prepare(cell.params);
  for (int i = 0; i < 2; ++i) {  // twice: a cell must be repeatable in one process
    Verdict v = run()();
    EXPECT_TRUE(v.ok) << cell.name() << ": " << v.why;
    EXPECT_GT(v.tasks, 0u) << cell.name();
    EXPECT_GE(v.peak_in_flight, 1u) << cell.name();
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, EveryCell, ::testing::ValuesIn(all_impls()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           auto name = info.param;  // a test name: letters, digits, _
                           for (char& c : name)
                             if (c == '/' || c == '-') c = '_';
                           return name;
                         });

TEST(ModelLimits, CellsBeyondTheLimitAreListedNotDropped) {
  auto cells = catalog().select(Profile::full, {"sleep_fanout"}, {});
  int beyond = 0;
  for (const auto& c : cells) {
    auto needs = c.workload().tasks(c.params);
    EXPECT_EQ(c.beyond_limit(), needs > c.impl->bounds().max_tasks) << c.name();
    if (!c.beyond_limit()) continue;
    ++beyond;
    EXPECT_NE(c.limit_note().find("beyond model limit"), std::string::npos) << c.name();
  }
  EXPECT_GT(beyond, 0);
  auto processes = catalog().parse_cell("sleep_fanout/processes/N:10000");
  EXPECT_TRUE(processes.beyond_limit());
}

TEST(Catalog, ParsesCellNamesAndFillsDefaults) {
  Cell c = catalog().parse_cell("sleep_fanout/threads/N:7");
  EXPECT_EQ(c.name(), "sleep_fanout/threads/N:7/d:10ms/w:1");
  EXPECT_THROW(catalog().parse_cell("sleep_fanout/nosuch"), BadInput);
  EXPECT_THROW(catalog().parse_cell("nosuch/threads"), BadInput);
  EXPECT_THROW(catalog().parse_cell("sleep_fanout/threads/N:x"), BadInput);
  EXPECT_THROW(catalog().parse_cell("sleep_fanout"), BadInput);
}

// The quick profile is a subset of the full one: every implementation (each model, variant and
// reference row) runs at least one cell in it, so that the report shows every row side by
// side, and every quick cell is one of full's, measured the same way. The one difference
// allowed is the measured window T of a server under load (http_server, echo): quick measures
// 200 ms of it, full 2 s.
TEST(Profiles, QuickRunsEveryImplementationAndIsASubsetOfFull) {
  auto without_window = [](const Cell& c) {
    std::vector<std::pair<std::string, std::string>> kept;
    for (const auto& kv : c.params.items())
      if (kv.first != "T") kept.push_back(kv);
    return Cell{c.impl, ParamValues(kept)}.name();
  };
  std::set<std::string> full;
  for (const auto& c : catalog().select(Profile::full, {}, {})) full.insert(without_window(c));
  std::map<const CellImpl*, int> runnable;
  for (const auto& c : catalog().select(Profile::quick, {}, {})) {
    EXPECT_TRUE(full.count(without_window(c))) << c.name() << " is not in the full profile";
    if (!c.beyond_limit()) ++runnable[c.impl];
  }
  // Every model and C++ reference is in the quick run. A Python row may be left to the full
  // profile (python::full_only): an interpreter's start for every run makes even its cheapest
  // scale cost seconds, and the quick run keeps a cheap few of them, not every framework.
  int python_in_quick = 0;
  for (const auto& impl : catalog().impls()) {
    if (!impl->bounds().twin.empty()) {
      python_in_quick += runnable[impl.get()] > 0;
      continue;
    }
    EXPECT_GT(runnable[impl.get()], 0)
        << impl->workload->name << "/" << impl->label() << " has no cell in the quick profile";
  }
  EXPECT_GT(python_in_quick, 0) << "no Python row in the quick profile";
}
