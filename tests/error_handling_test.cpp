// error_handling beyond its smallest cell: the verifier rejects a missing error, errors out
// of order, a skipped clean-up and a wrong first failure; every model that can cancel stops
// its siblings long before they would have finished; the blocking threads say honestly
// that theirs ran to the end; and no run leaves a descriptor, a thread or a child behind.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "catalog.hpp"
#include "harness/holdings.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "workloads/error_handling/spec.hpp"

using namespace cmbench;
using namespace cmbench::error_handling;
using ::testing::HasSubstr;

using cmbench::entries;

namespace {

ParamValues values(const std::string& n, const std::string& f, const std::string& d,
                   const std::string& policy) {
  return ParamValues({{"N", n}, {"F", f}, {"d", d}, {"policy", policy}});
}

// What a correct run of 4 tasks, 2 failing (tasks 1 and 3; task 3 first), gives.
Result right_answer(const Params& p) {
  Result r;
  r.tasks.resize(p.waits.size());
  for (std::size_t i = 0; i < p.waits.size(); ++i) {
    TaskRecord& t = r.tasks[i];
    t.span = {1'000, 1'000 + p.waits[i].count() * 1'000};
    t.cleanups = 1;
    if (p.fails[i]) {
      t.ending = Ending::error;
      t.error = error_text(i);
      r.errors.push_back(t.error);
    } else {
      t.ending = Ending::value;
      t.value = value_of(i);
    }
  }
  return r;
}

double metric(const Verdict& v, const std::string& name) {
  for (const auto& [key, value] : v.metrics)
    if (key == name) return value;
  ADD_FAILURE() << "no metric " << name;
  return -1;
}

Verdict run_cell(const CellImpl& impl, const ParamValues& v) {
  return impl.prepare(v)()();
}

std::vector<const CellImpl*> impls() {
  std::vector<const CellImpl*> out;
  for (const auto& i : catalog().impls())
    if (i->workload->name == "error_handling") out.push_back(i.get());
  return out;
}

}  // namespace

TEST(ErrorHandlingParams, FailuresAreSpreadAndTheLastFailsFirst) {
  Params p = make_params(values("4", "2", "10ms", "collect"));
  EXPECT_EQ(p.fails, (std::vector<bool>{false, true, false, true}));
  EXPECT_EQ(p.waits[1], std::chrono::milliseconds(9));  // late
  EXPECT_EQ(p.waits[3], std::chrono::milliseconds(1));  // early
  EXPECT_EQ(p.waits[0], std::chrono::milliseconds(10));
  EXPECT_THROW(make_params(values("2", "3", "10ms", "collect")), BadInput);
}

TEST(ErrorHandlingVerifier, AcceptsTheRightAnswer) {
  Params p = make_params(values("4", "2", "10ms", "collect"));
  Verdict v = verify(p, right_answer(p), threads::info);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(metric(v, "ran_to_end"), 2);
}

TEST(ErrorHandlingVerifier, RejectsAMissingError) {
  Params p = make_params(values("4", "2", "10ms", "collect"));
  Result r = right_answer(p);
  r.errors.pop_back();
  Verdict v = verify(p, r, threads::info);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("reported 1 errors"));
  r = right_answer(p);
  r.tasks[3] = {Ending::value, value_of(3), "", r.tasks[3].span, 1};  // an error turned value
  EXPECT_THAT(verify(p, r, threads::info).why, HasSubstr("task 3 should have given its error"));
}

TEST(ErrorHandlingVerifier, RejectsErrorsOutOfCallOrder) {
  Params p = make_params(values("4", "2", "10ms", "collect"));
  Result r = right_answer(p);
  std::swap(r.errors[0], r.errors[1]);  // the order they happened in, not call order
  Verdict v = verify(p, r, threads::info);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("out of call order"));
}

TEST(ErrorHandlingVerifier, RejectsASkippedOrRepeatedCleanUp) {
  Params p = make_params(values("4", "2", "10ms", "collect"));
  Result r = right_answer(p);
  r.tasks[2].cleanups = 0;
  EXPECT_THAT(verify(p, r, threads::info).why, HasSubstr("task 2's clean-up ran 0 times"));
  r.tasks[2].cleanups = 2;
  EXPECT_THAT(verify(p, r, threads::info).why, HasSubstr("task 2's clean-up ran 2 times"));
}

