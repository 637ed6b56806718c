// Timelines: the recorder's guarantees, the JSON's structure for every model, and what each
// model's trace of sleep_fanout 2-3-1 and cpu_bound K=4 must show about the model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog.hpp"
#include "harness/trace_run.hpp"
#include "models/core/trace.hpp"

namespace cmbench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Interval {
  double begin, end;
};

// The largest number of intervals that hold a common instant (touching ends do not count).
int peak(std::vector<Interval> v) {
  std::vector<std::pair<double, int>> edges;
  for (const auto& i : v) {
    if (i.end <= i.begin) continue;
    edges.push_back({i.begin, +1});
    edges.push_back({i.end, -1});
  }
  std::sort(edges.begin(), edges.end());  // at equal times, -1 comes first
  int now = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, now += d);
  return most;
}

// A trace read back: lanes, tasks and their states.
struct Trace {
  json doc;
  std::map<std::pair<long, long>, std::string> lane_names;
  std::map<std::pair<long, long>, std::vector<Interval>> busy;  // top-level X per lane
  struct State {
    std::string name;
    double begin, end;
    std::pair<long, long> lane;
  };
  std::map<long, std::string> task_names;
  std::map<long, std::vector<State>> states;  // per task
  std::vector<Interval> jobs;                 // pool jobs
  std::set<std::pair<long, long>> job_lanes;

  std::vector<Interval> states_named(const std::string& name) const {
    std::vector<Interval> v;
    for (const auto& [id, list] : states)
      for (const auto& s : list)
        if (s.name == name) v.push_back({s.begin, s.end});
    return v;
  }
  std::set<std::pair<long, long>> running_lanes() const {
    std::set<std::pair<long, long>> lanes;
    for (const auto& [id, list] : states)
      for (const auto& s : list)
        if (s.name == "running") lanes.insert(s.lane);
    return lanes;
  }
  int peak_busy_lanes() const {
    std::vector<Interval> all;
    for (const auto& [lane, list] : busy) all.insert(all.end(), list.begin(), list.end());
    return peak(all);
  }
};

