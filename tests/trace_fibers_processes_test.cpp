// The trace recorder (models/core/trace.hpp) as three runtimes feed it: the fibers model
// (greenlets on the hub, and on the work-stealing pool), the processes model (Process and
// Pool, each child on a lane of its own, merged after the join) and TBB's workers (the
// threads model's observer, models/threads/tbb_lanes.cpp). Each test records a tiny program
// and checks the raw events tell what ran where: every task created, resumed and finished;
// waits that overlap where the model is concurrent; two lanes busy at once where it is
// parallel (on a machine with two cores or more); and nothing at all when off.
#include <gtest/gtest.h>
#include <tbb/task_group.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "models/core/span.hpp"
#include "models/core/trace.hpp"
#include "models/fibers/fibers.hpp"
#include "models/processes/pool.hpp"
#include "models/processes/process.hpp"
#include "tests/fibers_sanitizers.hpp"

namespace cmbench {
namespace {

using namespace std::chrono_literals;
using trace::Cause;
using trace::Event;
using trace::Kind;
using trace::Lane;
using trace::Outcome;
using trace::Recording;
using trace::TaskId;
using trace::Wait;

bool two_cores() {
  return std::thread::hardware_concurrency() >= 2;
}

// Spins until this thread has used `d` of CPU time: real work, whatever else runs.
long burn(std::chrono::nanoseconds d) {
  auto cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  };
  const std::int64_t until = cpu() + d.count();
  volatile long x = 0;
  while (cpu() < until)
    for (int i = 0; i < 1000; ++i) x = x + i;
  return x;
}

// One event with the lane it was recorded on.
struct Found {
  const Lane* lane;
  Event e;
};

std::vector<Found> find(const Recording& rec, TaskId task, Kind kind) {
  std::vector<Found> out;
  for (const Lane& l : rec.lanes)
    for (const Event& e : l.events)
      if (e.task == task && e.kind == kind) out.push_back({&l, e});
  return out;
}

std::optional<Found> first(const Recording& rec, TaskId task, Kind kind) {
  auto all = find(rec, task, kind);
  if (all.empty()) return std::nullopt;
  return all.front();
}

const Lane* lane_named(const Recording& rec, const std::string& name) {
  for (const Lane& l : rec.lanes)
    if (l.name == name) return &l;
  return nullptr;
}

// When a lane's thread ran (was not blocked in the kernel): from its first event or an
// unblocked to the next blocked, and from the last unblocked to the end of the recording.
std::vector<Span> busy(const Lane& l, std::int64_t stop_ns) {
  std::vector<Span> out;
  std::int64_t from = l.events.empty() ? -1 : l.events.front().ts;  // -1: blocked
  for (const Event& e : l.events) {
    if (e.kind == Kind::blocked) {
      if (from >= 0) out.push_back({from, e.ts});
      from = -1;
    } else if (e.kind == Kind::unblocked) {
      from = e.ts;
    } else if (e.kind == Kind::finished && from >= 0) {
      out.push_back({from, e.ts});
      from = -1;
    }
  }
  if (from >= 0) out.push_back({from, stop_ns});
  return out;
}

// The longest time both lanes ran at once.
std::int64_t longest_overlap(const std::vector<Span>& a, const std::vector<Span>& b) {
  std::int64_t best = 0;
  for (const Span& x : a)
    for (const Span& y : b)
      best = std::max(best, std::min(x.end_ns, y.end_ns) - std::max(x.start_ns, y.start_ns));
  return best;
}

// Waits [start, end) all overlap: the latest start is before the earliest end.
bool all_overlap(const std::vector<Span>& waits) {
  std::int64_t latest_start = 0, earliest_end = INT64_MAX;
  for (const Span& w : waits) {
    latest_start = std::max(latest_start, w.start_ns);
    earliest_end = std::min(earliest_end, w.end_ns);
  }
  return !waits.empty() && latest_start < earliest_end;
}

class TraceFibers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (fibers::asan_checks_stack_frames()) GTEST_FAIL() << fibers::asan_stack_frames;
  }
};

