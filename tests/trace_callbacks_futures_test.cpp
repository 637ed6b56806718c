// Timelines of the callbacks and futures models, read from the recorder's raw events (not
// the JSON): a Deferred chain, and a future's callback chain, are tasks that are created
// once, run before they wait, wait on what they wait on (timers overlapping, the pool),
// are woken and finish; all of it on the loop's lane, but the pool's jobs. And nothing is
// recorded while the recorder is off.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "models/core/trace.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"

namespace cmbench {
namespace {

using namespace std::chrono_literals;
using trace::Kind;
using trace::Wait;

bool task_kind(Kind k) {
  return k == Kind::created || k == Kind::named || k == Kind::resumed || k == Kind::suspended ||
         k == Kind::woken || k == Kind::finished;
}

// One task's life, as the events tell it.
struct Life {
  int created = 0, finished = 0, resumed = 0;
  std::uint64_t parent = 0;
  bool suspended_before_resumed = false;
  std::vector<std::pair<Wait, std::int64_t>> waits;  // each wait and when it began
  std::vector<std::int64_t> woken;
  std::set<pid_t> lanes;  // where its task events were recorded
  int jobs = 0;           // pool jobs done for it (offload_begin)
  std::set<pid_t> job_lanes;
};

struct Summary {
  std::map<std::uint64_t, Life> tasks;
  std::set<pid_t> task_lanes;
  // Whether each lane alternates properly: at most one task running at a time, a task
  // suspended or finished only while it runs.
  bool lanes_consistent = true;
};

Summary summarize(const trace::Recording& rec) {
  Summary s;
  for (const auto& lane : rec.lanes) {
    std::uint64_t running = 0;
    for (const auto& e : lane.events) {
      if (e.kind == Kind::offload_begin) {
        s.tasks[e.task].jobs++;
        s.tasks[e.task].job_lanes.insert(lane.tid);
      }
      if (!task_kind(e.kind)) continue;
      Life& t = s.tasks[e.task];
      t.lanes.insert(lane.tid);
      s.task_lanes.insert(lane.tid);
      switch (e.kind) {
        case Kind::created:
          ++t.created;
          t.parent = e.arg;
          break;
        case Kind::resumed:
          if (running != 0) s.lanes_consistent = false;
          running = e.task;
          ++t.resumed;
          break;
        case Kind::suspended:
          if (running != e.task) s.lanes_consistent = false;
          running = 0;
          if (t.resumed == 0) t.suspended_before_resumed = true;
          t.waits.push_back({static_cast<Wait>(e.detail), e.ts});
          break;
        case Kind::finished:
          if (running == e.task) running = 0;
          ++t.finished;
          break;
        case Kind::woken:
          t.woken.push_back(e.ts);
          break;
        default:
          break;
      }
    }
  }
  return s;
}

// The tasks that waited on `w`, with [wait began, woken] for their first such wait.
std::vector<std::pair<std::int64_t, std::int64_t>> waits_on(const Summary& s, Wait w) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& [id, t] : s.tasks) {
    for (const auto& [wait, began] : t.waits) {
      if (wait != w) continue;
      auto woke =
          std::find_if(t.woken.begin(), t.woken.end(), [&](auto ts) { return ts >= began; });
      out.push_back({began, woke == t.woken.end() ? -1 : *woke});
      break;
    }
  }
  return out;
}

// What every recorded program must show: each task created once, run before it waits, and
// finished; one lane at a time; every task event on one lane (the loop's).
void expect_well_formed(const Summary& s) {
  EXPECT_TRUE(s.lanes_consistent);
  EXPECT_EQ(s.task_lanes.size(), 1u) << "task events on more than the loop's lane";
  for (const auto& [id, t] : s.tasks) {
    if (t.created == 0 && t.jobs > 0) continue;  // not possible here, but a pool-only id
    EXPECT_EQ(t.created, 1) << "task " << id;
    EXPECT_EQ(t.finished, 1) << "task " << id;
    EXPECT_GE(t.resumed, 1) << "task " << id;
    EXPECT_FALSE(t.suspended_before_resumed) << "task " << id;
  }
}

// Three timer waits of 20, 30 and 10 ms, gathered: the three waits overlap in time.
void expect_three_overlapping_timers(const Summary& s) {
  auto timers = waits_on(s, Wait::timer);
  ASSERT_EQ(timers.size(), 3u);
  std::int64_t last_begin = 0, first_end = INT64_MAX;
  for (auto [b, e] : timers) {
    ASSERT_GT(e, b) << "a timer wait never woken";
    last_begin = std::max(last_begin, b);
    first_end = std::min(first_end, e);
  }
  EXPECT_LT(last_begin, first_end) << "the three timer waits do not overlap";
  EXPECT_GE(first_end - last_begin, 5'000'000) << "they overlap for less than 5 ms";
}