// Reads a trace and checks its structure, as Perfetto needs it: every `b` closed by its
// `e` (nested per id), X slices in order per lane, both ends of every flow, a name for
// every process, thread and task. Structural failures are reported with ADD_FAILURE.
Trace read_checked(const std::string& path) {
  Trace t;
  std::ifstream in(path);
  t.doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (t.doc.is_discarded()) {
    ADD_FAILURE() << path << " is not valid JSON";
    return t;
  }
  if (!t.doc.contains("traceEvents") || !t.doc["traceEvents"].is_array()) {
    ADD_FAILURE() << path << " has no traceEvents";
    return t;
  }
  std::set<long> process_named;
  std::map<long, std::vector<std::pair<std::string, double>>> open;  // per task id
  std::map<std::pair<long, long>, double> last_x;
  std::map<long, std::pair<int, double>> flows;  // id -> (ends seen, s ts)
  std::map<long, double> flow_s;
  std::set<std::pair<long, long>> used;
  // X slices nested in another (a task's step in a busy slice) end no later than it.
  std::map<std::pair<long, long>, double> top_end;
  for (const auto& e : t.doc["traceEvents"]) {
    std::string ph = e.at("ph");
    long pid = e.at("pid"), tid = e.value("tid", pid);
    std::pair<long, long> lane{pid, tid};
    if (ph == "M") {
      std::string what = e.at("name");
      if (what == "process_name") process_named.insert(pid);
      if (what == "thread_name") t.lane_names[lane] = e["args"].at("name");
      continue;
    }
    used.insert(lane);
    double ts = e.at("ts");
    std::string cat = e.value("cat", "");
    std::string name = e.value("name", "");
    if (ph == "X") {
      EXPECT_GE(ts, last_x[lane]) << "X slices out of order on lane " << pid << "/" << tid;
      last_x[lane] = ts;
      double end = ts + e.at("dur").get<double>();
      if (name.ends_with("(pool job)")) {
        t.jobs.push_back({ts, end});
        t.job_lanes.insert(lane);
      }
      auto top = top_end.find(lane);
      if (top == top_end.end() || ts >= top->second) {
        top_end[lane] = end;
        t.busy[lane].push_back({ts, end});
      } else {
        EXPECT_LE(end, top->second + 1e-3) << "slice " << name << " overlaps its parent's end";
      }
    } else if (ph == "b" || ph == "e") {
      EXPECT_EQ(cat, "task");
      long id = e.at("id");
      auto& stack = open[id];
      if (ph == "b") {
        EXPECT_FALSE(name.empty()) << "a task or state without a name";
        if (stack.empty()) t.task_names[id] = name;
        stack.push_back({name, ts});
      } else {
        if (stack.empty()) {
          ADD_FAILURE() << "an e without its b, task " << id;
          continue;
        }
        EXPECT_EQ(stack.back().first, name) << "task " << id << " closes what it did not open";
        EXPECT_GE(ts, stack.back().second);
        if (stack.size() == 2) t.states[id].push_back({name, stack.back().second, ts, lane});
        stack.pop_back();
      }
    } else if (ph == "s" || ph == "f") {
      EXPECT_EQ(cat, "flow");
      long id = e.at("id");
      auto& f = flows[id];
      f.first += ph == "s" ? 1 : 10;
      if (ph == "s") flow_s[id] = ts;
      if (ph == "f") {
        EXPECT_GE(ts, flow_s[id]) << "flow " << id << " ends before it starts";
      }
    } else {
      ADD_FAILURE() << "unexpected phase " << ph;
    }
  }
  for (const auto& [id, stack] : open)
    EXPECT_TRUE(stack.empty()) << "task " << id << " has " << stack.size() << " open pairs";
  for (const auto& [id, f] : flows) EXPECT_EQ(f.first, 11) << "flow " << id << " lacks an end";
  for (const auto& lane : used) {
    EXPECT_TRUE(t.lane_names.count(lane))
        << "lane " << lane.first << "/" << lane.second << " has no thread_name";
    EXPECT_TRUE(process_named.count(lane.first)) << "process " << lane.first << " has no name";
  }
  EXPECT_TRUE(t.doc.contains("otherData"));
  return t;
}

struct Traced {
  TraceOutcome outcome;
  Trace trace;
};

Traced trace_of(const std::string& cell_name) {
  const Cell cell = catalog().parse_cell(cell_name);
  fs::path path = fs::temp_directory_path() / ("cmbench-trace-" + std::to_string(getpid()) + "-" +
                                               cell.impl->label() + ".json");
  Traced t;
  t.outcome = trace_cell(cell, path.string());
  EXPECT_TRUE(t.outcome.ok) << cell_name << ": " << t.outcome.why;
  EXPECT_EQ(t.outcome.summary.dropped, 0u);
  t.trace = read_checked(path.string());
  if (testing::Test::HasFailure())
    std::cerr << "the trace is kept for a look: " << path << "\n";
  else
    fs::remove(path);
  return t;
}

bool event_driven(const std::string& model) {
  return model.rfind("callbacks", 0) == 0 || model.rfind("futures", 0) == 0 ||
         model.rfind("fibers", 0) == 0 || model.rfind("coroutines", 0) == 0;
}

// The workload's implementations that the recorder can see: not the rows of another runtime
// (the Python rows) nor those run in programs of their own (the MPI ranks), never traced.
std::vector<std::string> implementations(const std::string& workload) {
  std::vector<std::string> labels;
  for (const auto& impl : catalog().impls())
    if (impl->workload->name == workload && impl->bounds().twin.empty() &&
        !impl->bounds().program_per_run)
      labels.push_back(impl->label());
  return labels;
}

// ---- the recorder ---------------------------------------------------------------------

TEST(TraceRecorder, RecordsNothingWhenOff) {
  ASSERT_FALSE(trace::on());
  trace::created(42);
  trace::resumed(42);
  trace::finished(42);
  trace::Recording rec = trace::stop();
  EXPECT_EQ(rec.events(), 0u);
}

