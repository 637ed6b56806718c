#include "trace_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cmbench::trace {
namespace {

constexpr std::uint32_t none = 0;

// One event of the output, kept until all are known (a task's name may come after its
// first event; an X slice's duration comes at its end).
struct Out {
  std::int64_t ts = 0;
  std::int64_t dur = -1;  // X only
  char ph = 'X';
  enum class Cat : std::uint8_t { thread, task, flow, slow };
  Cat cat = Cat::thread;
  std::uint32_t lane = 0;         // whose pid and tid
  std::uint32_t task = none;      // the task it names (X, b/e outer); 0: `label`
  const char* label = nullptr;    // a state, a flow's name, a slice's fixed name
  std::uint64_t id = 0;           // async: the task; flow: the flow
  const char* arg_key = nullptr;  // one extra argument, a string
  const char* arg_value = nullptr;
  std::uint32_t from = none, to = none;  // flows
  bool job = false;                      // X: a pool job done for `task`
};

enum class State : std::uint8_t { ready, running, waiting, done };

struct Pending {
  bool set = false;
  std::int64_t ts = 0;
  std::uint32_t lane = 0;
  std::uint32_t from = none;
  const char* by = nullptr;
};

struct TaskInfo {
  std::string name;
  std::uint32_t parent = none;
  // Its track's process: where it first ran (a forked child's task runs in the child), or
  // where it was created until then.
  std::uint32_t home = 0;
  bool ran = false;
  bool has_children = false;
  std::int64_t created = 0, ended = -1, since = 0, running_ns = 0, join_ns = 0;
  State state = State::ready;
  Wait wait = Wait::none;
  std::uint32_t lane = 0;  // where its current state holds
  long slot = -1;          // its open X slice (while running)
  Pending spawn, wake;
};

struct LaneInfo {
  const Lane* lane = nullptr;
  bool implicit = false;  // runs no announced task: it is a task of its own
  bool started = false, blocked = false;
  std::uint32_t current = none;
  std::uint32_t own = none;       // the implicit task
  std::uint32_t stepping = none;  // the task whose X slice is open on this lane
  long busy_slot = -1, job_slot = -1;
  bool ended_task = false;  // its last event so far is a task's end
  std::int64_t busy_since = 0, busy_ns = 0, last_ts = 0;
};

const char* state_label(State s, Wait w) {
  switch (s) {
    case State::ready:
      return "ready";
    case State::running:
      return "running";
    case State::done:
      return "done";
    case State::waiting:
      break;
  }
  switch (w) {
    case Wait::none:
      return "ready";
    case Wait::timer:
      return "waiting: timer";
    case Wait::read:
      return "waiting: read";
    case Wait::write:
      return "waiting: write";
    case Wait::lock:
      return "waiting: lock";
    case Wait::join:
      return "waiting: join";
    case Wait::pool:
      return "waiting: pool";
    case Wait::process:
      return "waiting: process";
  }
  return "waiting";
}

const char* state_kind(State s, Wait w) {
  if (s == State::waiting && w == Wait::none) return "ready";
  return s == State::running ? "running" : s == State::waiting ? "waiting" : "ready";
}

// What made a task ready, from what it waited on, when no task did.
const char* wake_cause(Wait w) {
  switch (w) {
    case Wait::timer:
      return "timer";
    case Wait::read:
    case Wait::write:
      return "io";
    case Wait::pool:
      return "pool";
    case Wait::process:
      return "process";
    default:
      return "event";
  }
}

void escape_into(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else
          out += c;
    }
  }
}

class Converter {
 public:
  Converter(const Recording& rec) : rec_(rec) {
    lanes_.resize(rec.lanes.size());
    tasks_.emplace_back();  // uid 0: no task
    for (std::size_t i = 0; i < rec.lanes.size(); ++i) {
      LaneInfo& l = lanes_[i];
      l.lane = &rec.lanes[i];
      bool runs_tasks = false;
      for (const Event& e : l.lane->events)
        runs_tasks = runs_tasks || e.kind == Kind::resumed || e.kind == Kind::offload_begin;
      l.implicit = !l.lane->loop && !runs_tasks && !l.lane->events.empty();
    }
  }

