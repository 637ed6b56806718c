// spawn_many beyond its smallest cell (skynet with 100 leaves, which cells_test runs for
// every implementation): every implementation's flat shape gives the verified answer; the
// verifier rejects a missing task, a wrong result and a wrong skynet sum; a skynet N that is
// not a power of 10 is a BadInput; and the declared limits hold: a cell past what an
// implementation holds is listed as beyond it, while the TBB and eager rows, which do not
// hold a thread, a process or a stack per task, reach 10^6.
#include <gtest/gtest.h>

#include <string>

#include "catalog.hpp"
#include "models/sequential/info.hpp"
#include "workloads/spawn_many/spec.hpp"

using namespace cmbench;
using namespace cmbench::spawn_many;

namespace {

ParamValues values(const std::string& shape, const std::string& n) {
  return ParamValues({{"shape", shape}, {"N", n}});
}

Result flat_answer(std::int64_t n) {
  Result r;
  for (std::int64_t i = 0; i < n; ++i) r.values.push_back(i);
  r.elapsed_ns = 1'000 * n;
  return r;
}

}  // namespace

TEST(SpawnMany, EveryImplementationRunsTheFlatShape) {
  const ParamValues flat = values("flat", "100");
  int ran = 0;
  for (const auto& impl : catalog().impls()) {
    if (impl->workload->name != "spawn_many") continue;
    if (impl->not_applicable && !impl->not_applicable(flat).empty()) continue;
    Verdict v = impl->prepare(flat)()();
    EXPECT_TRUE(v.ok) << impl->label() << ": " << v.why;
    EXPECT_EQ(v.tasks, 100u) << impl->label();
    ++ran;
  }
  EXPECT_GE(ran, 12);
}

TEST(SpawnMany, CountsTasksAsTheTreesNodes) {
  EXPECT_EQ(tasks_created(make_params(values("flat", "1000"))), 1000u);
  EXPECT_EQ(tasks_created(make_params(values("skynet", "1"))), 1u);
  EXPECT_EQ(tasks_created(make_params(values("skynet", "100"))), 111u);
  EXPECT_EQ(tasks_created(make_params(values("skynet", "1000000"))), 1'111'111u);
  EXPECT_EQ(make_params(values("skynet", "1000000")).depth, 6);
}

TEST(SpawnMany, VerifierAcceptsTheAnswerAndReportsTheCostPerTask) {
  Params p = make_params(values("flat", "10"));
  Verdict v = verify(p, flat_answer(10), sequential::info);
  ASSERT_TRUE(v.ok) << v.why;
  ASSERT_EQ(v.metrics.size(), 1u);
  EXPECT_EQ(v.metrics[0].first, "ns_per_task");
  EXPECT_DOUBLE_EQ(v.metrics[0].second, 1'000.0);

  Params tree = make_params(values("skynet", "100"));
  Result r;
  r.sum = 4950;
  r.elapsed_ns = 111'000;
  v = verify(tree, r, sequential::info);
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_DOUBLE_EQ(v.metrics[0].second, 1'000.0);
}

TEST(SpawnMany, VerifierRejectsAMissingTaskAWrongResultAndAWrongSum) {
  Params p = make_params(values("flat", "10"));
  Result missing = flat_answer(10);
  missing.values.pop_back();
  EXPECT_FALSE(verify(p, missing, sequential::info).ok);

  Result twice = flat_answer(10);
  twice.values[7] = 6;  // task 6's result in task 7's slot
  Verdict v = verify(p, twice, sequential::info);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.why.find("task 7"), std::string::npos) << v.why;

  Params tree = make_params(values("skynet", "100"));
  Result r;
  r.sum = 4950 - 99;  // the last leaf never ran
  EXPECT_FALSE(verify(tree, r, sequential::info).ok);
}

TEST(SpawnMany, SkynetNeedsAPowerOfTen) {
  EXPECT_THROW(make_params(values("skynet", "1001")), BadInput);
  EXPECT_THROW(make_params(values("skynet", "20")), BadInput);
  EXPECT_NO_THROW(make_params(values("flat", "1001")));
  const CellImpl& impl = catalog().impl("spawn_many", "coroutines");
  EXPECT_THROW(impl.prepare(values("skynet", "500")), BadInput);
  EXPECT_THROW(catalog().parse_cell("spawn_many/threads/shape:tree"), BadInput);
}

TEST(SpawnMany, DeclaredLimitsHold) {
  auto beyond = [](const std::string& name) { return catalog().parse_cell(name).beyond_limit(); };
  // A thread or a process per task: to their limits, then listed as beyond them.
  EXPECT_FALSE(beyond("spawn_many/threads/shape:flat/N:10000"));
  EXPECT_TRUE(beyond("spawn_many/threads/shape:flat/N:100000"));
  EXPECT_TRUE(beyond("spawn_many/threads/shape:skynet/N:10000"));  // 11 111 threads
  EXPECT_FALSE(beyond("spawn_many/processes/shape:flat/N:1000"));
  EXPECT_TRUE(beyond("spawn_many/processes/shape:flat/N:10000"));
  EXPECT_TRUE(beyond("spawn_many/processes/shape:skynet/N:1000"));  // 1 111 processes
  // Greenlets all alive at once are bounded by memory; spawned eagerly they are not.
  EXPECT_TRUE(beyond("spawn_many/fibers/shape:skynet/N:1000000"));
  EXPECT_FALSE(beyond("spawn_many/fibers-eager/shape:skynet/N:1000000"));
  // TBB tasks are not threads: threads-tbb reaches skynet 10^6, as the TBB floor does.
  EXPECT_FALSE(beyond("spawn_many/threads-tbb/shape:skynet/N:1000000"));
  EXPECT_FALSE(beyond("spawn_many/threads-tbb/shape:flat/N:1000000"));
  EXPECT_FALSE(beyond("spawn_many/tbb/shape:skynet/N:1000000"));
  EXPECT_FALSE(beyond("spawn_many/coroutines/shape:skynet/N:1000000"));
  EXPECT_FALSE(beyond("spawn_many/sequential/shape:skynet/N:1000000"));  // one call at a time

  Cell past = catalog().parse_cell("spawn_many/threads/shape:flat/N:100000");
  EXPECT_NE(past.limit_note().find("beyond model limit: threads"), std::string::npos)
      << past.limit_note();
  // The full profile lists those cells rather than dropping them.
  int listed_beyond = 0;
  for (const auto& c : catalog().select(Profile::full, {"spawn_many"}, {"threads", "processes"}))
    if (c.beyond_limit()) ++listed_beyond;
  EXPECT_GT(listed_beyond, 0);
}

TEST(SpawnMany, TheTbbFloorHasNoFlatRow) {
  EXPECT_THROW(catalog().parse_cell("spawn_many/tbb/shape:flat/N:1000"), BadInput);
  for (const auto& c : catalog().select(Profile::full, {"spawn_many"}, {"tbb"}))
    EXPECT_EQ(c.params.text("shape"), "skynet") << c.name();
}
