#!/usr/bin/python3
"""Synthetic timelines shaped like the trace recorder's, for scripts/timeline.py's tests.

Usage: /usr/bin/python3 tests/data/make_timeline_fixtures.py OUT_DIR [--tasks N]

Writes one Chrome Trace Event JSON file per scenario into OUT_DIR (nothing is committed:
the test makes them in a temporary directory). Each scenario is what a model would record
for a small, known run, so a chart drawn from it can be checked by eye against the story:
- sequential_231: one thread, three tasks one after another, each blocked on a timer
  (200, 300, 100 ms): wall 600 ms, concurrency 1×;
- coroutines_231: the same three tasks on one event loop, their timer waits overlapping:
  wall 300 ms, concurrency 3×, parallelism ≈ 0;
- threads_231 and processes_231: the same, one OS thread (process) per task, each blocked;
- coroutines_stall: coroutines_231 with one step that held the loop for 100 ms, as a
  slow-callback detector records it (a "slow" pair on the loop's lane): drawn red;
- threads_cpu: four CPU-bound chunks on a two-worker pool and two cores: parallelism 2×;
- coroutines_fold: N (20 000) sleeping tasks on one loop, too many for a lane each;
- threads_fold: 100 threads each sleeping, too many OS lanes as well.

Times are in microseconds from a steady clock, like the recorder's, with t0 far from 0.
"""

import argparse
import json
import sys
from pathlib import Path

T0 = 5_000_000.0  # µs: the run's start on the recorder's clock; the chart's 0
PID = 4242


class TraceBuilder:
    """Collects events in the order a recorder would flush them and derives otherData.

    Times given to its methods are milliseconds since the run's start; the file holds
    microseconds since the clock's origin, rounded to nanoseconds."""

    def __init__(self, cell, cores):
        self.cell, self.cores = cell, cores
        self.meta, self.events = [], []
        self.busy = {}  # (pid, tid) -> [(start, end)] of top-level X slices
        self.lifetime_ms = self.running_ms = 0.0
        self.tasks = 0
        self.next_flow = 1
        self.end_ms = 0.0

    @staticmethod
    def us(ms):
        return round(T0 + ms * 1000.0, 3)

    def process(self, pid, name, sort=0):
        self.meta.append({"ph": "M", "name": "process_name", "pid": pid, "tid": pid,
                          "args": {"name": name}})
        self.meta.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": pid,
                          "args": {"sort_index": sort}})

    def thread(self, pid, tid, name, sort):
        self.meta.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                          "args": {"name": name}})
        self.meta.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                          "args": {"sort_index": sort}})

    def slice(self, lane, name, start, end, task=None, nested=False):
        """An OS thread was on a CPU from start to end, running `name`."""
        event = {"ph": "X", "cat": "thread", "name": name, "pid": lane[0], "tid": lane[1],
                 "ts": self.us(start), "dur": round((end - start) * 1000.0, 3), "args": {}}
        if task is not None:
            event["args"]["task"] = task
        self.events.append(event)
        if not nested:
            self.busy.setdefault(lane, []).append((start, end))
        self.end_ms = max(self.end_ms, end)

    def task(self, task_id, name, parent, states, outcome="ok", loop_slices=False):
        """One task's life: `states` is [(state, on, start, end, lane)], consecutive.

        Each running state also yields the X slice of its OS thread, nested in a "loop"
        slice when the caller draws those itself (loop_slices=True)."""
        start, end = states[0][2], states[-1][3]
        lane = states[0][4]
        common = {"cat": "task", "id": task_id, "pid": lane[0], "tid": lane[1]}
        self.events.append({**common, "ph": "b", "name": name, "ts": self.us(start),
                            "args": {"task": task_id, "parent": parent}})
        for state, on, s, e, where in states:
            label = state if on is None else f"{state}: {on}"
            args = {"state": state} if on is None else {"state": state, "on": on}
            at = {"pid": where[0], "tid": where[1]}
            self.events.append({**common, **at, "ph": "b", "name": label, "ts": self.us(s),
                                "args": args})
            self.events.append({**common, **at, "ph": "e", "name": label, "ts": self.us(e),
                                "args": {}})
            if state == "running":
                self.slice(where, name, s, e, task=task_id, nested=loop_slices)
                self.running_ms += e - s
        self.events.append({**common, "ph": "e", "name": name, "ts": self.us(end),
                            "args": {"outcome": outcome}})
        self.lifetime_ms += end - start
        self.tasks += 1
        self.end_ms = max(self.end_ms, end)

    def flow(self, name, source, target, by, start, start_lane, end, end_lane):
        flow_id = self.next_flow
        self.next_flow += 1
        self.events.append({"ph": "s", "cat": "flow", "name": name, "id": flow_id,
                            "pid": start_lane[0], "tid": start_lane[1], "ts": self.us(start),
                            "args": {"from": source, "to": target, "by": by}})
        self.events.append({"ph": "f", "bp": "e", "cat": "flow", "name": name, "id": flow_id,
                            "pid": end_lane[0], "tid": end_lane[1], "ts": self.us(end)})

    def document(self):
        events = sorted(self.events, key=lambda e: e["ts"])  # stable: b before its e
        cpu_ms = 0.0
        for spans in self.busy.values():  # a lane's slices never overlap: no double count
            cpu_ms += sum(e - s for s, e in spans)
        model = self.cell.split("/")[1]
        return {"displayTimeUnit": "ns", "traceEvents": self.meta + events,
                "otherData": {"cell": self.cell, "model": model,
                              "wall_ns": round(self.end_ms * 1e6),
                              "cpu_ns": round(cpu_ms * 1e6),
                              "task_lifetime_ns": round(self.lifetime_ms * 1e6),
                              "task_running_ns": round(self.running_ms * 1e6),
                              "tasks": self.tasks, "events": len(self.meta) + len(events),
                              "dropped": 0, "cores": self.cores, "t0_us": T0}}


