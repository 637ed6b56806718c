// Every registered cell, at its workload's smallest scale, returns the verified answer:
// one test per (workload, model), named after the cell. No child process is left behind.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "catalog.hpp"

using namespace cmbench;

namespace {

class EveryCell : public ::testing::TestWithParam<const CellImpl*> {
 protected:
  void TearDown() override {
    int status = 0;
    errno = 0;
    EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1) << "a child process was left behind";
    EXPECT_EQ(errno, ECHILD);
  }
};

std::vector<const CellImpl*> all_impls() {
  std::vector<const CellImpl*> out;
  for (const auto& i : catalog().impls()) out.push_back(i.get());
  return out;
}

}  // namespace

TEST_P(EveryCell, SmallestScaleGivesTheVerifiedAnswer) {
  const CellImpl& impl = *GetParam();
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
                         [](const ::testing::TestParamInfo<const CellImpl*>& info) {
                           return info.param->workload->name + "_" +
                                  std::string(info.param->model->name);
                         });

TEST(ModelLimits, CellsBeyondTheLimitAreListedNotDropped) {
  auto cells = catalog().select(Profile::full, {"sleep_fanout"}, {"processes", "threads"});
  int beyond = 0;
  for (const auto& c : cells) {
    if (!c.beyond_limit()) continue;
    ++beyond;
    EXPECT_EQ(c.model().name, "processes") << c.name();
    EXPECT_EQ(c.params.integer("N"), 10000) << c.name();
    EXPECT_NE(c.limit_note().find("beyond model limit"), std::string::npos);
  }
  EXPECT_EQ(beyond, 2);  // N=10000 at d=1ms and d=10ms
}

TEST(Catalog, ParsesCellNamesAndFillsDefaults) {
  Cell c = catalog().parse_cell("sleep_fanout/threads/N:7");
  EXPECT_EQ(c.name(), "sleep_fanout/threads/N:7/d:10ms/w:1");
  EXPECT_THROW(catalog().parse_cell("sleep_fanout/nosuch"), BadInput);
  EXPECT_THROW(catalog().parse_cell("nosuch/threads"), BadInput);
  EXPECT_THROW(catalog().parse_cell("sleep_fanout/threads/N:x"), BadInput);
  EXPECT_THROW(catalog().parse_cell("sleep_fanout"), BadInput);
}
