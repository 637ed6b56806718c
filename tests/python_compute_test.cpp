// The Python rows of cpu_bound and spawn_many beyond their smallest cells (which cells_test
// runs for every row): each row gives the verified answer at a second scale; under the GIL
// py-threading's chunks overlap in time while the interpreter never uses more than one core;
// and the frameworks' limits hold: a cell past what a row holds is listed as beyond it.
// Speed-ups are not asserted here (a loaded 2-core machine may serialise anything): they
// are measured in docs/python/cpu_bound.md.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "catalog.hpp"

using namespace cmbench;

namespace {

const std::vector<std::string> cpu_bound_rows = {
    "py-sequential", "py-threading", "py-threading-pool", "py-multiprocessing", "py-asyncio",
    "py-uvloop",     "py-twisted",   "py-tornado",        "py-gevent"};

const std::vector<std::string> spawn_many_rows = {
    "py-sequential", "py-asyncio",   "py-uvloop",         "py-twisted",        "py-tornado",
    "py-gevent",     "py-threading", "py-threading-pool", "py-multiprocessing"};

double metric(const Verdict& v, const std::string& name) {
  for (const auto& [n, value] : v.metrics)
    if (n == name) return value;
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

Verdict run_once(const std::string& workload, const std::string& row, const ParamValues& v) {
  return catalog().impl(workload, row).prepare(v)()();
}

}  // namespace

TEST(PythonCpuBound, EveryRowCountsTheSievesPrimesWithMoreChunksThanWorkers) {
  const ParamValues v({{"K", "5"}, {"width", "200"}});
  for (const auto& row : cpu_bound_rows) {
    Verdict verdict = run_once("cpu_bound", row, v);
    EXPECT_TRUE(verdict.ok) << row << ": " << verdict.why;
    EXPECT_EQ(verdict.tasks, 5u) << row;
  }
}

TEST(PythonCpuBound, SequentialNeverOverlapsTwoChunks) {
  Verdict v = run_once("cpu_bound", "py-sequential", ParamValues({{"K", "3"}, {"width", "300"}}));
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.peak_in_flight, 1u);
}

// Four chunks of ≈ 0.1 s: each thread is started while the ones before it compute (start()
// waits for the new thread, which needs the GIL, handed over every 5 ms), so the chunks
// overlap in time; but one thread at a time holds the GIL, and a thread waiting for it
// sleeps, so the process's CPU time never exceeds its wall time by more than the little
// work done outside the lock.
TEST(PythonCpuBound, ThreadsOverlapButTheGilKeepsThemOnOneCore) {
  Verdict v = run_once("cpu_bound", "py-threading", ParamValues({{"K", "4"}, {"width", "3000"}}));
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_GE(v.peak_in_flight, 2u) << "the threads' chunks never overlapped";
  EXPECT_LE(metric(v, "cpu_util"), 1.1) << "Python threads computed on more than one core";
}

TEST(PythonSpawnMany, EveryRowSumsASkynetOfAThousandLeaves) {
  const ParamValues v({{"shape", "skynet"}, {"N", "1000"}});
  for (const auto& row : spawn_many_rows) {
    Cell cell{&catalog().impl("spawn_many", row), v};
    if (cell.beyond_limit()) continue;  // multiprocessing: below
    Verdict verdict = run_once("spawn_many", row, v);
    EXPECT_TRUE(verdict.ok) << row << ": " << verdict.why;
    EXPECT_EQ(verdict.tasks, 1111u) << row;
    EXPECT_GT(metric(verdict, "ns_per_task"), 0) << row;
  }
}

TEST(PythonSpawnMany, TheFrameworksLimitsAreListedNotRun) {
  auto beyond = [](const std::string& row, const std::string& shape, const std::string& n) {
    return Cell{&catalog().impl("spawn_many", row), ParamValues({{"shape", shape}, {"N", n}})}
        .beyond_limit();
  };
  EXPECT_TRUE(beyond("py-multiprocessing", "skynet", "1000")) << "1 111 forked interpreters";
  EXPECT_FALSE(beyond("py-multiprocessing", "flat", "1000"));
  EXPECT_TRUE(beyond("py-threading", "skynet", "10000")) << "11 111 OS threads";
  EXPECT_TRUE(beyond("py-asyncio", "skynet", "1000000"));
  EXPECT_TRUE(beyond("py-gevent", "skynet", "1000000"));
  EXPECT_FALSE(beyond("py-asyncio", "flat", "1000000"));
  EXPECT_FALSE(beyond("py-sequential", "skynet", "1000000"));
}