  void run() {
    struct Ref {
      std::int64_t ts;
      std::uint32_t lane;
      std::uint32_t seq;
    };
    std::vector<Ref> order;
    for (std::uint32_t l = 0; l < rec_.lanes.size(); ++l)
      for (std::uint32_t i = 0; i < rec_.lanes[l].events.size(); ++i)
        order.push_back({rec_.lanes[l].events[i].ts, l, i});
    std::sort(order.begin(), order.end(), [](const Ref& a, const Ref& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.lane != b.lane ? a.lane < b.lane : a.seq < b.seq;
    });
    // The run ends with the last event recorded (the harness's end mark).
    end_ = rec_.start_ns;
    for (const Ref& r : order) end_ = std::max(end_, r.ts);
    for (const Ref& r : order) handle(r.lane, rec_.lanes[r.lane].events[r.seq]);
    finish_all();
  }

  std::string json(const RunInfo& info, Summary& sum);

 private:
  // ---- output helpers ----
  long open_slice(std::uint32_t lane, std::int64_t ts, std::uint32_t task, const char* label,
                  bool job = false) {
    Out o;
    o.ts = ts;
    o.dur = 0;
    o.ph = 'X';
    o.cat = Out::Cat::thread;
    o.lane = lane;
    o.task = task;
    o.label = label;
    o.job = job;
    out_.push_back(o);
    return static_cast<long>(out_.size() - 1);
  }
  void close_slice(long& slot, std::int64_t ts) {
    if (slot < 0) return;
    out_[slot].dur = std::max<std::int64_t>(0, ts - out_[slot].ts);
    slot = -1;
  }
  void async(char ph, std::uint32_t uid, std::int64_t ts, std::uint32_t lane, const char* label,
             const char* key = nullptr, const char* value = nullptr) {
    Out o;
    o.ts = ts;
    o.ph = ph;
    o.cat = Out::Cat::task;
    o.lane = lane;
    o.task = label ? none : uid;
    o.label = label;
    o.id = uid;
    o.arg_key = key;
    o.arg_value = value;
    out_.push_back(o);
  }
  void flow(const char* name, const Pending& p, std::uint32_t to, std::int64_t ts,
            std::uint32_t lane) {
    Out s;
    s.ts = p.ts;
    s.ph = 's';
    s.cat = Out::Cat::flow;
    s.lane = p.lane;
    s.label = name;
    s.id = ++flows_;
    s.from = p.from;
    s.to = to;
    s.arg_value = p.by;
    Out f = s;
    f.ts = ts;
    f.ph = 'f';
    f.lane = lane;
    out_.push_back(s);
    out_.push_back(f);
  }