TEST(TraceCallbacks, ThreeDeferLatersGatheredWaitAtOnce) {
  trace::start(1 << 16);
  auto spans = callbacks::react([](callbacks::Reactor& reactor) {
    std::vector<callbacks::Deferred<int>> tasks;
    for (int ms : {20, 30, 10})
      tasks.push_back(
          callbacks::defer_later(reactor, std::chrono::milliseconds(ms), [ms] { return ms; }));
    return callbacks::gather_results(std::move(tasks));
  });
  auto rec = trace::stop();
  EXPECT_EQ(spans, (std::vector<int>{20, 30, 10}));
  EXPECT_EQ(rec.dropped(), 0u);
  Summary s = summarize(rec);
  expect_well_formed(s);
  expect_three_overlapping_timers(s);
  // main, the three chains and the gathering: the gathering waits on a join, made by main
  // as the three chains are.
  EXPECT_EQ(s.tasks.size(), 5u);
  std::uint64_t main = 0;
  for (const auto& [id, t] : s.tasks)
    if (t.parent == 0) main = id;
  ASSERT_NE(main, 0u);
  int children = 0;
  for (const auto& [id, t] : s.tasks) children += t.parent == main;
  EXPECT_EQ(children, 4);
  EXPECT_EQ(waits_on(s, Wait::join).size(), 2u);  // main on the gathering, the gathering
}

// The offload pool's threads start on first use: start them before recording, or they are
// tasks of their own (trace_blocking.cpp) that end only with the process.
void warm_the_pool() {
  callbacks::react([](callbacks::Reactor& reactor) { return reactor.defer_to_thread([] {}); });
}

TEST(TraceCallbacks, DeferToThreadWaitsOnThePool) {
  warm_the_pool();
  trace::start(1 << 16);
  int got = callbacks::react(
      [](callbacks::Reactor& reactor) { return reactor.defer_to_thread([] { return 42; }); });
  auto rec = trace::stop();
  EXPECT_EQ(got, 42);
  Summary s = summarize(rec);
  expect_well_formed(s);
  auto pool = waits_on(s, Wait::pool);
  ASSERT_EQ(pool.size(), 1u);
  EXPECT_GT(pool[0].second, pool[0].first);
  // The job ran for that very task, on a lane of its own.
  int jobs = 0;
  for (const auto& [id, t] : s.tasks) {
    if (t.jobs == 0) continue;
    jobs += t.jobs;
    ASSERT_FALSE(t.waits.empty());
    EXPECT_EQ(t.waits[0].first, Wait::pool);  // then, maybe, ready while main finishes
    for (pid_t lane : t.job_lanes) EXPECT_EQ(s.task_lanes.count(lane), 0u);
  }
  EXPECT_EQ(jobs, 1);
}

TEST(TraceFutures, ThreeSleepsInMultiWaitAtOnce) {
  trace::start(1 << 16);
  futures::IOLoop loop;
  auto spans = loop.run_sync([] {
    std::vector<futures::Future<int>> tasks;
    for (int ms : {20, 30, 10})
      tasks.push_back(futures::sleep(std::chrono::milliseconds(ms)).then([ms] { return ms; }));
    return futures::multi(std::move(tasks));
  });
  auto rec = trace::stop();
  EXPECT_EQ(spans, (std::vector<int>{20, 30, 10}));
  Summary s = summarize(rec);
  expect_well_formed(s);
  expect_three_overlapping_timers(s);
  EXPECT_EQ(s.tasks.size(), 5u);  // main, three `then`s, multi
}

TEST(TraceFutures, RunInExecutorWaitsOnThePool) {
  warm_the_pool();
  trace::start(1 << 16);
  futures::IOLoop loop;
  int got = loop.run_sync([&loop] { return loop.run_in_executor([] { return 7; }); });
  auto rec = trace::stop();
  EXPECT_EQ(got, 7);
  Summary s = summarize(rec);
  expect_well_formed(s);
  ASSERT_EQ(waits_on(s, Wait::pool).size(), 1u);
  int jobs = 0;
  for (const auto& [id, t] : s.tasks) jobs += t.jobs;
  EXPECT_EQ(jobs, 1);
}

TEST(TraceCallbacksFutures, NothingRecordedWhileOff) {
  ASSERT_FALSE(trace::on());
  // Both programs run with the recorder off...
  callbacks::react([](callbacks::Reactor& reactor) {
    std::vector<callbacks::Deferred<int>> tasks;
    for (int ms : {2, 3, 1})
      tasks.push_back(
          callbacks::defer_later(reactor, std::chrono::milliseconds(ms), [ms] { return ms; }));
    return callbacks::gather_results(std::move(tasks));
  });
  {
    futures::IOLoop loop;
    loop.run_sync([] { return futures::sleep(1ms).then([] { return 1; }); });
  }
  EXPECT_EQ(trace::current(), 0u);
  // ...and what they made while off records nothing when fired while on.
  callbacks::Deferred<int> d;
  futures::Future<int> f;
  auto g = f.then([](int v) { return v + 1; });
  trace::start(1 << 16);
  d.callback(1);
  f.set_result(1);
  auto rec = trace::stop();
  EXPECT_EQ(g.result(), 2);
  std::uint64_t task_events = 0;
  for (const auto& lane : rec.lanes)
    for (const auto& e : lane.events) task_events += task_kind(e.kind);
  EXPECT_EQ(task_events, 0u);
}

}  // namespace
}  // namespace cmbench
