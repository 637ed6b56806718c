// The Python rows of ping_pong and error_handling beyond what cells_test runs (the smallest
// scale: ping_pong in `same`, error_handling collecting): each row with its ends on two
// CPUs, each row cancelling on the first failure, and the CPUs a row reports held to the
// CPUs it was given. Every run starts a fresh interpreter: a second or less each.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "catalog.hpp"
#include "workloads/error_handling/spec.hpp"
#include "workloads/ping_pong/spec.hpp"
#include "workloads/python/rows.hpp"

using namespace cmbench;

namespace {

// One run of a cell named as the suite names it, checked by its verifier.
Verdict run_once(const std::string& name) {
  const Cell cell = catalog().parse_cell(name);
  return cell.impl->prepare(cell.params)()();
}

double metric(const Verdict& v, const std::string& name) {
  for (const auto& [key, value] : v.metrics)
    if (key == name) return value;
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

bool two_cpus() {
  return ping_pong::allowed_cpus().size() >= 2;
}

// ---- ping_pong ------------------------------------------------------------------------------

class PingPongRow : public ::testing::TestWithParam<std::string> {};

TEST_P(PingPongRow, SplitRunsTheEndsOnTwoCpusAndIsVerified) {
  if (!two_cpus()) GTEST_SKIP() << "place=split needs two CPUs";
  const Verdict v = run_once("ping_pong/py-" + GetParam() + "/R:50/place:split");
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_EQ(metric(v, "cpus"), 2.0);
  EXPECT_GT(metric(v, "ns_per_handoff"), 0.0);
}

INSTANTIATE_TEST_SUITE_P(PythonExchange, PingPongRow,
                         ::testing::Values("asyncio", "uvloop", "tornado", "gevent", "threading",
                                           "multiprocessing"),
                         test_name);

TEST(PythonExchange, PingPongSameIsVerifiedOnOneCpu) {
  for (const char* row : {"asyncio", "threading"}) {
    const Verdict v = run_once(std::string("ping_pong/py-") + row + "/R:50/place:same");
    ASSERT_TRUE(v.ok) << row << ": " << v.why;
    EXPECT_EQ(metric(v, "cpus"), 1.0) << row;
  }
}

TEST(PythonExchange, TwistedHasNoSplitAndSaysWhy) {
  const CellImpl& twisted = catalog().impl("ping_pong", "py-twisted");
  const std::string why = twisted.not_applicable(ParamValues({{"R", "50"}, {"place", "split"}}));
  EXPECT_NE(why.find("one reactor per process"), std::string::npos) << why;
  EXPECT_EQ(twisted.not_applicable(ParamValues({{"R", "50"}, {"place", "same"}})), "");
}

// The CPUs a row hands back are the ones its ends ran on, and the verifier holds them to the
// CPUs the ends were given: the row's own output, with one CPU changed, fails.
TEST(PythonExchange, APingPongRowsCpusAreCheckedAgainstThePinning) {
  if (!two_cpus()) GTEST_SKIP() << "place=split needs two CPUs";
  // The ends given the CPUs the other way round from make_params: B on the first.
  ping_pong::Params p = ping_pong::make_params(ParamValues({{"R", "20"}, {"place", "split"}}));
  std::swap(p.cpu_a, p.cpu_b);
  const std::string args = python::Args()
                               .integer("rounds", p.rounds)
                               .integer("split", 1)
                               .integer("cpu_a", p.cpu_a)
                               .integer("cpu_b", p.cpu_b)
                               .json();
  python::Interpreter row("ping_pong/python/threading.py", args);
  row.run();
  const python::Output out = row.output();
  ASSERT_EQ(out.lines.size(), 1u);
  ping_pong::Result r;
  r.token = out.integer(0, 0);
  r.handoffs = out.integer(0, 1);
  r.elapsed_ns = out.integer(0, 2);
  r.cpu_a = static_cast<int>(out.integer(0, 3));
  r.cpu_b = static_cast<int>(out.integer(0, 4));
  EXPECT_EQ(r.cpu_a, p.cpu_a);
  EXPECT_EQ(r.cpu_b, p.cpu_b);
  const ModelInfo& m = python::threading;
  ASSERT_TRUE(ping_pong::verify(p, r, m).ok) << ping_pong::verify(p, r, m).why;

  ping_pong::Result moved = r;
  moved.cpu_b = r.cpu_a;  // as if B had run beside A
  const Verdict v = ping_pong::verify(p, moved, m);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.why.find("pinned"), std::string::npos) << v.why;
}

// ---- error_handling -------------------------------------------------------------------------

class ErrorHandlingRow : public ::testing::TestWithParam<std::string> {};

// Six tasks of 200 ms; task 4 fails at 20 ms, task 1 would at 180 ms. Every row must raise
// task 4's error and stop the rest; those whose tasks all start at once (every row but
// multiprocessing, which forks one child after another, ≈ 25 ms each) stop them all, long
// before their 200 ms are up.
TEST_P(ErrorHandlingRow, CancelOnFirstStopsTheSiblingsAndIsVerified) {
  const Verdict v =
      run_once("error_handling/py-" + GetParam() + "/N:6/F:2/d:200ms/policy:cancel_on_first");
  ASSERT_TRUE(v.ok) << v.why;
  if (GetParam() != "multiprocessing") {
    EXPECT_EQ(metric(v, "ran_to_end"), 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(PythonExchange, ErrorHandlingRow,
                         ::testing::Values("asyncio", "uvloop", "twisted", "tornado", "gevent",
                                           "threading", "threading-pool", "multiprocessing"),
                         test_name);

}  // namespace