TEST_F(TraceFibers, GreenletsWaitOnTimersAtOnceOnOneLane) {
  std::vector<TaskId> ids;
  trace::start();
  fibers::run([&] {
    std::vector<fibers::Greenlet<void>> tasks;
    int n = 0;
    for (auto d : {20ms, 30ms, 10ms}) {
      tasks.push_back(fibers::spawn([d] { fibers::sleep(d); }));
      tasks.back().set_name("sleep " + std::to_string(++n));
      ids.push_back(fibers::trace_id(&tasks.back().core()));
    }
    fibers::joinall(tasks);
  });
  const Recording rec = trace::stop();
  EXPECT_EQ(rec.dropped(), 0u);

  std::set<pid_t> lanes;
  std::vector<Span> waits;
  for (TaskId id : ids) {
    auto created = first(rec, id, Kind::created);
    auto named = first(rec, id, Kind::named);
    auto resumed = find(rec, id, Kind::resumed);
    auto suspended = first(rec, id, Kind::suspended);
    auto woken = first(rec, id, Kind::woken);
    auto finished = first(rec, id, Kind::finished);
    ASSERT_TRUE(created && named && suspended && woken && finished) << "task " << id;
    ASSERT_EQ(resumed.size(), 2u) << "started, then back from its sleep";
    EXPECT_NE(created->e.arg, 0u) << "created by the main greenlet";
    EXPECT_EQ(suspended->e.detail, static_cast<std::uint8_t>(Wait::timer));
    EXPECT_EQ(woken->e.detail, static_cast<std::uint8_t>(Cause::timer));
    EXPECT_EQ(woken->e.arg, 0u) << "a reactor timer woke it, not a greenlet";
    EXPECT_EQ(finished->e.detail, static_cast<std::uint8_t>(Outcome::ok));
    EXPECT_LT(suspended->e.ts, woken->e.ts);
    EXPECT_LE(woken->e.ts, resumed[1].e.ts);
    for (const auto& r : resumed) lanes.insert(r.lane->tid);
    lanes.insert(suspended->lane->tid);
    EXPECT_TRUE(suspended->lane->loop) << "the hub's thread is a loop's lane";
    waits.push_back({suspended->e.ts, woken->e.ts});
  }
  EXPECT_EQ(lanes.size(), 1u) << "every greenlet runs on the hub's one thread";
  EXPECT_TRUE(all_overlap(waits)) << "the three sleeps wait at once";
  // The joins: the main greenlet waits on its children.
  bool joined = false;
  for (const Lane& l : rec.lanes)
    for (const Event& e : l.events)
      joined |= e.kind == Kind::suspended && e.detail == static_cast<std::uint8_t>(Wait::join);
  EXPECT_TRUE(joined);
}

TEST_F(TraceFibers, KilledAndFailedGreenletsFinishSo) {
  TaskId killed = 0, failed = 0;
  trace::start();
  fibers::run([&] {
    auto k = fibers::spawn([] { fibers::sleep(10s); });
    auto f = fibers::spawn([] { throw std::runtime_error("boom"); });
    killed = fibers::trace_id(&k.core());
    failed = fibers::trace_id(&f.core());
    fibers::sleep(1ms);
    k.kill();
    f.join();
  });
  const Recording rec = trace::stop();
  auto k = first(rec, killed, Kind::finished);
  auto f = first(rec, failed, Kind::finished);
  ASSERT_TRUE(k && f);
  EXPECT_EQ(k->e.detail, static_cast<std::uint8_t>(Outcome::cancelled));
  EXPECT_EQ(f->e.detail, static_cast<std::uint8_t>(Outcome::exception));
  auto woken = first(rec, killed, Kind::woken);
  ASSERT_TRUE(woken);
  EXPECT_EQ(woken->e.detail, static_cast<std::uint8_t>(Cause::task)) << "kill() came from main";
}

TEST_F(TraceFibers, WorkStealingGreenletsRunOnBothLanesAtOnce) {
  fibers::run_work_stealing([] { return 0; });  // the pool's threads exist before the trace
  std::mutex m;
  std::set<std::thread::id> seen;
  std::vector<TaskId> ids(4);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  trace::start();
  fibers::run_work_stealing([&] {
    std::vector<fibers::Greenlet<long>> parts;
    for (int i = 0; i < 4; ++i) {
      parts.push_back(fibers::spawn([&] {
        {
          std::lock_guard lock(m);
          seen.insert(std::this_thread::get_id());
        }
        // Until both threads run one (so the second has stolen), then real work.
        for (;;) {
          {
            std::lock_guard lock(m);
            if (seen.size() >= fibers::work_stealing_threads) break;
          }
          if (std::chrono::steady_clock::now() > deadline) break;
          burn(50us);
        }
        return burn(30ms);
      }));
      ids[i] = fibers::trace_id(&parts.back().core());
    }
    long total = 0;
    for (auto& p : parts) total += p.get();
    return total;
  });
  const Recording rec = trace::stop();

  std::map<pid_t, std::vector<Span>> running;  // per lane, when a greenlet ran there
  for (TaskId id : ids) {
    ASSERT_TRUE(first(rec, id, Kind::created));
    auto resumed = first(rec, id, Kind::resumed);
    auto finished = first(rec, id, Kind::finished);
    ASSERT_TRUE(resumed && finished);
    EXPECT_EQ(resumed->lane->tid, finished->lane->tid) << "it never parked";
    EXPECT_EQ(resumed->lane->name.rfind("fiber worker ", 0), 0u) << resumed->lane->name;
    running[resumed->lane->tid].push_back({resumed->e.ts, finished->e.ts});
  }
  if (!two_cores()) GTEST_SKIP() << "one core: parallelism cannot show";
  ASSERT_EQ(running.size(), 2u) << "greenlets ran on both threads";
  EXPECT_GT(longest_overlap(running.begin()->second, std::next(running.begin())->second),
            10'000'000)
      << "greenlets ran on both lanes at once";
}