TEST(TraceRecorder, KeepsEachThreadsEventsInOrderWithItsIdentity) {
  trace::start(1 << 16);
  trace::created(7);
  trace::resumed(7);
  std::thread other([] {
    trace::name_thread("helper");
    trace::created(8);
    trace::finished(8);
  });
  other.join();
  trace::finished(7);
  trace::Recording rec = trace::stop();
  ASSERT_EQ(rec.lanes.size(), 2u);
  EXPECT_EQ(rec.lanes[0].tid, gettid());
  // Task 7's events on this lane, in order (the thread's creation and join are there too).
  std::vector<trace::Kind> seven;
  for (const auto& e : rec.lanes[0].events)
    if (e.task == 7) seven.push_back(e.kind);
  EXPECT_EQ(seven,
            (std::vector{trace::Kind::created, trace::Kind::resumed, trace::Kind::finished}));
  EXPECT_EQ(rec.lanes[1].name, "helper");
  EXPECT_EQ(rec.lanes[1].tid != rec.lanes[0].tid, true);
  for (const auto& lane : rec.lanes)
    for (std::size_t i = 1; i < lane.events.size(); ++i)
      EXPECT_LE(lane.events[i - 1].ts, lane.events[i].ts);
  EXPECT_EQ(rec.dropped(), 0u);
}

TEST(TraceRecorder, AFullBufferDropsAndCountsInsteadOfGrowing) {
  constexpr std::uint64_t capacity = 8192, events = 1'000'000;
  trace::start(capacity);
  for (std::uint64_t i = 0; i < events; ++i) trace::resumed(i + 1);
  trace::Recording rec = trace::stop();
  EXPECT_LE(rec.events(), capacity);
  EXPECT_EQ(rec.events() + rec.dropped(), events);
  EXPECT_GT(rec.dropped(), 0u);
}

TEST(TraceRecorder, TheJsonSaysWhatWasDropped) {
  const Cell cell = catalog().parse_cell("sleep_fanout/coroutines/N:20000/d:1ms");
  fs::path path = fs::temp_directory_path() / ("cmbench-dropped-" + std::to_string(getpid()));
  TraceOutcome t = trace_cell(cell, path.string(), 8192);
  EXPECT_TRUE(t.ok) << t.why;  // a traced run still verifies, full buffer or not
  EXPECT_GT(t.summary.dropped, 0u);
  Trace trace = read_checked(path.string());
  EXPECT_EQ(trace.doc["otherData"]["dropped"].get<std::uint64_t>(), t.summary.dropped);
  fs::remove(path);
}

TEST(TraceRecorder, BadChildBytesAreCountedNotTrusted) {
  trace::start(1 << 12);
  trace::import_child("not a trace");
  trace::import_child(std::string(64, '\xff'));
  trace::Recording rec = trace::stop();
  EXPECT_EQ(rec.events(), 0u);
}

// ---- every model: structure, and what the model is ------------------------------------

class TraceSleep : public testing::TestWithParam<std::string> {};

TEST_P(TraceSleep, TwoThreeOneShowsTheModel) {
  const std::string model = GetParam();
  Traced t = trace_of("sleep_fanout/" + model + "/N:3/d:50ms/w:2-3-1");
  const Trace& tr = t.trace;
  auto timer_waits = tr.states_named("waiting: timer");
  if (model == "sequential") {
    // One lane, one task, its three waits one after another.
    EXPECT_EQ(tr.busy.size(), 1u);
    EXPECT_EQ(timer_waits.size(), 3u);
    EXPECT_EQ(peak(timer_waits), 1) << "a sequential program overlapped its waits";
    EXPECT_NEAR(t.outcome.summary.task_lifetime_ns / double(t.outcome.summary.wall_ns), 1.0, 0.1);
    return;
  }
  EXPECT_EQ(peak(timer_waits), 3) << "the three waits do not overlap";
  if (event_driven(model)) {
    // Every task runs on the one loop thread, and only there.
    EXPECT_EQ(tr.running_lanes().size(), 1u);
  } else {
    // Threads and processes: each task on a lane (thread or process) of its own.
    EXPECT_GE(tr.running_lanes().size(), 3u);
  }
  if (model == "processes") {
    std::set<long> pids;
    for (const auto& [lane, name] : tr.lane_names) pids.insert(lane.first);
    EXPECT_GE(pids.size(), 4u) << "the children's lanes are missing (real pids)";
  }
  double concurrency = t.outcome.summary.task_lifetime_ns / double(t.outcome.summary.wall_ns);
  EXPECT_GT(concurrency, 1.5) << "2-3-1 overlaps to about 2 tasks alive on average";
}