  // ---- tasks ----
  std::uint32_t lookup(TaskId t) const {
    auto it = ids_.find(t);
    return it == ids_.end() ? none : it->second;
  }
  std::uint32_t create(TaskId t, std::uint32_t parent, std::uint32_t lane, std::int64_t ts,
                       std::string name) {
    if (std::uint32_t old = lookup(t)) end_task(old, ts, "replaced");
    auto uid = static_cast<std::uint32_t>(tasks_.size());
    TaskInfo info;
    info.name = std::move(name);
    info.parent = parent;
    info.home = lane;
    info.created = info.since = ts;
    info.lane = lane;
    tasks_.push_back(std::move(info));
    if (t) ids_[t] = uid;
    if (parent) tasks_[parent].has_children = true;
    async('b', uid, ts, lane, nullptr);
    async('b', uid, ts, lane, "ready", "state", "ready");
    return uid;
  }
  // Moves a task to a new state at ts, closing the old state's pair.
  void become(std::uint32_t uid, State s, Wait w, std::int64_t ts, std::uint32_t lane) {
    TaskInfo& t = tasks_[uid];
    if (t.state == State::done) return;
    const char* old = state_label(t.state, t.wait);
    const char* now = state_label(s, w);
    if (t.state == State::running) {
      t.running_ns += ts - t.since;
      close_slice(t.slot, ts);
    }
    if (t.state == State::waiting && t.wait == Wait::join) t.join_ns += ts - t.since;
    if (old == now && t.state == s && t.lane == lane) return;
    async('e', uid, ts, t.lane, old);
    t.state = s;
    t.wait = w;
    t.since = ts;
    t.lane = lane;
    if (s == State::done) return;
    const char* on = s == State::waiting && w != Wait::none ? wait_name(w) : nullptr;
    async('b', uid, ts, lane, now, on ? "on" : "state", on ? on : state_kind(s, w));
  }
  void run_task(std::uint32_t uid, std::uint32_t lane, std::int64_t ts) {
    TaskInfo& t = tasks_[uid];
    become(uid, State::running, Wait::none, ts, lane);
    t.slot = open_slice(lane, ts, uid, nullptr);
    lanes_[lane].stepping = uid;
  }
  void end_task(std::uint32_t uid, std::int64_t ts, const char* outcome) {
    TaskInfo& t = tasks_[uid];
    if (t.state == State::done) return;
    std::uint32_t lane = t.lane;
    become(uid, State::done, Wait::none, ts, lane);
    t.ended = ts;
    async('e', uid, ts, lane, nullptr, "outcome", outcome);
    for (auto& l : lanes_)
      if (l.current == uid) l.current = none;
  }

  // ---- lanes ----
  void busy(std::uint32_t lane, std::int64_t ts) {
    LaneInfo& l = lanes_[lane];
    if (l.busy_slot >= 0) return;
    l.blocked = false;
    l.busy_since = ts;
    l.busy_slot = open_slice(lane, ts, none, l.lane->loop ? "loop" : "busy");
  }
  void idle(std::uint32_t lane, std::int64_t ts) {
    LaneInfo& l = lanes_[lane];
    l.blocked = true;
    if (l.busy_slot < 0) return;
    l.busy_ns += ts - l.busy_since;
    // A task still stepping here lost its suspension to a full buffer: its slice ends with
    // the lane's, so that slices stay nested.
    if (l.stepping) close_slice(tasks_[l.stepping].slot, ts);
    close_slice(l.job_slot, ts);
    close_slice(l.busy_slot, ts);
  }

