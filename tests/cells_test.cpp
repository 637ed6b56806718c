// Every registered cell, at its workload's smallest scale, returns the verified answer:
// one test per (workload, model), named after the cell.
#include <gtest/gtest.h>

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
    EXPECT_EQ(c.beyond_limit(), needs > c.model().max_tasks) << c.name();
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