WAITS_231 = (200.0, 300.0, 100.0)  # ms: the tutorial's "2, 3 and 1 s", at d = 100 ms


def sequential_231():
    """Three tasks called one after another on the main thread, each blocked in a sleep."""
    b = TraceBuilder("sleep_fanout/sequential/N:3/d:100ms/w:2-3-1", cores=2)
    main = (PID, PID)
    b.process(PID, "cmbench (sequential)")
    b.thread(PID, PID, "main", 0)
    t = 0.0
    for i, wait in enumerate(WAITS_231, start=1):
        states = [("running", None, t, t + 0.04, main),
                  ("waiting", "timer", t + 0.04, t + 0.04 + wait, main),
                  ("running", None, t + 0.04 + wait, t + 0.07 + wait, main)]
        b.task(str(i), f"task {i} ({wait:.0f} ms)", None, states)
        t += wait + 0.08
    return b.document()


def event_loop_231(model="coroutines", loop_name="loop"):
    """main() spawns three tasks and gathers them; one loop thread runs everything."""
    b = TraceBuilder(f"sleep_fanout/{model}/N:3/d:100ms/w:2-3-1", cores=2)
    loop = (PID, PID)
    b.process(PID, f"cmbench ({model})")
    b.thread(PID, PID, loop_name, 0)
    children = [str(i) for i in range(2, 5)]
    start = {c: 0.02 + 0.01 * i for i, c in enumerate(children)}
    run_at = {c: 0.07 + 0.02 * i for i, c in enumerate(children)}
    wake = {c: run_at[c] + 0.02 + w for c, w in zip(children, WAITS_231)}
    last = max(children, key=wake.get)
    b.slice(loop, "loop", 0.0, 0.14)
    for c in children:
        b.flow("spawn", "1", c, "task", start[c], loop, start[c] + 0.001, loop)
    for c, w in zip(children, WAITS_231):
        # A fired timer makes its task ready; the loop runs it on its next pass.
        fire = wake[c]
        b.slice(loop, "loop", fire - 0.01, fire + 0.05 + (0.04 if c == last else 0))
        b.flow("wake", None, c, "timer", fire, loop, fire + 0.01, loop)
        b.task(c, f"task {int(c) - 1} ({w:.0f} ms)", "1",
               [("ready", None, start[c], run_at[c], loop),
                ("running", None, run_at[c], run_at[c] + 0.02, loop),
                ("waiting", "timer", run_at[c] + 0.02, fire, loop),
                ("ready", None, fire, fire + 0.01, loop),
                ("running", None, fire + 0.01, fire + 0.04, loop)], loop_slices=True)
    done = wake[last] + 0.04
    b.flow("wake", last, "1", "task", done, loop, done + 0.005, loop)
    b.task("1", "main", None,
           [("running", None, 0.0, 0.06, loop),
            ("waiting", "join", 0.06, done, loop),
            ("ready", None, done, done + 0.005, loop),
            ("running", None, done + 0.005, done + 0.035, loop)], loop_slices=True)
    return b.document()


