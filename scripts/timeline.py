#!/usr/bin/python3
"""Draw the timeline of one run of a cell: which OS thread ran what, and what each task did.

Usage:
  /usr/bin/python3 scripts/timeline.py TRACE.json [TRACE2.json ...] --out STEM [--title T ...]
  /usr/bin/python3 scripts/timeline.py --check TRACE.json [TRACE2.json ...]

The input is the Chrome Trace Event JSON that a model's trace recorder writes (Perfetto
opens the same file). The chart is written as STEM.png and STEM.svg. With several traces the
runs are stacked top to bottom on one time axis, each from its own start, so the same
tasks run by different models compare at a glance. --check only validates the structure:
exit 0 when sound, 1 with the first problem, 2 when the file is not a trace at all.
From Python (the report, scripts/cmbench_report/): draw(traces, out_stem, titles) ->
[png, svg], load(path), summary(trace) -> the run's figures, check(trace) -> the first
problem or None; bad input raises TraceError. The look (type, grid, resolution, the models'
colours) is the report's own, from cmbench_report/style.py.

How to read it (one block per trace, time in ms since the run started):
- Top, "OS threads": one lane per OS thread or process. A bar is a time it was on a CPU,
  coloured by the task it ran (grey: the event loop's own work). A gap is a time it was
  off the CPU: idle, or blocked. A hatched band marks a gap with the same task on both
  sides: the thread was blocked inside that task's wait (a blocking sleep or read holds
  the whole thread). A loop thread's gaps are never marked, since a loop waits for
  whichever of its tasks is due first.
- Beneath it, "cores busy": how many of those lanes were on a CPU at each moment, against
  the machine's core count (dashed). Above 1 is parallelism.
- Bottom, "tasks": one lane per task. Tall solid bar: running (the task's colour, the
  same as in the top view). Hatched: ready, wanting a thread. Light bands: waiting, the
  colour says on what (timer, read, write, lock, join, pool, process). Arrows: a spawn
  (black) and a wake-up (purple); a wake-up by a timer, I/O or the pool comes from above.
- Red: a stall. A slow-callback detector (asyncio's debug mode, the reactor's, the fibers
  hub's) found one callback or task step that held an event loop's thread, so no other
  task could run: a red box on that OS lane, a red band across the tasks, and a red line
  in the caption.
- Caption: wall time, Σ task time (each task's life, creation to finish, summed), CPU time,
  and the overlap meter: concurrency = Σ task time ÷ wall, parallelism = CPU ÷ wall.
  Concurrency is tasks overlapping in time (waits interleaved on one thread does it);
  parallelism is CPUs working at once (it needs several OS threads or processes).
So concurrency shows as task lanes whose waits overlap above a single OS lane that is
mostly empty; parallelism as two OS lanes busy at once and the cores strip at 2; a
blocked thread as an OS lane with a hatched gap while its task waits.

How the fold works: with more than 32 tasks the task lanes fold into one stacked area that
shows, over 400 equal bins of the run, how many tasks were in each state, time-weighted:
a bin's height for a state is the time all tasks spent in that state within the bin
divided by the bin's width, so a running slice of a few microseconds still counts for
its share (sampling at the bin's midpoint would drop it). More than 32 OS threads fold
the same way into the number of threads on a CPU and the number alive but off it (idle
or blocked), a thread being alive from its first slice to its last.

Cost: reading the JSON dominates; the rest is vectorised (numpy; one PolyCollection per
kind of bar, boxes of one colour closer than a pixel merged first). A trace of 10^5
sleeping tasks on one loop (1.8 M events, 206 MB) takes 25-30 s and 1.6 GB on a 2-core VM,
more than half of it in json.load; 20 000 tasks take 4-9 s, three tasks 2 s. Slices
narrower than 1.5 pixels are drawn 1.5 pixels wide so that short runs stay visible, and
the cores strip shows the peak within each such width; the caption's figures are exact.
"""

import argparse
import io
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import matplotlib

matplotlib.use("Agg")  # files only, never a display
import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from cmbench_report.files import write_atomic  # noqa: E402
from cmbench_report.style import DPI, MODEL_STYLE, set_chart_style  # noqa: E402

FOLD_ABOVE = 32  # more lanes than this become a density band
BINS = 400  # bins of a density band
MIN_SLICE_PX = 1.5  # narrower slices are widened to this on the picture, never in the numbers
RASTER_ABOVE = 3000  # polygons: beyond this a collection is a bitmap inside the SVG
MAX_ARROWS = 150  # more flows than this are drawn as plain thin lines, without heads

# A task's states in the order the density stacks them, bottom up: running nearest the axis.
STATES = ("running", "ready", "waiting: timer", "waiting: read", "waiting: write",
          "waiting: lock", "waiting: join", "waiting: pool", "waiting: process", "other")
STATE_INDEX = {name: i for i, name in enumerate(STATES)}
RUNNING, READY, OTHER = 0, 1, len(STATES) - 1
# Waits are light, so that a running bar (strong, the task's colour) always stands out.
# Paul Tol's "light" scheme, told apart with the common colour-vision deficiencies; the two
# directions of I/O share a family of blues.
STATE_COLOURS = ("#4477AA", "#FFFFFF", "#EEDD88", "#99DDFF", "#77AADD", "#FFAABB",
                 "#BBCC33", "#EE8866", "#44BB99", "#DDDDDD")
STATE_LABELS = {"running": "running", "ready": "ready: wants a thread",
                "other": "other state"}
HATCH_COLOUR = "#666666"
# Tasks and the slices they ran keep one colour in both views: strong colours (Okabe–Ito
# and Tol's muted, the light ones left out so that no task looks like a wait).
TASK_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#332288", "#882255",
                "#117733", "#999933", "#AA4499", "#E69F00", "#44AA99", "#56B4E9")
LOOP_COLOUR = "#BDBDBD"  # an OS thread busy with no task: the event loop's own work
UNNAMED_COLOUR = "#8C8C8C"  # busy with something the trace does not name as a task
IDLE_COLOUR = "#E3E3E3"  # a folded thread alive but off the CPU
CORES_COLOUR = "#3A3A3A"
FLOW_COLOURS = {"spawn": "#000000", "wake": "#AA3377"}
STALL_COLOUR = "#D7191C"  # a stall a slow-callback detector recorded (cat "slow")
OUTCOME_MARKERS = {"exception": ("X", "#CC3311", "failed (exception)"),
                   "cancelled": ("o", "#777777", "cancelled")}