// Test names take no '-': coroutines-pooled is coroutines_pooled.
std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

INSTANTIATE_TEST_SUITE_P(EveryModel, TraceSleep, testing::ValuesIn(implementations("sleep_fanout")),
                         test_name);

class TraceCpu : public testing::TestWithParam<std::string> {};

TEST_P(TraceCpu, FourChunksShowParallelismOrItsAbsence) {
  const std::string model = GetParam();
  const bool parallel = catalog().model(model.substr(0, model.find('-'))).parallel &&
                        model.find("on_loop") == std::string::npos;
  const std::string cell = "cpu_bound/" + model + "/K:4/width:12000";
  // Whether the run had two cores at once is measured, not assumed (CPU ÷ wall, from
  // getrusage): on a shared machine another process may hold the second core through a
  // run. A parallel model gets three runs to show it in its trace. CPU ÷ wall alone is not
  // proof: TBB's workers spin a while before they sleep, which is CPU time with no chunk
  // on the second core; so a run is tried again while its trace shows no overlap either.
  auto cpu_per_wall = [](const Traced& t) {
    return double(t.outcome.summary.cpu_ns) / double(t.outcome.summary.wall_ns);
  };
  const bool offloaded = event_driven(model) && model.rfind("fibers", 0) != 0;
  auto overlapped = [offloaded](const Traced& t) {
    return offloaded ? peak(t.trace.jobs) >= 2 : t.trace.peak_busy_lanes() >= 2;
  };
  Traced t = trace_of(cell);
  for (int again = 0; parallel && again < 2 && (cpu_per_wall(t) < 1.3 || !overlapped(t)); ++again)
    t = trace_of(cell);
  const Trace& tr = t.trace;
  const bool ran_in_parallel = cpu_per_wall(t) >= 1.3;
  const bool on_loop = model.find("on_loop") != std::string::npos;
  if (model == "sequential" || on_loop) {
    EXPECT_EQ(tr.peak_busy_lanes(), 1) << "computing on one thread, yet two lanes were busy";
    EXPECT_EQ(tr.running_lanes().size(), 1u);
    EXPECT_TRUE(tr.jobs.empty());
    return;
  }
  if (offloaded) {
    // The offloaded variants: the chunks run as pool jobs on the offload threads.
    EXPECT_EQ(tr.jobs.size(), 4u);
    EXPECT_FALSE(tr.states_named("waiting: pool").empty());
    if (ran_in_parallel) {
      EXPECT_GE(tr.job_lanes.size(), 2u);
      EXPECT_GE(peak(tr.jobs), 2) << "two cores computed at once, yet no two jobs overlap";
    }
  } else if (ran_in_parallel) {
    EXPECT_GE(tr.peak_busy_lanes(), 2) << "two cores computed at once, yet no two lanes did";
  }
  if (!ran_in_parallel)
    std::cerr << "note: " << cell << " never had two cores at once here (CPU / wall "
              << cpu_per_wall(t) << "): the machine is busy; only the trace's structure and "
              << "the pool's jobs were checked\n";
}

INSTANTIATE_TEST_SUITE_P(EveryModel, TraceCpu, testing::ValuesIn(implementations("cpu_bound")),
                         test_name);

}  // namespace
}  // namespace cmbench