TEST(TraceProcesses, ChildrenSleepAtOnceOnLanesOfTheirOwn) {
  trace::start();
  std::vector<processes::Process<Span>> children;
  // 2-3-1 at 100 ms: forks on a loaded machine may be ms apart.
  for (auto d : {200ms, 300ms, 100ms})
    children.emplace_back([d] {
      Span s{monotonic_ns(), 0};
      std::this_thread::sleep_for(d);
      s.end_ns = monotonic_ns();
      return s;
    });
  std::vector<pid_t> pids;
  for (auto& c : children) {
    const Span s = c.join();
    EXPECT_GE(s.end_ns - s.start_ns, 100'000'000);
    pids.push_back(c.pid());
  }
  const Recording rec = trace::stop();
  EXPECT_EQ(rec.dropped(), 0u);

  std::vector<Span> sleeps;
  for (pid_t pid : pids) {
    const Lane* lane = nullptr;
    for (const Lane& l : rec.lanes)
      if (l.pid == pid) lane = &l;
    ASSERT_NE(lane, nullptr) << "child " << pid << "'s events were merged";
    EXPECT_EQ(lane->name, "process " + std::to_string(pid));
    // Its task: created in the parent, run and finished here.
    const Event& start = lane->events.front();
    ASSERT_EQ(start.kind, Kind::named);
    auto created = first(rec, start.task, Kind::created);
    ASSERT_TRUE(created);
    EXPECT_EQ(created->lane->pid, getpid());
    EXPECT_TRUE(first(rec, start.task, Kind::resumed));
    auto finished = first(rec, start.task, Kind::finished);
    ASSERT_TRUE(finished);
    EXPECT_EQ(finished->lane, lane);
    std::int64_t blocked = -1;  // since when it sleeps
    for (const Event& e : lane->events) {
      if (e.kind == Kind::blocked && e.detail == static_cast<std::uint8_t>(Wait::timer)) {
        blocked = e.ts;
      } else if (e.kind == Kind::unblocked && blocked >= 0) {
        sleeps.push_back({blocked, e.ts});
        blocked = -1;
      }
    }
  }
  ASSERT_EQ(sleeps.size(), 3u);
  EXPECT_TRUE(all_overlap(sleeps)) << "the three children sleep at once";
  // The parent forked and reaped each.
  for (pid_t pid : pids) {
    int forked = 0, reaped = 0;
    for (const Lane& l : rec.lanes)
      for (const Event& e : l.events) {
        if (l.pid != getpid() || e.arg != static_cast<std::uint64_t>(pid)) continue;
        forked += e.kind == Kind::forked;
        reaped += e.kind == Kind::reaped;
      }
    EXPECT_EQ(forked, 1) << pid;
    EXPECT_EQ(reaped, 1) << pid;
  }
}

TEST(TraceProcesses, AChildsErrorStillTravelsWhole) {
  trace::start();
  processes::Process<int> child([]() -> int { throw std::runtime_error("boom"); });
  try {
    child.join();
    ADD_FAILURE() << "no error";
  } catch (const processes::ChildError& e) {
    EXPECT_EQ(std::string(e.what()), "child " + std::to_string(child.pid()) + ": boom");
  }
  const Recording rec = trace::stop();
  bool failed = false;
  for (const Lane& l : rec.lanes)
    for (const Event& e : l.events)
      failed |= l.pid == child.pid() && e.kind == Kind::finished &&
                e.detail == static_cast<std::uint8_t>(Outcome::exception);
  EXPECT_TRUE(failed);
}

long cpu_chunk(int ms) {
  return burn(std::chrono::milliseconds(ms)) >= 0 ? ms : -1;
}