# Heights in inches, so a lane reads the same in a small chart and in a stack of seven.
LANE_IN = 0.3
STRIP_IN = 0.5
DENSITY_IN = 1.6
TITLE_IN = 0.62
HEADING_IN = 0.3
AXIS_IN = 0.42
CAPTION_LINE_IN = 0.24
BLOCK_GAP_IN = 0.3
WIDTH_IN = 14.0
RIGHT_IN = 3.1  # the legend's column


class TraceError(Exception):
    """The file is missing, not JSON or not a trace: the CLI says so and exits 2."""


# ---------------------------------------------------------------------------- reading

def load(path):
    """The trace's JSON document, with its top level checked; raises TraceError."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise TraceError(f"{path}: no such file")
    except (OSError, ValueError) as e:  # ValueError covers bad JSON and bad UTF-8
        raise TraceError(f"{path}: not readable JSON: {e}")
    return as_trace(doc, str(path))


def as_trace(doc, name="trace"):
    """`doc` itself when it is shaped like a Chrome trace at the top level."""
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        raise TraceError(f"{name}: not a trace (expected an object with a 'traceEvents' list)")
    if not isinstance(doc.get("otherData", {}), dict):
        raise TraceError(f"{name}: 'otherData' is not an object")
    return doc


def trace_doc(trace):
    """A path or an already loaded document, as a document."""
    return as_trace(trace) if isinstance(trace, dict) else load(trace)


def read(trace):
    """A path or a document, parsed. Events of the wrong type (a string for a time, say)
    surface as a TraceError that names the file, never as a traceback."""
    doc = trace_doc(trace)
    try:
        return parse(doc)
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        name = "trace" if isinstance(trace, dict) else str(trace)
        raise TraceError(f"{name}: malformed events ({type(e).__name__}: {e}); "
                         f"--check names the first problem")


# ---------------------------------------------------------------------------- checking

def problems(doc):
    """Yields each structural problem, in file order, then those only the end reveals.

    What the chart and Perfetto rely on: b/e pairs closed and nested per (cat, id), lanes'
    slices and each id's events in time order, flows paired, every lane named."""
    thread_named, process_named = set(), set()
    used = {}  # (pid, tid) -> where it was first used
    last_slice = {}  # (pid, tid) -> ts of the latest X slice there
    open_pairs = {}  # (cat, id) -> stack of (name, where)
    last_async = {}  # (cat, id) -> latest ts
    flows = {}  # (cat, name, id) -> [where, ts of s, number of f]
    for i, e in enumerate(doc["traceEvents"]):
        if not isinstance(e, dict):
            yield f"event #{i} is not an object"
            return
        ph, name = e.get("ph"), e.get("name")
        where = f"event #{i} (ph '{ph}', name {name!r})"
        if ph == "M":
            label = (e.get("args") or {}).get("name") if isinstance(e.get("args"), dict) else None
            if name == "thread_name" and label:
                thread_named.add((e.get("pid"), e.get("tid")))
            elif name == "process_name" and label:
                process_named.add(e.get("pid"))
            continue
        ts = e.get("ts")
        if not is_number(ts):
            yield f"{where}: no numeric 'ts'"
            return
        lane = (e.get("pid"), e.get("tid"))
        if lane[0] is None or lane[1] is None:
            yield f"{where}: no 'pid' or 'tid'"
            return
        used.setdefault(lane, where)
        if ph == "X":
            if not is_number(e.get("dur")) or e["dur"] < 0:
                yield f"{where}: a complete event needs a 'dur' ≥ 0"
                return
            if ts < last_slice.get(lane, -math.inf):
                yield (f"{where}: starts at {ts} µs, before the slice before it on lane "
                       f"{lane} started ({last_slice[lane]} µs)")
                return
            last_slice[lane] = ts
        elif ph in ("b", "e"):
            if "cat" not in e or "id" not in e:
                yield f"{where}: an async event needs 'cat' and 'id'"
                return
            key = (e["cat"], str(e["id"]))
            if ts < last_async.get(key, -math.inf):
                yield f"{where}: out of time order for id {key[1]!r} ({ts} < {last_async[key]})"
                return
            last_async[key] = ts
            stack = open_pairs.setdefault(key, [])
            if ph == "b":
                if e["cat"] == "task" and not stack and not (isinstance(name, str) and name):
                    yield f"{where}: a task's 'b' needs a non-empty name"
                    return
                stack.append((name, where))
            elif not stack:
                yield f"{where}: an 'e' with no open 'b' for cat {key[0]!r}, id {key[1]!r}"
                return
            elif stack[-1][0] != name:
                yield f"{where}: closes {stack[-1][0]!r} ({stack[-1][1]}): not nested"
                return
            else:
                stack.pop()
        elif ph in ("s", "f"):
            key = (e.get("cat"), name, str(e.get("id")))
            if ph == "s":
                if key in flows:
                    yield f"{where}: a second flow start with id {key[2]!r}"
                    return
                flows[key] = [where, ts, 0]
            elif key not in flows:
                yield f"{where}: a flow end with no start (cat, name, id) = {key}"
                return
            else:
                flows[key][2] += 1
                if flows[key][2] > 1:
                    yield f"{where}: a second flow end for id {key[2]!r}"
                    return
                if ts < flows[key][1]:
                    yield (f"{where}: the flow ends ({ts} µs) before it starts "
                           f"({flows[key][1]} µs)")
                    return
    for key, stack in open_pairs.items():
        if stack:
            yield f"{stack[-1][1]}: a 'b' never closed by an 'e' (cat {key[0]!r}, id {key[1]!r})"
            return
    for key, (where, _, ends) in flows.items():
        if ends == 0:
            yield f"{where}: a flow start with no end (id {key[2]!r})"
            return
    for lane, where in used.items():
        if lane not in thread_named:
            yield f"lane pid {lane[0]}, tid {lane[1]} (first used by {where}) has no thread_name"
            return
        if lane[0] not in process_named:
            yield f"process {lane[0]} (first used by {where}) has no process_name"
            return


def check(trace):
    """The first structural problem of a trace (path or document), or None when sound."""
    doc = trace_doc(trace)
    try:
        return next(problems(doc), None)
    except (TypeError, ValueError, AttributeError) as e:  # e.g. a list where a pid belongs
        return f"a malformed event ({type(e).__name__}: {e})"


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


# ---------------------------------------------------------------------------- the run

@dataclass
class Lane:
    """One OS thread (or process). Times in ms since the run's start.

    `owner` is the task index a slice ran, or -1 for the loop's own work, -2 unnamed."""
    label: str
    pid: object
    starts: np.ndarray
    ends: np.ndarray
    owner: np.ndarray
    is_loop: bool
    tid: object = None