def coroutines_stall():
    """coroutines_231, and a stall the detector recorded: from 150 to 250 ms a step held the
    loop (a blocking call inside a task), an async pair of cat "slow" on the loop's lane."""
    doc = event_loop_231()
    meta = [e for e in doc["traceEvents"] if e["ph"] == "M"]
    events = [e for e in doc["traceEvents"] if e["ph"] != "M"]
    common = {"cat": "slow", "id": 1, "pid": PID, "tid": PID, "name": "slow: task 2 (300 ms)"}
    events.append({**common, "ph": "b", "ts": TraceBuilder.us(150.0),
                   "args": {"stalled_ms": 100.0}})
    events.append({**common, "ph": "e", "ts": TraceBuilder.us(250.0)})
    doc["traceEvents"] = meta + sorted(events, key=lambda e: e["ts"])
    doc["otherData"]["cell"] = "demo/blocking/coroutines"
    return doc


def blocking_231(model):
    """One OS thread (threads) or child process (processes) per task, each blocked in a
    sleep; main starts them and joins them in order."""
    b = TraceBuilder(f"sleep_fanout/{model}/N:3/d:100ms/w:2-3-1", cores=2)
    main = (PID, PID)
    b.process(PID, f"cmbench ({model})")
    b.thread(PID, PID, "main", 0)
    lanes = []
    for i in range(1, 4):
        if model == "processes":
            pid = PID + 100 * i
            b.process(pid, f"process {pid}", i)
            b.thread(pid, pid, "main", 0)
            lanes.append((pid, pid))
        else:
            b.thread(PID, PID + i, f"thread {i}", i)
            lanes.append((PID, PID + i))
    startup = 0.9 if model == "processes" else 0.06  # fork costs more than a thread
    ends = []
    for i, (lane, wait) in enumerate(zip(lanes, WAITS_231), start=1):
        created = 0.02 + startup * (i - 1)
        runs = created + startup
        end = runs + 0.04 + wait + 0.03
        ends.append(end)
        b.flow("spawn", "1", str(i + 1), "task", created, main, runs, lane)
        b.task(str(i + 1), f"task {i} ({wait:.0f} ms)", "1",
               [("ready", None, created, runs, lane),
                ("running", None, runs, runs + 0.04, lane),
                ("waiting", "timer", runs + 0.04, end - 0.03, lane),
                ("running", None, end - 0.03, end, lane)])
    # main joins them in order: it sleeps until each one not yet finished is.
    on = "process" if model == "processes" else "join"
    t = 0.02 + startup * 3
    states = [("running", None, 0.0, t, main)]
    for i, end in enumerate(ends, start=1):
        if end > t:
            b.flow("wake", str(i + 1), "1", "task", end, lanes[i - 1], end + 0.02, main)
            states += [("waiting", on, t, end + 0.02, main),
                       ("running", None, end + 0.02, end + 0.04, main)]
            t = end + 0.04
    b.task("1", "main", None, states)
    return b.document()


def threads_cpu():
    """Four CPU-bound chunks of 50 ms on a two-worker pool with two cores."""
    b = TraceBuilder("cpu_bound/threads/K:4/work:50ms", cores=2)
    main = (PID, PID)
    workers = [(PID, PID + 1), (PID, PID + 2)]
    b.process(PID, "cmbench (threads)")
    b.thread(PID, PID, "main", 0)
    for i, w in enumerate(workers, start=1):
        b.thread(PID, w[1], f"tbb worker {i}", i)
    created = {str(c): 0.03 * (c - 1) for c in range(2, 6)}
    starts = {"2": 0.12, "3": 0.15, "4": 50.13, "5": 50.16}
    where = {"2": workers[0], "3": workers[1], "4": workers[0], "5": workers[1]}
    ends = {}
    for c in created:
        b.flow("spawn", "1", c, "task", created[c], main, starts[c], where[c])
        ends[c] = starts[c] + 50.0
        b.task(c, f"chunk {int(c) - 1}", "1",
               [("ready", None, created[c], starts[c], where[c]),
                ("running", None, starts[c], ends[c], where[c])])
    done = max(ends.values())
    last = max(ends, key=ends.get)
    b.flow("wake", last, "1", "task", done, where[last], done + 0.02, main)
    b.task("1", "main", None,
           [("running", None, 0.0, 0.2, main),
            ("waiting", "join", 0.2, done, main),
            ("ready", None, done, done + 0.02, main),
            ("running", None, done + 0.02, done + 0.1, main)])
    return b.document()