  void handle(std::uint32_t lane, const Event& e) {
    LaneInfo& l = lanes_[lane];
    l.last_ts = e.ts;
    l.ended_task = e.kind == Kind::finished && !l.lane->loop;
    if (!l.started) {
      // A lane first seen blocking was running when the recording began (a TBB worker
      // still in its arena after the warm-up); one first seen unblocking was blocked.
      l.started = true;
      const std::int64_t from = e.kind == Kind::blocked ? rec_.start_ns : e.ts;
      if (e.kind != Kind::unblocked) busy(lane, from);
      if (l.implicit) {
        l.own = create(0, none, lane, from, l.lane->name);
        l.current = l.own;
        if (e.kind != Kind::unblocked) run_task(l.own, lane, from);
      }
    }
    switch (e.kind) {
      case Kind::created: {
        std::uint32_t parent = e.arg ? lookup(e.arg) : none;
        if (!parent) parent = l.current ? l.current : l.own;
        std::uint32_t uid =
            create(e.task, parent, lane, e.ts, fmt::format("task {}", tasks_.size()));
        tasks_[uid].spawn = {true, e.ts, lane, parent, "task"};
        break;
      }
      case Kind::named:
        if (std::uint32_t uid = lookup(e.task))
          tasks_[uid].name = reinterpret_cast<const char*>(static_cast<std::uintptr_t>(e.arg));
        break;
      case Kind::resumed: {
        std::uint32_t uid = lookup(e.task);
        if (!uid) uid = create(e.task, none, lane, e.ts, fmt::format("task {}", tasks_.size()));
        if (l.current && l.current != uid && tasks_[l.current].state == State::running)
          become(l.current, State::ready, Wait::none, e.ts, lane);  // nested: it waits
        busy(lane, e.ts);
        run_task(uid, lane, e.ts);
        l.current = uid;
        TaskInfo& t = tasks_[uid];
        if (!t.ran) t.home = lane;
        t.ran = true;
        if (t.spawn.set) flow("spawn", t.spawn, uid, e.ts, lane);
        if (t.wake.set) flow("wake", t.wake, uid, e.ts, lane);
        t.spawn.set = t.wake.set = false;
        break;
      }
      case Kind::suspended:
        if (std::uint32_t uid = lookup(e.task)) {
          auto w = static_cast<Wait>(e.detail);
          become(uid, w == Wait::none ? State::ready : State::waiting, w, e.ts, tasks_[uid].lane);
          if (l.current == uid) l.current = none;
        }
        break;
      case Kind::woken:
        if (std::uint32_t uid = lookup(e.task)) {
          TaskInfo& t = tasks_[uid];
          if (t.state == State::waiting) become(uid, State::ready, Wait::none, e.ts, t.lane);
          bool by_task = static_cast<Cause>(e.detail) == Cause::task;
          std::uint32_t from = by_task ? lookup(e.arg) : none;
          // A pool job's end is the truer origin than the loop callback that passes it on.
          if (!(t.wake.set && t.wake.by && std::string_view(t.wake.by) == "pool" && !from))
            t.wake = {true, e.ts, lane, from, from ? "task" : wake_cause(t.wait)};
        }
        break;
      case Kind::finished:
        if (std::uint32_t uid = lookup(e.task)) {
          auto o = static_cast<Outcome>(e.detail);
          end_task(uid, e.ts, outcome_name(o));
          ids_.erase(e.task);
        }
        break;
      case Kind::blocked:
        if (l.current && tasks_[l.current].state == State::running)
          become(l.current, State::waiting, static_cast<Wait>(e.detail), e.ts, lane);
        idle(lane, e.ts);
        break;
      case Kind::unblocked:
        busy(lane, e.ts);
        // The lane's task runs again (or for the first time: a lane first seen unblocking).
        if (l.current && tasks_[l.current].state != State::running &&
            tasks_[l.current].state != State::done)
          run_task(l.current, lane, e.ts);
        break;
      case Kind::offload_begin:
        busy(lane, e.ts);
        close_slice(l.job_slot, e.ts);
        l.job_slot = open_slice(lane, e.ts, lookup(e.task), "pool job", true);
        break;
      case Kind::offload_end:
        close_slice(l.job_slot, e.ts);
        if (std::uint32_t uid = lookup(e.task)) tasks_[uid].wake = {true, e.ts, lane, none, "pool"};
        break;
      case Kind::slow: {
        // A stall a detector found: an async pair of its own (cat "slow") around the
        // callback or step that held the loop, drawn red by scripts/timeline.py. A pair, not
        // an X slice, because it need not nest with the lane's slices (a coroutine's step is
        // timed from just after its resumption is recorded).
        const auto took = static_cast<std::int64_t>(e.arg);
        Out o;
        o.ph = 'b';
        o.ts = std::max(rec_.start_ns, e.ts - took);
        o.dur = e.ts - o.ts;
        o.cat = Out::Cat::slow;
        o.lane = lane;
        o.task = lookup(e.task);
        o.id = ++stalls_;
        out_.push_back(o);
        o.ph = 'e';
        o.ts = e.ts;
        out_.push_back(o);
        break;
      }
      case Kind::mark:
      case Kind::thread_named:
      case Kind::forked:
      case Kind::reaped:
        break;
    }
  }

  void finish_all() {
    for (std::uint32_t i = 0; i < lanes_.size(); ++i) {
      // A lane still busy after its last event ran on to the end of the run (a TBB worker
      // stays in its arena), unless that event was a task's end (a thread that ends with
      // its task) or it is blocked.
      LaneInfo& l = lanes_[i];
      const std::int64_t at = l.blocked || l.ended_task ? l.last_ts : end_;
      if (l.own) end_task(l.own, at, "ok");
      idle(i, at);
    }
    for (std::uint32_t uid = 1; uid < tasks_.size(); ++uid)
      if (tasks_[uid].state != State::done) end_task(uid, end_, "unfinished");
  }