@dataclass
class Timeline:
    """One trace, reduced to what the chart draws. Times in ms since the run's start."""
    cell: str
    model: str
    other: dict
    events: int
    lanes: list
    task_names: list
    task_starts: np.ndarray
    task_ends: np.ndarray
    outcomes: list
    state_task: np.ndarray  # one entry per state interval: its task's index
    state_code: np.ndarray  # its index in STATES
    state_starts: np.ndarray
    state_ends: np.ndarray
    flows: list = field(default_factory=list)  # (name, from index or -1, to index, ts, tf)
    stalls: list = field(default_factory=list)  # (lane index or -1, start, end, name)
    end: float = 0.0

    @property
    def fold_tasks(self):
        return len(self.task_names) > FOLD_ABOVE

    @property
    def fold_lanes(self):
        return len(self.lanes) > FOLD_ABOVE


def parse(doc):
    """Group a trace's events into lanes, tasks, states and flows (one pass, then numpy)."""
    other = doc.get("otherData") or {}
    events = doc["traceEvents"]
    t0 = other.get("t0_us")
    if not is_number(t0):
        stamps = [e["ts"] for e in events if isinstance(e, dict) and is_number(e.get("ts"))]
        t0 = min(stamps) if stamps else 0.0
    names = {"process_name": {}, "thread_name": {}, "process_sort_index": {},
             "thread_sort_index": {}}
    slices = {}  # (pid, tid) -> [ts...], [dur...], [task id or name...]
    by_task = {}  # task id -> its b/e events in file order
    flow_s, flow_f = {}, {}
    stall_pairs = {}  # id -> [lane, start ts, end ts, name]: the slow-callback detectors' finds
    for e in events:
        if not isinstance(e, dict):
            continue
        ph = e.get("ph")
        if ph == "X":
            lane = slices.setdefault((e.get("pid"), e.get("tid")), ([], [], []))
            lane[0].append(e.get("ts", t0))
            lane[1].append(e.get("dur", 0.0))
            task = (e.get("args") or {}).get("task")
            lane[2].append(("task", str(task)) if task is not None else ("name", e.get("name")))
        elif ph in ("b", "e") and e.get("cat") == "task":
            by_task.setdefault(str(e.get("id")), []).append(e)
        elif ph in ("b", "e") and e.get("cat") == "slow":
            pair = stall_pairs.setdefault(str(e.get("id")), [None, None, None, None])
            if ph == "b":
                pair[0], pair[1], pair[3] = (e.get("pid"), e.get("tid")), e["ts"], e.get("name")
            else:
                pair[2] = e["ts"]
        elif ph == "s" and e.get("cat") == "flow":
            flow_s[(e.get("name"), e.get("id"))] = e
        elif ph == "f" and e.get("cat") == "flow":
            flow_f[(e.get("name"), e.get("id"))] = e
        elif ph == "M" and e.get("name") in names:
            args = e.get("args") if isinstance(e.get("args"), dict) else {}
            value = args.get("name", args.get("sort_index"))
            key = e.get("pid") if e.get("name").startswith("process") else (e.get("pid"),
                                                                              e.get("tid"))
            names[e["name"]][key] = value
    tasks = read_tasks(by_task, t0)
    index = {task_id: i for i, task_id in enumerate(tasks["ids"])}
    lanes = read_lanes(slices, names, index, t0)
    flows = read_flows(flow_s, flow_f, index, t0)
    lane_index = {(lane.pid, lane.tid): i for i, lane in enumerate(lanes)}
    stalls = sorted((lane_index.get(where, -1), (b - t0) / 1000.0, (e - t0) / 1000.0,
                     str(name or "slow"))
                    for where, b, e, name in stall_pairs.values()
                    if is_number(b) and is_number(e) and e >= b)
    ends = [tasks["ends"].max(initial=0.0)] + [lane.ends.max(initial=0.0) for lane in lanes]
    wall = other.get("wall_ns")
    timeline = Timeline(
        cell=str(other.get("cell") or ""), model=str(other.get("model") or ""), other=other,
        events=len(events), lanes=lanes, task_names=tasks["names"],
        task_starts=tasks["starts"], task_ends=tasks["ends"], outcomes=tasks["outcomes"],
        state_task=tasks["state_task"], state_code=tasks["state_code"],
        state_starts=tasks["state_starts"], state_ends=tasks["state_ends"], flows=flows,
        stalls=stalls)
    timeline.end = max(ends + [wall / 1e6 if is_number(wall) else 0.0])
    return timeline


def read_tasks(by_task, t0):
    """Each task's life (its outer b/e pair) and its states (the pairs nested in it).

    Tasks are ordered by creation, so that lanes read top-down in the order they began."""
    ids, names, starts, ends, outcomes, roots = [], [], [], [], [], []
    s_task, s_code, s_start, s_end = [], [], [], []
    for task_id, evs in by_task.items():
        evs.sort(key=lambda e: e.get("ts", 0.0))  # stable: file order breaks ties
        depth, start, end, name, outcome, state, root = 0, None, None, None, "ok", None, True
        for e in evs:
            ts = (e.get("ts", t0) - t0) / 1000.0
            if e["ph"] == "b":
                if depth == 0 and start is None:
                    start, name = ts, str(e.get("name") or task_id)
                    root = (e.get("args") or {}).get("parent") is None
                elif depth == 1:
                    state = (STATE_INDEX.get(e.get("name"), OTHER), ts)
                depth += 1
            else:
                depth -= 1
                if depth == 1 and state is not None:
                    s_task.append(len(ids))
                    s_code.append(state[0])
                    s_start.append(state[1])
                    s_end.append(ts)
                    state = None
                elif depth == 0:
                    end = ts
                    outcome = (e.get("args") or {}).get("outcome", "ok")
        if start is None:
            continue  # state events with no life around them: nothing to place them in
        last = (evs[-1].get("ts", t0) - t0) / 1000.0  # an unclosed life ends at its last event
        ids.append(task_id)
        names.append(name)
        starts.append(start)
        ends.append(end if end is not None else max(start, last))
        outcomes.append(outcome)
        roots.append(root)
    # By creation; a parent created in the same instant as its first child comes first.
    order = np.lexsort((~np.asarray(roots, dtype=bool), np.asarray(starts, dtype=float)))
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    return {"ids": [ids[i] for i in order], "names": [names[i] for i in order],
            "starts": np.asarray(starts, dtype=float)[order],
            "ends": np.asarray(ends, dtype=float)[order],
            "outcomes": [outcomes[i] for i in order],
            "state_task": rank[np.asarray(s_task, dtype=int)] if s_task else
            np.zeros(0, dtype=int),
            "state_code": np.asarray(s_code, dtype=int),
            "state_starts": np.asarray(s_start, dtype=float),
            "state_ends": np.asarray(s_end, dtype=float)}


