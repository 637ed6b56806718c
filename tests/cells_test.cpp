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

// The one implementation whose workload's smallest cell is beyond its limit: spawn_many's
// processes-mpi row spawns an MPI process per task, and the smallest skynet has 111 of them.
// mpi_rows_test.cpp runs it at the scales it can reach.
bool beyond_at_smallest(const CellImpl& impl) {
  return impl.workload->name == "spawn_many" && impl.label() == "processes-mpi";
}

}  // namespace

TEST_P(EveryCell, SmallestScaleGivesTheVerifiedAnswer) {
  auto slash = GetParam().find('/');
  const CellImpl& impl = catalog().impl(GetParam().substr(0, slash), GetParam().substr(slash + 1));
  Cell cell{&impl, impl.workload->smallest};
  if (beyond_at_smallest(impl)) {
    EXPECT_TRUE(cell.beyond_limit()) << cell.name();
    return;
  }
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

// The profiles nest: every quick cell is one of full's, and every full cell one of
// exhaustive's, measured the same way. The one difference allowed is the measured window T of
// a server under load (http_server, echo): quick and full measure 200 ms of it, exhaustive
// 2 s. Every implementation (each model, variant, reference and Python row) runs at least
// one cell in full, so that its report sets every row side by side; every model and C++
// reference runs one in quick too.
namespace {

std::string without_window(const Cell& c) {
  std::vector<std::pair<std::string, std::string>> kept;
  for (const auto& kv : c.params.items())
    if (kv.first != "T") kept.push_back(kv);
  return Cell{c.impl, ParamValues(kept)}.name();
}

std::map<const CellImpl*, int> runnable_in(Profile p, const std::set<std::string>& larger,
                                           const char* larger_name) {
  std::map<const CellImpl*, int> runnable;
  for (const auto& c : catalog().select(p, {}, {})) {
    EXPECT_TRUE(larger.count(without_window(c)))
        << c.name() << " (" << profile_name(p) << ") is not in the " << larger_name << " profile";
    if (!c.beyond_limit()) ++runnable[c.impl];
  }
  return runnable;
}

std::set<std::string> names_in(Profile p) {
  std::set<std::string> names;
  for (const auto& c : catalog().select(p, {}, {})) names.insert(without_window(c));
  return names;
}

}  // namespace

TEST(Profiles, QuickIsInFullAndFullInExhaustive) {
  runnable_in(Profile::quick, names_in(Profile::full), "full");
  runnable_in(Profile::full, names_in(Profile::exhaustive), "exhaustive");
}

TEST(Profiles, FullRunsEveryImplementationAndQuickEveryModel) {
  const auto in_full = runnable_in(Profile::full, names_in(Profile::exhaustive), "exhaustive");
  const auto in_quick = runnable_in(Profile::quick, names_in(Profile::full), "full");
  int python_in_quick = 0;
  for (const auto& impl : catalog().impls()) {
    const std::string name = impl->workload->name + "/" + impl->label();
    if (!impl->bounds().twin.empty()) {
      // A Python row may be left out of the quick run (python::full_only): an interpreter's
      // start for every run makes even its cheapest scale cost seconds. It is in the full
      // run unless each of its runs at its workload's quick scales would take longer than
      // the full profile allows (multiprocessing's 100 forked interpreters in spawn_many).
      python_in_quick += in_quick.count(impl.get()) > 0;
      // Left to exhaustive on purpose: workloads/http_server/python/rows.cpp says why.
      if (name == "http_server/py-threading") continue;
      bool affordable = false;
      for (const auto& v : impl->workload->scales(Profile::quick)) {
        const Cell c{impl.get(), v};
        affordable |= (!impl->not_applicable || impl->not_applicable(v).empty()) &&
                      !c.beyond_limit() && c.estimate_seconds() <= full_profile_max_run_s;
      }
      if (!affordable) continue;
    } else if (name == "spawn_many/processes-mpi") {
      // An MPI process per task: every scale of every profile is beyond its limit, listed as
      // such (workloads/spawn_many/mpi/rows.cpp); mpi_rows_test.cpp runs it below.
      continue;
    } else {
      EXPECT_GT(in_quick.count(impl.get()), 0u) << name << " has no cell in the quick profile";
    }
    EXPECT_GT(in_full.count(impl.get()), 0u) << name << " has no cell in the full profile";
  }
  EXPECT_GT(python_in_quick, 0) << "no Python row in the quick profile";
}

// The full profile keeps to 20 minutes: no cell whose one run is expected to take longer
// than full_profile_max_run_s (those are exhaustive's), save the ones listed beyond a limit.
TEST(Profiles, FullLeavesTheLongestRunsToExhaustive) {
  for (const auto& c : catalog().select(Profile::full, {}, {}))
    EXPECT_TRUE(c.beyond_limit() || c.estimate_seconds() <= full_profile_max_run_s)
        << c.name() << ": " << c.estimate_seconds() << " s a run";
  const auto full = names_in(Profile::full);
  int left_out = 0;
  for (const auto& c : catalog().select(Profile::exhaustive, {}, {}))
    left_out += !full.count(without_window(c)) && !c.beyond_limit() &&
                c.estimate_seconds() > full_profile_max_run_s;
  EXPECT_GT(left_out, 0);
  EXPECT_EQ(parse_profile("exhaustive"), Profile::exhaustive);
  EXPECT_STREQ(profile_name(Profile::exhaustive), "exhaustive");
  EXPECT_THROW(parse_profile("medium"), BadInput);
}