TEST(ErrorHandlingVerifier, CancelOnFirstWantsTheFirstFailureInTime) {
  Params p = make_params(values("4", "2", "10ms", "cancel_on_first"));
  Result r = right_answer(p);  // task 3 failed at 1 ms; task 1 was cancelled at 2 ms
  r.tasks[1] = {Ending::cancelled, 0, "", {1'000, 2'000'000}, 1};
  r.errors = {error_text(3)};
  Verdict v = verify(p, r, threads::info);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(metric(v, "ran_to_end"), 2);  // tasks 0 and 2
  r.errors = {error_text(1)};
  EXPECT_THAT(verify(p, r, threads::info).why, HasSubstr("not the first failure"));
  r.errors = {};
  EXPECT_THAT(verify(p, r, threads::info).why, HasSubstr("raised no error"));
  r.errors = {error_text(3)};
  r.tasks[0] = {Ending::cancelled, 0, "", {1'000, 500'000}, 1};  // before any failure
  EXPECT_THAT(verify(p, r, threads::info).why, HasSubstr("cancelled before any task had failed"));
}

TEST(ErrorHandlingVerifier, OnlyASequentialLoopMayLeaveTasksUnstarted) {
  Params p = make_params(values("4", "2", "10ms", "cancel_on_first"));
  Result r = right_answer(p);
  r.tasks[1] = {};
  r.errors = {error_text(3)};
  EXPECT_TRUE(verify(p, r, sequential::info).ok);
  EXPECT_THAT(verify(p, r, threads::info).why, HasSubstr("task 1 never started"));
  r.tasks[1].cleanups = 1;
  EXPECT_THAT(verify(p, r, sequential::info).why, HasSubstr("never started, yet cleaned up"));
}

// Siblings that would wait 2 s stop within a fraction of it once task 2 fails at 0.2 s.
TEST(ErrorHandlingCells, CancelOnFirstStopsTheSiblingsEarly) {
  for (const CellImpl* impl : impls()) {
    if (!impl->model->concurrent || impl->variant == "blocking") continue;
    SCOPED_TRACE(impl->label());
    const auto start = std::chrono::steady_clock::now();
    Verdict v = run_cell(*impl, values("4", "1", "2s", "cancel_on_first"));
    ASSERT_TRUE(v.ok) << v.why;
    EXPECT_EQ(metric(v, "ran_to_end"), 0);
    EXPECT_LT(metric(v, "stop_us"), 500'000);
    // A Python row's set-up starts interpreters (Twisted's imports alone take ≈ 0.5 s, more
    // on a loaded machine): its stop is judged by stop_us, measured inside the run.
    if (impl->bounds().twin.empty()) {
      EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
    }
  }
}

// A thread blocked in sleep() cannot be stopped: the run says so rather than hide it.
TEST(ErrorHandlingCells, BlockedThreadsRunToTheEndAndSaySo) {
  const CellImpl& impl = catalog().impl("error_handling", "threads-blocking");
  Verdict v = run_cell(impl, values("4", "1", "200ms", "cancel_on_first"));
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_EQ(metric(v, "ran_to_end"), 3);
  EXPECT_GT(metric(v, "stop_us"), 100'000);  // 0.2 s waits, the failure at 0.02 s
}

TEST(ErrorHandlingCells, NothingIsLeftBehind) {
  for (const CellImpl* impl : impls()) {
    SCOPED_TRACE(impl->label());
    for (const char* policy : {"collect", "cancel_on_first"}) {
      const ParamValues v = values("8", "2", "20ms", policy);
      const Verdict first = run_cell(*impl, v);  // it starts what stays (a loop, a pool)
      ASSERT_TRUE(first.ok) << policy << ": " << first.why;
      const std::size_t fds = entries("/proc/self/fd"), threads = entries("/proc/self/task");
      Verdict verdict = run_cell(*impl, v);
      ASSERT_TRUE(verdict.ok) << verdict.why;
      EXPECT_EQ(entries("/proc/self/fd"), fds) << policy;
      EXPECT_EQ(entries("/proc/self/task"), threads) << policy;
      EXPECT_EQ(Holdings::now().children.size(), 0u) << policy;
    }
  }
}