def coroutines_fold(n=20_000):
    """n tasks each sleeping 100 ms on one loop: created over n µs, run in one pass."""
    b = TraceBuilder(f"sleep_fanout/coroutines/N:{n}/d:100ms", cores=2)
    loop = (PID, PID)
    b.process(PID, "cmbench (coroutines)")
    b.thread(PID, PID, "loop", 0)
    create_ms, run_ms, finish_ms = 0.001, 0.002, 0.0015
    created_all = n * create_ms
    first_pass_end = created_all + n * run_ms
    b.slice(loop, "loop", 0.0, first_pass_end)
    last_done = first_pass_end  # a timer due during the first pass waits for its end
    for i in range(n):
        task_id = str(i + 2)
        created = i * create_ms
        runs = created_all + i * run_ms
        fire = runs + run_ms + 100.0
        # Timers due together are handled in one pass: a task waits its turn.
        resumed = max(fire, last_done)
        last_done = resumed + finish_ms
        b.flow("spawn", "1", task_id, "task", created, loop, created + 0.0005, loop)
        b.flow("wake", None, task_id, "timer", fire, loop, resumed, loop)
        b.task(task_id, f"sleeper {i + 1}", "1",
               [("ready", None, created, runs, loop),
                ("running", None, runs, runs + run_ms, loop),
                ("waiting", "timer", runs + run_ms, fire, loop),
                ("ready", None, fire, resumed, loop),
                ("running", None, resumed, last_done, loop)], loop_slices=True)
    b.slice(loop, "loop", max(first_pass_end, created_all + run_ms + 100.0), last_done + 0.05)
    b.task("1", "main", None,
           [("running", None, 0.0, created_all, loop),
            ("waiting", "join", created_all, last_done, loop),
            ("running", None, last_done, last_done + 0.03, loop)], loop_slices=True)
    return b.document()


def threads_fold(n=100):
    """n threads each sleeping 100 ms: more OS lanes than the chart draws one by one."""
    b = TraceBuilder(f"sleep_fanout/threads/N:{n}/d:100ms", cores=2)
    main = (PID, PID)
    b.process(PID, "cmbench (threads)")
    b.thread(PID, PID, "main", 0)
    ends = []
    for i in range(1, n + 1):
        lane = (PID, PID + i)
        b.thread(PID, lane[1], f"thread {i}", i)
        created = 0.05 * i
        runs = created + 0.03
        end = runs + 0.03 + 100.0 + 0.02
        ends.append((end, str(i + 1), lane))
        b.flow("spawn", "1", str(i + 1), "task", created, main, runs, lane)
        b.task(str(i + 1), f"sleeper {i}", "1",
               [("ready", None, created, runs, lane),
                ("running", None, runs, runs + 0.03, lane),
                ("waiting", "timer", runs + 0.03, end - 0.02, lane),
                ("running", None, end - 0.02, end, lane)])
    done, last, lane = max(ends)
    b.flow("wake", last, "1", "task", done, lane, done + 0.02, main)
    b.task("1", "main", None,
           [("running", None, 0.0, 0.05 * n + 0.02, main),
            ("waiting", "join", 0.05 * n + 0.02, done + 0.02, main),
            ("running", None, done + 0.02, done + 0.05, main)])
    return b.document()


def fixtures(fold_tasks=20_000):
    """Every scenario by file stem."""
    return {"sequential_231": sequential_231(),
            "coroutines_231": event_loop_231(),
            "coroutines_stall": coroutines_stall(),
            "threads_231": blocking_231("threads"),
            "processes_231": blocking_231("processes"),
            "threads_cpu": threads_cpu(),
            "coroutines_fold": coroutines_fold(fold_tasks),
            "threads_fold": threads_fold()}


def write(out_dir, fold_tasks=20_000):
    """Write every scenario as OUT_DIR/<stem>.json; returns {stem: path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for stem, doc in fixtures(fold_tasks).items():
        paths[stem] = out_dir / f"{stem}.json"
        paths[stem].write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write synthetic timelines for the tests.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--tasks", type=int, default=20_000, help="tasks in coroutines_fold")
    args = parser.parse_args(argv)
    for path in write(args.out_dir, args.tasks).values():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