def read_lanes(slices, names, index, t0):
    """One Lane per (pid, tid) that ran something, ordered by (process, sort index, tid)."""
    pids = list(dict.fromkeys(pid for pid, _ in slices))
    main_pid = pids[0] if pids else None
    lanes = []
    for pid, tid in sorted(slices, key=lambda k: (
            number_or(names["process_sort_index"].get(k[0]), 0), pids.index(k[0]),
            number_or(names["thread_sort_index"].get(k), 0), str(k[1]))):
        ts, dur, what = slices[(pid, tid)]
        starts = (np.asarray(ts, dtype=float) - t0) / 1000.0
        owner = np.array([index.get(v, -2) if kind == "task" else (-1 if v == "loop" else -2)
                          for kind, v in what], dtype=int)
        thread = str(names["thread_name"].get((pid, tid)) or f"thread {tid}")
        process = str(names["process_name"].get(pid) or f"process {pid}")
        if pid == main_pid or len(pids) == 1:
            label = thread
        else:
            label = process if thread in ("main", process) else f"{process} · {thread}"
        is_loop = bool((owner == -1).any()) or "loop" in thread or "hub" in thread
        ends = starts + np.asarray(dur, dtype=float) / 1000.0
        lanes.append(Lane(label, pid, starts, ends, owner, is_loop, tid))
    return lanes


def read_flows(flow_s, flow_f, index, t0):
    """(name, from, to, ts, tf) per paired flow whose target is a known task."""
    flows = []
    for key, s in flow_s.items():
        f = flow_f.get(key)
        args = s.get("args") or {}
        target = index.get(str(args.get("to")))
        if f is None or target is None:
            continue
        source = index.get(str(args.get("from")), -1) if args.get("from") is not None else -1
        flows.append((str(key[0]), source, target, (s.get("ts", t0) - t0) / 1000.0,
                      (f.get("ts", t0) - t0) / 1000.0))
    return flows


def number_or(x, default):
    return x if is_number(x) else default


# ---------------------------------------------------------------------------- arithmetic

def union(starts, ends):
    """Merged intervals: nested or overlapping slices of one lane count once as busy."""
    if len(starts) == 0:
        return starts, ends
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    first = np.ones(len(s), dtype=bool)
    first[1:] = s[1:] > reach[:-1]
    heads = np.flatnonzero(first)
    tails = np.r_[heads[1:] - 1, len(s) - 1]
    return s[heads], reach[tails]


def busy_steps(lanes):
    """(times, counts): how many lanes were on a CPU from each time to the next."""
    spans = [union(lane.starts, lane.ends) for lane in lanes]
    starts = np.concatenate([s for s, _ in spans] or [np.zeros(0)])
    ends = np.concatenate([e for _, e in spans] or [np.zeros(0)])
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
    order = np.lexsort((steps, times))  # at a tie an end comes first: no false peak
    return times[order], np.cumsum(steps[order])


def mean_count(starts, ends, edges):
    """Time-weighted number of intervals inside each bin [edges[i], edges[i+1]].

    Built on the covered time up to t, Σ min(max(t − s, 0), e − s), which sorted starts and
    ends with their cumulative sums give for every edge at once."""
    if len(starts) == 0:
        return np.zeros(len(edges) - 1)
    s, e = np.sort(starts), np.sort(ends)
    cs, ce = np.r_[0.0, np.cumsum(s)], np.r_[0.0, np.cumsum(e)]
    ks, ke = np.searchsorted(s, edges, "right"), np.searchsorted(e, edges, "right")
    covered = (ks * edges - cs[ks]) - (ke * edges - ce[ke])
    return np.diff(covered) / np.diff(edges)


def blocked_gaps(lane):
    """(starts, ends, task) of the gaps where a thread sat blocked in its own task's wait:
    the same task on both sides of the gap, on a lane that is not an event loop's."""
    if lane.is_loop or len(lane.starts) < 2:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=int)
    order = np.argsort(lane.starts, kind="stable")
    s, e, who = lane.starts[order], lane.ends[order], lane.owner[order]
    reach = np.maximum.accumulate(e)
    gap = (who[:-1] == who[1:]) & (who[:-1] >= 0) & (s[1:] > reach[:-1])
    return reach[:-1][gap], s[1:][gap], who[:-1][gap]


def summary(trace):
    """The run's figures: the recorder's own (otherData) where given, else from the events.

    Keys: cell, model, wall_ns, cpu_ns, task_lifetime_ns, task_running_ns, tasks, threads,
    events, dropped, cores (None when the trace does not say), peak_busy, concurrency,
    parallelism (the last two as ratios)."""
    timeline = trace if isinstance(trace, Timeline) else read(trace)
    return timeline_summary(timeline)


def timeline_summary(tl):
    other = tl.other
    running = tl.state_code == RUNNING
    times, counts = busy_steps(tl.lanes)
    busy_ms = float(np.sum(np.diff(times) * counts[:-1])) if len(times) else 0.0

    def given(key, fallback):
        return other[key] if is_number(other.get(key)) else fallback

    out = {"cell": tl.cell, "model": tl.model,
           "wall_ns": given("wall_ns", tl.end * 1e6),
           "cpu_ns": given("cpu_ns", busy_ms * 1e6),
           "task_lifetime_ns": given("task_lifetime_ns",
                                     float(np.sum(tl.task_ends - tl.task_starts)) * 1e6),
           "task_running_ns": given("task_running_ns", float(np.sum(
               tl.state_ends[running] - tl.state_starts[running])) * 1e6),
           "tasks": given("tasks", len(tl.task_names)), "threads": len(tl.lanes),
           "processes": len({lane.pid for lane in tl.lanes}),
           "events": given("events", tl.events), "dropped": given("dropped", 0),
           "peak_busy": int(counts.max(initial=0)),
           "stalls": len(tl.stalls),
           "stalled_ns": sum(end - start for _, start, end, _ in tl.stalls) * 1e6}
    out["cores"] = int(other["cores"]) if is_number(other.get("cores")) else None
    wall = out["wall_ns"]
    out["concurrency"] = out["task_lifetime_ns"] / wall if wall > 0 else 0.0
    out["parallelism"] = out["cpu_ns"] / wall if wall > 0 else 0.0
    return out


# ---------------------------------------------------------------------------- text

def fmt_ms(ms):
    """A duration with 3 significant digits in the unit that reads 1 to 999."""
    if ms <= 0:
        return "0"
    seconds = ms / 1000.0
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= factor or unit == "ns":
            value = seconds / factor
            return (f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10
                    else f"{value:.2f}") + f" {unit}"