  const Recording& rec_;
  std::vector<LaneInfo> lanes_;
  std::vector<TaskInfo> tasks_;
  std::unordered_map<TaskId, std::uint32_t> ids_;
  std::vector<Out> out_;
  std::uint64_t flows_ = 0;
  std::uint64_t stalls_ = 0;
  std::int64_t end_ = 0;
};

std::string Converter::json(const RunInfo& info, Summary& sum) {
  const std::int64_t t0 = rec_.start_ns;
  auto us = [t0](std::int64_t ns) { return fmt::format("{:.3f}", (ns - t0) / 1000.0); };
  std::stable_sort(out_.begin(), out_.end(),
                   [](const Out& a, const Out& b) { return a.ts < b.ts; });

  // Lanes in order: the recording process first, its main thread first.
  std::vector<std::uint32_t> order(lanes_.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  const pid_t root = rec_.lanes.empty() ? 0 : rec_.lanes.front().pid;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const Lane &x = rec_.lanes[a], &y = rec_.lanes[b];
    auto key = [root](const Lane& l) {
      return std::make_tuple(l.pid != root, l.pid, l.tid != l.pid, l.tid);
    };
    return key(x) < key(y);
  });

  std::string j;
  j.reserve(out_.size() * 120 + 4096);
  j += "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool first = true;
  auto sep = [&] {
    if (!first) j += ",\n";
    first = false;
  };
  std::map<pid_t, int> processes;
  for (std::uint32_t i : order) processes.emplace(rec_.lanes[i].pid, 0);
  int pindex = 0;
  for (std::uint32_t i : order) {
    const Lane& l = rec_.lanes[i];
    if (processes[l.pid]++ == 0) {
      std::string pname = l.pid == root ? "cmbench " + info.cell : fmt::format("process {}", l.pid);
      sep();
      j += fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":{},"args":{{"name":")",
                       l.pid, l.pid);
      escape_into(j, pname);
      j += "\"}}";
      sep();
      j += fmt::format(
          R"({{"ph":"M","name":"process_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
          l.pid, l.pid, pindex++);
    }
  }
  int tindex = 0;
  for (std::uint32_t i : order) {
    const Lane& l = rec_.lanes[i];
    sep();
    j += fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":")",
                     l.pid, l.tid);
    escape_into(j, l.name);
    j += "\"}}";
    sep();
    j += fmt::format(
        R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
        l.pid, l.tid, tindex++);
  }
  // A task's track lives in the process that created it: nested async pairs must share
  // their pid.
  for (const Out& o : out_) {
    const Lane& lane = rec_.lanes[o.lane];
    pid_t pid = lane.pid, tid = lane.tid;
    if (o.cat == Out::Cat::task) {
      pid = rec_.lanes[tasks_[o.id].home].pid;
      if (pid != lane.pid) tid = pid;  // a state held in another process: its main thread
    }
    sep();
    j += fmt::format(R"({{"ph":"{}","pid":{},"tid":{},"ts":{})", o.ph, pid, tid, us(o.ts));
    if (o.ph == 'X') j += fmt::format(R"(,"dur":{:.3f})", o.dur / 1000.0);
    static constexpr const char* cats[] = {"thread", "task", "flow", "slow"};
    j += fmt::format(R"(,"cat":"{}","name":")", cats[static_cast<int>(o.cat)]);
    if (o.cat == Out::Cat::slow) {
      j += "slow: ";
      escape_into(j, o.task ? tasks_[o.task].name : "a callback");
    } else if (o.cat == Out::Cat::thread && o.task) {
      escape_into(j, tasks_[o.task].name);
      if (o.job) j += " (pool job)";
    } else if (o.task) {
      escape_into(j, tasks_[o.task].name);
    } else {
      escape_into(j, o.label ? o.label : "?");
    }
    j += '"';
    if (o.cat == Out::Cat::task || o.cat == Out::Cat::slow) j += fmt::format(R"(,"id":{})", o.id);
    if (o.cat == Out::Cat::flow) {
      j += fmt::format(R"(,"id":{})", o.id);
      if (o.ph == 'f') j += R"(,"bp":"e")";
      j += R"(,"args":{"from":)";
      j += o.from ? fmt::format("{}", o.from) : "null";
      j += fmt::format(R"(,"to":{},"by":"{}"}})", o.to, o.arg_value ? o.arg_value : "event");
    } else if (o.cat == Out::Cat::task && o.task && o.ph == 'b') {
      const TaskInfo& t = tasks_[o.task];
      j += fmt::format(R"(,"args":{{"task":{},"parent":{}}})", o.task,
                       t.parent ? fmt::format("{}", t.parent) : "null");
    } else if (o.arg_key) {
      j += fmt::format(R"(,"args":{{"{}":"{}"}})", o.arg_key, o.arg_value);
    } else if (o.cat == Out::Cat::thread && o.task) {
      j += fmt::format(R"(,"args":{{"task":{}}})", o.task);
    } else if (o.cat == Out::Cat::slow && o.ph == 'b') {
      j += fmt::format(R"(,"args":{{"stalled_ms":{:.3f}}})", o.dur / 1e6);
    }
    j += '}';
  }

  sum.tasks = tasks_.size() - 1;
  sum.cpu_ns = info.cpu_ns;
  sum.wall_ns = info.run_end_ns > info.run_start_ns ? info.run_end_ns - info.run_start_ns
                                                    : end_ - rec_.start_ns;
  for (std::uint32_t uid = 1; uid < tasks_.size(); ++uid) {
    const TaskInfo& t = tasks_[uid];
    // A task that made others, or mostly waits for others (a main joining its threads, a
    // gather), adds no work of its own: counting it would make every fan-out look one task
    // more concurrent than it is.
    std::int64_t life = t.ended - t.created;
    if ((!t.has_children && 2 * t.join_ns <= life) || tasks_.size() == 2)
      sum.task_lifetime_ns += life;
    sum.task_running_ns += t.running_ns;
  }
  // No task of its own work (the loop ran the work as plain callbacks): the longest-lived
  // task stands for the run, one task alive.
  if (sum.task_lifetime_ns == 0)
    for (std::uint32_t uid = 1; uid < tasks_.size(); ++uid)
      sum.task_lifetime_ns =
          std::max(sum.task_lifetime_ns, tasks_[uid].ended - tasks_[uid].created);
  for (const auto& l : lanes_) sum.busy_ns += l.busy_ns;
  sum.events = rec_.events();
  sum.dropped = rec_.dropped();
  sum.lanes = lanes_.size();
  sum.processes = processes.size();
  j += "\n],\"otherData\":{\"cell\":\"";
  escape_into(j, info.cell);
  j += "\",\"model\":\"";
  escape_into(j, info.model);
  j += fmt::format(
      "\",\"wall_ns\":{},\"cpu_ns\":{},\"task_lifetime_ns\":{},\"task_running_ns\":{},"
      "\"busy_ns\":{},\"tasks\":{},\"events\":{},\"dropped\":{},\"capacity\":{},\"cores\":{},"
      "\"lanes\":{},\"processes\":{},\"t0_us\":{:.3f}}}}}\n",
      sum.wall_ns, info.cpu_ns, sum.task_lifetime_ns, sum.task_running_ns, sum.busy_ns, sum.tasks,
      sum.events, sum.dropped, rec_.capacity, info.cores, sum.lanes, sum.processes,
      info.run_start_ns > t0 ? (info.run_start_ns - t0) / 1000.0 : 0.0);
  return j;
}

}  // namespace

Summary write_json(const Recording& rec, const RunInfo& info, const std::string& path) {
  Converter c(rec);
  c.run();
  Summary sum;
  std::string text = c.json(info, sum);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
  return sum;
}

}  // namespace cmbench::trace