TEST(TraceProcesses, PoolWorkersAreBusyAtOnce) {
  trace::start();
  std::vector<long> results;
  {
    processes::Pool pool(2, cpu_chunk);
    const std::vector<int> chunks{40, 40, 40, 40};
    results = pool.map(chunks);
  }
  const Recording rec = trace::stop();
  EXPECT_EQ(results, (std::vector<long>{40, 40, 40, 40}));
  const Lane* one = lane_named(rec, "worker 1");
  const Lane* two = lane_named(rec, "worker 2");
  ASSERT_TRUE(one && two);
  EXPECT_NE(one->pid, two->pid);
  EXPECT_NE(one->pid, getpid());
  for (const Lane* l : {one, two}) {
    ASSERT_FALSE(l->events.empty());
    EXPECT_TRUE(first(rec, l->events.front().task, Kind::created)) << l->name;
    EXPECT_TRUE(first(rec, l->events.front().task, Kind::resumed)) << l->name;
    EXPECT_TRUE(first(rec, l->events.front().task, Kind::finished)) << l->name;
  }
  if (!two_cores()) GTEST_SKIP() << "one core: parallelism cannot show";
  EXPECT_GT(longest_overlap(busy(*one, rec.stop_ns), busy(*two, rec.stop_ns)), 20'000'000)
      << "both workers computed at once";
}

TEST(TraceThreads, TbbWorkersShowWhenTheyAreBusy) {
  struct Ran {
    pid_t tid;
    Span span;
  };
  std::mutex m;
  std::vector<Ran> ran;
  {
    tbb::task_group warm_up;  // the workers exist and have left the arena once
    for (int i = 0; i < 4; ++i) warm_up.run([] { burn(2ms); });
    warm_up.wait();
  }
  // A worker stays in the arena a while after the work runs out: one still there when the
  // trace starts has nothing to report until it leaves (see tbb_lanes.cpp).
  // On a busy machine TBB may run all four tasks on the main thread: up to three tries for
  // a run in which a worker took part (whether one did is read from the tasks, not the trace).
  Recording rec;
  std::set<pid_t> workers;
  for (int attempt = 0; attempt < 3 && workers.empty(); ++attempt) {
    ran.clear();
    std::this_thread::sleep_for(200ms);
    trace::start();
    {
      tbb::task_group tasks;
      for (int i = 0; i < 4; ++i)
        tasks.run([&] {
          const std::int64_t start = monotonic_ns();
          burn(40ms);
          std::lock_guard lock(m);
          ran.push_back({gettid(), {start, monotonic_ns()}});
        });
      tasks.wait();
    }
    rec = trace::stop();
    ASSERT_EQ(ran.size(), 4u);
    for (const Ran& r : ran)
      if (r.tid != gettid()) workers.insert(r.tid);
  }
  if (!two_cores()) GTEST_SKIP() << "one core: TBB has no worker to show";
  ASSERT_FALSE(workers.empty()) << "no task ran on a TBB worker";
  for (pid_t tid : workers) {
    const Lane* lane = nullptr;
    for (const Lane& l : rec.lanes)
      if (l.tid == tid) lane = &l;
    ASSERT_NE(lane, nullptr) << "the observer saw worker " << tid;
    EXPECT_EQ(lane->name.rfind("tbb worker ", 0), 0u) << lane->name;
    // Its lane is busy wherever a task ran on it (the observer sees the default arena).
    const auto b = busy(*lane, rec.stop_ns);
    for (const Ran& r : ran) {
      if (r.tid != tid) continue;
      EXPECT_GE(longest_overlap(b, {r.span}), r.span.end_ns - r.span.start_ns)
          << "a task ran on " << lane->name << " while its lane shows it idle";
    }
  }
  // Main and a worker computed at once.
  std::vector<Span> on_main, on_workers;
  for (const Ran& r : ran) (r.tid == gettid() ? on_main : on_workers).push_back(r.span);
  EXPECT_GT(longest_overlap(on_main, on_workers), 20'000'000);
}

TEST(TraceOff, NothingIsRecordedAndResultsAreTheSame) {
  ASSERT_FALSE(trace::on());
  // Programs run while no trace is recorded ...
  auto spans = fibers::run([] {
    auto g = fibers::spawn([] {
      fibers::sleep(1ms);
      return 7;
    });
    return g.get();
  });
  EXPECT_EQ(spans, 7);
  processes::Process<int> child([] { return 42; });
  EXPECT_EQ(child.join(), 42);
  {
    processes::Pool pool(2, cpu_chunk);
    const std::vector<int> chunks{1, 2, 3};
    EXPECT_EQ(pool.map(chunks), (std::vector<long>{1, 2, 3}));
  }
  {
    tbb::task_group tasks;
    tasks.run([] { burn(1ms); });
    tasks.wait();
  }
  // ... leave nothing in the next one.
  trace::start();
  const Recording rec = trace::stop();
  EXPECT_EQ(rec.events(), 0u);
  for (const Lane& l : rec.lanes) EXPECT_EQ(l.pid, getpid()) << "no child was imported";
}

}  // namespace
}  // namespace cmbench