def fmt_ratio(x):
    """2.0×, 0.52×, 0.003×: enough digits to tell a small ratio from zero."""
    if x >= 10:
        return f"{x:,.0f}×".replace(",", " ")
    if x >= 0.95:  # 0.9996 reads as the 1.0× it is
        return f"{x:.1f}×"
    if x >= 0.01:
        return f"{x:.2f}×"
    return f"{x:.1g}×" if x > 0 else "0×"


def plural(n, word):
    ending = "" if n == 1 else "es" if word.endswith("s") else "s"
    return f"{n:,} {word}{ending}".replace(",", " ")


def caption_lines(facts):
    """The caption under a block: the figures, then the overlap meter, then any loss."""
    lanes = plural(facts["threads"], "OS thread")
    if facts["processes"] > 1:
        lanes += f" in {plural(facts['processes'], 'process')}"
    lines = [(f"wall {fmt_ms(facts['wall_ns'] / 1e6)} · Σ task time "
              f"{fmt_ms(facts['task_lifetime_ns'] / 1e6)} · CPU {fmt_ms(facts['cpu_ns'] / 1e6)}"
              f" · {plural(int(facts['tasks']), 'task')} on "
              f"{lanes}" + (f" · {plural(facts['cores'], 'core')}" if facts["cores"] else ""),
              "#222222", "normal"),
             (f"overlap meter: concurrency {fmt_ratio(facts['concurrency'])} "
              f"(Σ task time ÷ wall) · parallelism {fmt_ratio(facts['parallelism'])} "
              f"(CPU ÷ wall)", "#000000", "bold")]
    if facts.get("stalls"):
        lines.append((f"{plural(facts['stalls'], 'stall')} of the loop (red), "
                      f"{fmt_ms(facts['stalled_ns'] / 1e6)} in all: one callback or step held "
                      f"its thread and no other task ran", STALL_COLOUR, "bold"))
    if facts["dropped"] > 0:
        lines.append((f"{plural(int(facts['dropped']), 'event')} lost to a full trace buffer: "
                      f"this picture is incomplete", "#CC0000", "bold"))
    return lines


def short(text, width=30):
    return text if len(text) <= width else text[:width - 1] + "…"


# ---------------------------------------------------------------------------- drawing

def chart_style():
    """The report's look (large type, light grid), so a timeline sits well beside its charts."""
    set_chart_style()
    return MODEL_STYLE


def task_colour(i):
    return TASK_COLOURS[i % len(TASK_COLOURS)]


def owner_colours(owner, fold_tasks):
    """Colour of each slice from the task it ran (one colour when tasks are folded)."""
    palette = np.array(TASK_COLOURS)
    colours = np.where(owner >= 0, palette[np.maximum(owner, 0) % len(palette)], UNNAMED_COLOUR)
    if fold_tasks:
        colours = np.where(owner >= 0, STATE_COLOURS[RUNNING], colours)
    return np.where(owner == -1, LOOP_COLOUR, colours)


def merge_close(x0, x1, key, min_gap):
    """Boxes of one key (a lane and a colour) less than min_gap apart become one box.

    Closer than a pixel they would look like one anyway, and so a lane with 10^5 slices
    draws as fast as a lane with ten. Keys are laid end to end on one long axis, each
    `span` after the last, so a single running maximum serves all of them."""
    if len(x0) == 0:
        return x0, x1, key.astype(int)
    base = float(x0.min())
    span = 2.0 * (float(x1.max()) - base + min_gap) + 1.0
    order = np.lexsort((x0, key))
    k = key[order].astype(int)
    shift = k * span
    s, e = x0[order] - base + shift, x1[order] - base + shift
    reach = np.maximum.accumulate(e)
    head = np.ones(len(s), dtype=bool)
    head[1:] = (s[1:] > reach[:-1] + min_gap) | (k[1:] != k[:-1])
    heads = np.flatnonzero(head)
    tails = np.r_[heads[1:] - 1, len(s) - 1]
    return x0[order][heads], reach[tails] - shift[tails] + base, k[heads]


def boxes(x0, x1, y, height, min_width):
    """Vertices of rectangles [x0, x1] × [y ± height/2], at least min_width wide."""
    x1 = np.maximum(x1, x0 + min_width)
    verts = np.empty((len(x0), 4, 2))
    verts[:, 0, 0] = verts[:, 1, 0] = x0
    verts[:, 2, 0] = verts[:, 3, 0] = x1
    verts[:, 0, 1] = verts[:, 3, 1] = y - height / 2
    verts[:, 1, 1] = verts[:, 2, 1] = y + height / 2
    return verts


def add_boxes(ax, verts, **style):
    if len(verts) == 0:
        return None
    collection = PolyCollection(verts, linewidths=0, antialiaseds=False, **style)
    collection.set_rasterized(len(verts) > RASTER_ABOVE)
    ax.add_collection(collection)
    return collection


def lane_axes(ax, labels, colours=None, empty="none recorded"):
    """Lanes top-down, a label each, faint stripes to guide the eye along a long lane."""
    n = len(labels)
    if n == 0:  # say so, rather than leave a blank the reader takes for idle time
        ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", va="center",
                fontsize=11, color="#777777")
    ax.set_ylim(max(n, 1) - 0.5, -0.5)
    ax.set_yticks(range(n))
    ax.set_yticklabels(labels, fontsize=11)
    if colours is not None:
        for tick, colour in zip(ax.get_yticklabels(), colours):
            tick.set_color(colour)
    ax.tick_params(axis="y", length=0)
    ax.grid(False, axis="y")
    for i in range(1, n, 2):
        ax.axhspan(i - 0.5, i + 0.5, color="#F3F3F3", zorder=0, linewidth=0)
    for side in ("left", "top", "right"):
        ax.spines[side].set_visible(False)


def draw_thread_lanes(ax, tl, min_width):
    """Each OS thread's busy slices: the loop's own first, then the tasks', longer ones
    first, so a task's slice shows on top of the loop slice around it."""
    x0, x1, y, owner = [], [], [], []
    for i, lane in enumerate(tl.lanes):
        x0.append(lane.starts)
        x1.append(lane.ends)
        y.append(np.full(len(lane.starts), float(i)))
        owner.append(lane.owner)
        if len(lane.starts):  # a hairline for the thread's life: its gaps read as gaps
            ax.plot([lane.starts.min(), lane.ends.max()], [i, i], color="#BBBBBB", lw=0.8,
                    zorder=1)
    x0, x1, y, owner = (np.concatenate(a) if a else np.zeros(0) for a in (x0, x1, y, owner))
    owner = owner.astype(int)
    if tl.fold_tasks:
        owner = np.where(owner >= 0, 0, owner)  # one colour for all: merge them all
    kinds = int(owner.max(initial=0)) + 3
    x0, x1, key = merge_close(x0, x1, y.astype(int) * kinds + owner + 2, min_width)
    order = np.lexsort((-(x1 - x0), key % kinds >= 2))
    add_boxes(ax, boxes(x0[order], x1[order], (key[order] // kinds).astype(float), 0.72,
                        min_width),
              facecolors=owner_colours(key[order] % kinds - 2, tl.fold_tasks), zorder=3)
    gaps = [(blocked_gaps(lane), i) for i, lane in enumerate(tl.lanes)]
    g0 = np.concatenate([g[0] for g, _ in gaps] or [np.zeros(0)])
    g1 = np.concatenate([g[1] for g, _ in gaps] or [np.zeros(0)])
    gy = np.concatenate([np.full(len(g[0]), float(i)) for g, i in gaps] or [np.zeros(0)])
    gw = np.concatenate([g[2] for g, _ in gaps] or [np.zeros(0, dtype=int)])
    blocked = add_boxes(ax, boxes(g0, g1, gy, 0.36, 0.0), facecolors=owner_colours(
        gw, tl.fold_tasks), alpha=0.3, hatch="////", edgecolors=HATCH_COLOUR, zorder=2)
    lane_axes(ax, [short(lane.label, 26) for lane in tl.lanes],
              empty="no OS thread slices in this trace")
    draw_stalls_on_lanes(ax, tl, min_width)
    return blocked is not None


def draw_stalls_on_lanes(ax, tl, min_width):
    """A red box over the OS lane a stall held, above its slices."""
    held = [(lane, start, end) for lane, start, end, _ in tl.stalls if lane >= 0]
    if not held:
        return
    lane, x0, x1 = (np.array(column, dtype=float) for column in zip(*held))
    add_boxes(ax, boxes(x0, x1, lane, 0.9, min_width), facecolors=STALL_COLOUR, alpha=0.85,
              edgecolors=STALL_COLOUR, zorder=4)
    for y, start, end in held:
        ax.annotate(f"stalled {fmt_ms(end - start)}", xy=(end, y), xytext=(3, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=9,
                    color=STALL_COLOUR, weight="bold", zorder=6, annotation_clip=False)


def draw_stall_bands(ax, tl):
    """Red bands across every task: while a stall lasts, none of them can run."""
    for _, start, end, _ in tl.stalls:
        ax.axvspan(start, end, color=STALL_COLOUR, alpha=0.12, zorder=0.5, linewidth=0)


def draw_thread_density(ax, tl):
    """Folded OS lanes: how many threads were on a CPU, and how many alive but off it."""
    edges = np.linspace(0.0, tl.end, BINS + 1)
    spans = [union(lane.starts, lane.ends) for lane in tl.lanes if len(lane.starts)]
    busy = mean_count(np.concatenate([s for s, _ in spans]), np.concatenate([e for _, e in
                                                                            spans]), edges)
    alive = mean_count(np.array([s[0] for s, _ in spans]), np.array([e[-1] for _, e in spans]),
                       edges)
    ax.stairs(busy, edges, fill=True, color=STATE_COLOURS[RUNNING], linewidth=0)
    ax.stairs(np.maximum(alive, busy), edges, baseline=busy, fill=True, color=IDLE_COLOUR,
              linewidth=0)
    ax.set_ylim(0, max(1.0, float(alive.max(initial=0))) * 1.05)
    ax.yaxis.set_major_locator(MaxNLocator(3, integer=True))
    ax.tick_params(axis="y", labelsize=10)
    ax.set_ylabel(f"{plural(len(tl.lanes), 'thread')}\n(folded)", fontsize=11)
    ax.grid(False, axis="y")


def peak_per_bin(times, counts, edges):
    """The highest count reached within each bin, so that a blip shorter than a bin (a
    task running for 20 µs in a 300 ms picture) still shows at its full height."""
    at = np.searchsorted(times, edges[:-1], "right") - 1
    peak = np.where(at >= 0, counts[np.maximum(at, 0)], 0.0)
    which = np.searchsorted(edges, times, "right") - 1
    inside = (which >= 0) & (which < len(peak))
    np.maximum.at(peak, which[inside], counts[inside])
    return peak


def draw_cores(ax, tl, cores, x_end, bins):
    """The number of lanes on a CPU, its peak in each pixel-wide bin, against the cores."""
    times, counts = busy_steps(tl.lanes)
    edges = np.linspace(0.0, x_end, bins + 1)
    if len(times):
        ax.stairs(peak_per_bin(times, counts, edges), edges, fill=True, color=CORES_COLOUR,
                  linewidth=0)
    peak = int(counts.max(initial=0))
    top = max(cores or 0, peak, 1)
    ax.set_ylim(0, top * 1.15)
    ax.set_yticks([0, top])
    ax.tick_params(axis="y", labelsize=10, length=2)
    ax.grid(False, axis="y")
    ax.set_ylabel("cores\nbusy", fontsize=10, rotation=0, ha="right", va="center",
                  labelpad=6)
    if cores:  # unknown when the recorder did not say: better no line than a guessed one
        ax.axhline(cores, color="#CC3311", lw=1.0, ls=(0, (4, 3)))
        ax.text(1.002, cores / (top * 1.15), f" {plural(cores, 'core')}", color="#CC3311",
                fontsize=10, transform=ax.transAxes, va="center", ha="left")


def draw_task_lanes(ax, tl, min_width):
    """Each task's states as bands; running as a tall bar in the task's colour."""
    kinds = len(STATES)
    x0, x1, key = merge_close(tl.state_starts, tl.state_ends,
                              tl.state_task * kinds + tl.state_code, min_width)
    task, codes = key // kinds, key % kinds
    y = task.astype(float)
    waits = (codes != RUNNING) & (codes != READY)
    add_boxes(ax, boxes(x0[waits], x1[waits], y[waits], 0.46, min_width),
              facecolors=np.array(STATE_COLOURS)[codes[waits]], zorder=2)
    ready = codes == READY
    add_boxes(ax, boxes(x0[ready], x1[ready], y[ready], 0.46, min_width), facecolors="white",
              edgecolors=HATCH_COLOUR, hatch="////", zorder=2)
    run = codes == RUNNING
    add_boxes(ax, boxes(x0[run], x1[run], y[run], 0.78, min_width),
              facecolors=np.array(TASK_COLOURS)[task[run] % len(TASK_COLOURS)], zorder=3)
    for outcome, (marker, colour, _) in OUTCOME_MARKERS.items():
        hit = [i for i, o in enumerate(tl.outcomes) if o == outcome]
        if hit:
            ax.plot(tl.task_ends[hit], hit, ls="none", marker=marker, color=colour, ms=8,
                    mec="white", mew=0.8, zorder=5)
    n = len(tl.task_names)
    lane_axes(ax, [short(name) for name in tl.task_names], [task_colour(i) for i in range(n)],
              empty="no task events in this trace")


def draw_flows(ax, tl):
    """Spawn and wake-up arrows between task lanes; a wake with no task behind it (a timer,
    I/O, the pool) drops in from above its lane."""
    if not tl.flows:
        return set()
    segments, colours = [], []
    for name, source, target, ts, tf in tl.flows:
        y0 = source if source >= 0 else target - 0.5  # from the lane's own edge
        segments.append(((ts, y0), (tf, target)))
        colours.append(FLOW_COLOURS.get(name, "#555555"))
    if len(segments) > MAX_ARROWS:
        ax.add_collection(LineCollection(segments, colors=colours, linewidths=0.6, alpha=0.5,
                                         zorder=4))
    else:
        for (start, end), colour in zip(segments, colours):
            ax.annotate("", xy=end, xytext=start, zorder=4, annotation_clip=False,
                        arrowprops={"arrowstyle": "-|>,head_length=0.5,head_width=0.25",
                                    "color": colour, "lw": 1.1, "shrinkA": 0, "shrinkB": 4})
    return {name for name, *_ in tl.flows}


def draw_task_density(ax, tl):
    """Folded tasks: a stacked area of how many were in each state (time-weighted bins)."""
    edges = np.linspace(0.0, tl.end, BINS + 1)
    bottom = np.zeros(BINS)
    present = []
    for code, name in enumerate(STATES):
        mask = tl.state_code == code
        if not mask.any():
            continue
        height = mean_count(tl.state_starts[mask], tl.state_ends[mask], edges)
        ax.stairs(bottom + height, edges, baseline=bottom.copy(), fill=True,
                  color=STATE_COLOURS[code], linewidth=0,
                  hatch="////" if code == READY else None,
                  edgecolor=HATCH_COLOUR if code == READY else None)
        bottom += height
        present.append(code)
    ax.set_ylim(0, max(1.0, float(bottom.max(initial=0))) * 1.05)
    ax.yaxis.set_major_locator(MaxNLocator(4, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", " ")))
    ax.tick_params(axis="y", labelsize=10)
    ax.set_ylabel("tasks in\neach state", fontsize=11)
    ax.grid(False, axis="y")
    return present


@dataclass
class Block:
    """One trace's place in the figure, in inches from the top."""
    timeline: Timeline
    title: str
    facts: dict
    threads_in: float
    tasks_in: float
    height: float


def plan(timeline, title):
    threads_in = (DENSITY_IN * 0.8 if timeline.fold_lanes
                  else max(0.55, LANE_IN * len(timeline.lanes)))
    tasks_in = DENSITY_IN if timeline.fold_tasks else max(0.55, LANE_IN * len(
        timeline.task_names))
    facts = timeline_summary(timeline)
    caption = CAPTION_LINE_IN * len(caption_lines(facts))
    height = (TITLE_IN + threads_in + 0.06 + STRIP_IN + HEADING_IN + tasks_in + AXIS_IN
              + caption)
    return Block(timeline, title, facts, threads_in, tasks_in, height)


def add_axes(fig, top, height, left, shared):
    """An axes `height` inches tall whose top is `top` inches below the figure's top."""
    width, total = fig.get_size_inches()
    return fig.add_axes([left / width, 1 - (top + height) / total,
                         (width - left - RIGHT_IN) / width, height / total], sharex=shared)


def heading(ax, text):
    """A panel's name just above it, at the same distance whatever the panel's height."""
    ax.annotate(text, xy=(0.0, 1.0), xycoords="axes fraction", xytext=(0, 5),
                textcoords="offset points", ha="left", va="bottom", fontsize=11,
                color="#444444", style="italic")


def draw_block(fig, block, top, left, shared, x_end, model_colours, explain):
    """One trace: title, OS lanes, cores strip, tasks, caption. Returns its axes and what
    the legend needs to show. Only the first block of a stack (`explain`) spells out how
    to read its panels: below it the same words would only be noise."""
    tl, facts = block.timeline, block.facts
    plot_px = (fig.get_size_inches()[0] - left - RIGHT_IN) * DPI
    min_width = x_end / plot_px * MIN_SLICE_PX
    shown = {"states": set(), "flows": set(), "blocked": False, "loop": False,
             "stalls": bool(tl.stalls),
             "folded_threads": tl.fold_lanes, "folded_tasks": tl.fold_tasks,
             "task_colours": not tl.fold_tasks and bool(tl.task_names),
             "unnamed": any((lane.owner == -2).any() for lane in tl.lanes),
             "outcomes": {o for o in tl.outcomes if o in OUTCOME_MARKERS} if not tl.fold_tasks
             else set()}
    chip = model_colours.get(tl.model, ("#888888",))[0]
    fig.text(left / fig.get_size_inches()[0], 1 - (top + 0.08) / fig.get_size_inches()[1],
             "■", color=chip, fontsize=17, ha="right", va="top")
    fig.text((left + 0.06) / fig.get_size_inches()[0],
             1 - (top + 0.1) / fig.get_size_inches()[1], block.title, fontsize=14,
             weight="bold", ha="left", va="top")
    y = top + TITLE_IN
    threads = add_axes(fig, y, block.threads_in, left, shared)
    if tl.fold_lanes:
        draw_thread_density(threads, tl)
        heading(threads, f"{plural(len(tl.lanes), 'OS thread')}, folded: how many on a CPU "
                              f"(blue) and alive but off it, idle or blocked (grey)")
    else:
        shown["blocked"] = draw_thread_lanes(threads, tl, min_width)
        heading(threads, "OS threads: a bar is a time on a CPU, coloured by the task "
                              "it ran; a gap, idle or blocked" if explain else "OS threads")
    shown["loop"] = any((lane.owner == -1).any() for lane in tl.lanes)
    y += block.threads_in + 0.06
    cores = add_axes(fig, y, STRIP_IN, left, threads)
    draw_cores(cores, tl, facts["cores"], x_end, int(plot_px / MIN_SLICE_PX))
    y += STRIP_IN + HEADING_IN
    tasks = add_axes(fig, y, block.tasks_in, left, threads)
    draw_stall_bands(tasks, tl)
    if tl.fold_tasks:
        shown["states"] = set(draw_task_density(tasks, tl))
        heading(tasks, f"{plural(len(tl.task_names), 'task')}, folded: how many in each "
                            f"state ({BINS} bins, time-weighted)")
    else:
        draw_task_lanes(tasks, tl, min_width)
        shown["states"] = set(np.unique(tl.state_code).tolist())
        shown["flows"] = draw_flows(tasks, tl)
        heading(tasks, "Tasks: what each one was doing, and who spawned or woke it"
                if explain else "Tasks")
    for ax in (threads, cores):
        ax.tick_params(axis="x", labelbottom=False, length=0)
    tasks.set_xlabel("time since the run started (ms)", fontsize=11, labelpad=2)
    tasks.tick_params(axis="x", labelsize=11)
    y += block.tasks_in + AXIS_IN
    width, total = fig.get_size_inches()
    for line, colour, weight in caption_lines(facts):
        y += CAPTION_LINE_IN
        fig.text(left / width, 1 - y / total, line, fontsize=11.5, color=colour,
                 weight=weight, ha="left", va="bottom")
    return threads, shown


def legend_handles(shown_all):
    """Only what some block shows, in reading order: OS view, then the task states."""
    def merged(key):
        return set().union(*(s[key] for s in shown_all))

    def any_of(key):
        return any(s[key] for s in shown_all)

    handles = []
    if any_of("task_colours"):
        handles.append(Patch(facecolor=TASK_COLOURS[0], label="running (colour = the task)"))
    if any_of("folded_tasks"):
        handles.append(Patch(facecolor=STATE_COLOURS[RUNNING], label="running (tasks folded)"))
    if any_of("unnamed"):
        handles.append(Patch(facecolor=UNNAMED_COLOUR, label="on a CPU, task unknown"))
    if any_of("loop"):
        handles.append(Patch(facecolor=LOOP_COLOUR, label="loop's own work (no task)"))
    if any_of("blocked"):
        handles.append(Patch(facecolor="#CCCCCC", hatch="////", edgecolor=HATCH_COLOUR,
                             label="thread blocked in its task's wait"))
    if any_of("stalls"):
        handles.append(Patch(facecolor=STALL_COLOUR, alpha=0.85, edgecolor=STALL_COLOUR,
                             label="loop stalled: a slow callback"))
    if any_of("folded_threads"):
        handles.append(Patch(facecolor=IDLE_COLOUR, label="thread alive, off the CPU"))
    handles.append(Patch(facecolor=CORES_COLOUR, label="cores busy"))
    for code in sorted(merged("states")):
        if code == RUNNING:
            continue
        name = STATES[code]
        style = ({"facecolor": "white", "hatch": "////", "edgecolor": HATCH_COLOUR}
                 if code == READY else {"facecolor": STATE_COLOURS[code]})
        handles.append(Patch(label=STATE_LABELS.get(name, name), **style))
    for name in ("spawn", "wake"):
        if name in merged("flows"):
            handles.append(Line2D([], [], color=FLOW_COLOURS[name], lw=1.5, marker=">",
                                  markevery=[1], label="spawn" if name == "spawn" else
                                  "wake-up"))
    for outcome in sorted(merged("outcomes")):
        marker, colour, label = OUTCOME_MARKERS[outcome]
        handles.append(Line2D([], [], ls="none", marker=marker, color=colour, ms=8,
                              label=label))
    return handles


def left_margin(timelines):
    """Inches for the longest lane label (labels are cut at 30 characters)."""
    labels = [short(lane.label, 26) for tl in timelines for lane in tl.lanes]
    labels += [short(name) for tl in timelines if not tl.fold_tasks for name in tl.task_names]
    return min(3.0, max(1.4, 0.35 + 0.095 * max(map(len, labels), default=8)))


def draw(traces, out_stem, titles=None, formats=(".png", ".svg")):
    """Draw one block per trace (paths or loaded documents), stacked on one time axis, to
    out_stem.png and out_stem.svg (or the `formats` asked for); returns the paths, in that
    order. Raises TraceError on bad input."""
    out_stem = Path(out_stem)
    if out_stem.suffix in (".png", ".svg"):  # "--out chart.png" means the stem "chart"
        out_stem = out_stem.with_suffix("")
    timelines = [read(t) for t in traces]
    if not timelines:
        raise TraceError("no trace to draw")
    titles = list(titles or [])
    titles += [tl.cell or (Path(t).stem if not isinstance(t, dict) else "trace")
               for tl, t in list(zip(timelines, traces))[len(titles):]]
    model_colours = chart_style()
    blocks = [plan(tl, title) for tl, title in zip(timelines, titles)]
    left = left_margin(timelines)
    height = 0.15 + sum(b.height for b in blocks) + BLOCK_GAP_IN * (len(blocks) - 1)
    height = max(height, 4.2)  # room for the legend beside a small single block
    fig = plt.figure(figsize=(WIDTH_IN, height))
    x_end = max(tl.end for tl in timelines) * 1.02 or 1.0
    top, shared, shown_all, first = 0.15, None, [], None
    for block in blocks:
        ax, shown = draw_block(fig, block, top, left, shared, x_end, model_colours,
                               explain=block is blocks[0])
        shared = shared or ax
        first = first or ax
        shown_all.append(shown)
        top += block.height + BLOCK_GAP_IN
    shared.set_xlim(0, x_end)
    shared.xaxis.set_major_locator(MaxNLocator(10, steps=[1, 2, 2.5, 5, 10]))
    shared.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    first.legend(handles=legend_handles(shown_all), loc="upper left",
                 bbox_to_anchor=(1.06, 1.0), frameon=False, fontsize=11, handlelength=1.8,
                 borderaxespad=0.0)
    paths = []
    try:
        for suffix in formats:
            paths.append(save(fig, out_stem.parent / (out_stem.name + suffix)))
    finally:
        plt.close(fig)
    return paths


def save(fig, path):
    """Write the whole picture or nothing: a reader never finds half of one."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix[1:], dpi=DPI, bbox_inches="tight", pad_inches=0.2,
                metadata=None if path.suffix == ".png" else {"Date": None})
    write_atomic(path, buffer.getvalue())
    return path


# ---------------------------------------------------------------------------- command line

def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Draw the timeline of one or more traced runs, or check their structure.")
    parser.add_argument("traces", nargs="+", type=Path, help="Chrome Trace Event JSON files")
    parser.add_argument("--out", type=Path, help="write OUT.png and OUT.svg")
    parser.add_argument("--title", action="append", help="a block's title, once per trace")
    parser.add_argument("--check", action="store_true",
                        help="only validate the structure: exit 0 if sound, 1 if not")
    args = parser.parse_args(argv)
    if not args.check and args.out is None:
        parser.error("either --out STEM or --check")
    try:
        if args.check:
            for path in args.traces:
                problem = check(path)
                if problem:
                    print(f"timeline.py: {path}: {problem}", file=sys.stderr)
                    return 1
            return 0
        for path in draw(args.traces, args.out, args.title):
            print(path)
    except TraceError as e:
        print(f"timeline.py: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"timeline.py: cannot write the chart: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
