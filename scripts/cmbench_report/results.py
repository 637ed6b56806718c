"""Reading a run: results.json joined into cells, each with its verdict and measurements.

Median, spread and speed-up are computed from the per-repetition entries, so they mean the
same for every cell whatever aggregates the benchmark binary was asked for. Partial data is
normal (a crash, a timeout, a model beyond its limit): a cell says what is missing and the
report goes on.
"""

import json
import math
import re
import statistics
import sys
from dataclasses import dataclass, field

TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|min)$")
# Google Benchmark appends its run options to the name it reports; the cell name is the rest.
GB_SUFFIX = re.compile(r"(/(real_time|manual_time|process_time|"
                       r"(iterations|repeats|threads|min_time|min_warmup_time):[^/]+))+$")
# Counters in results.csv order. Peaks take the maximum over repetitions, the rest the median.
COUNTERS = ("cpu_util", "items_per_second", "peak_in_flight", "tasks", "peak_rss_kib",
            "child_peak_rss_kib", "vol_cs", "invol_cs")
PEAK_COUNTERS = {"peak_in_flight", "peak_rss_kib", "child_peak_rss_kib"}


class ResultsError(Exception):
    """results.json is missing or not shaped like a cmbench run: main() says so, exits 1."""


def warn(message):
    """Problems in the data go to stderr, so stdout keeps only the summary table."""
    print(f"report.py: warning: {message}", file=sys.stderr)


def load_results(run_dir):
    """Parse results.json and check the few structural facts everything else relies on."""
    path = run_dir / "results.json"
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise ResultsError(f"{path} not found: is {run_dir} a cmbench run directory?")
    except (OSError, ValueError) as e:  # ValueError covers bad JSON and bad UTF-8
        raise ResultsError(f"{path} is not readable JSON: {e}")
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks", []), list):
        raise ResultsError(f"{path}: expected an object with a 'benchmarks' list")
    suite = doc.get("cmbench")
    if not isinstance(suite, dict) or not isinstance(suite.get("cells"), list):
        raise ResultsError(f"{path}: no 'cmbench.cells' list; was it written by the suite runner?")
    doc.setdefault("benchmarks", [])
    if not isinstance(doc.get("context"), dict):
        doc["context"] = {}
    for key in ("models", "workloads"):
        items = suite.get(key)
        suite[key] = [m for m in items if isinstance(m, dict) and m.get("name")] \
            if isinstance(items, list) else []
    return doc


@dataclass
class Metric:
    """One of a workload's own figures (a counter of its cells), as the runner describes it.

    A timed workload shows them beside its wall time; one that runs for a fixed time (a
    server under load, "timed": false) has a wall time set by its parameters, so the report
    shows these figures instead."""
    name: str  # the counter in the benchmark entries: "server_cpu_us_per_req"
    title: str  # "server CPU per request"
    unit: str  # "µs", "req/s", "" for a plain number
    lower_is_better: bool
    chart: bool  # drawn as bars, models and references side by side
    ratio_to: str  # a label the cell is divided by ("epoll"), or ""
    over_scale: bool = False  # also drawn against the scale, log-log, one line per model

    @property
    def seconds_per_unit(self):
        """For a time (µs, ms, …) the factor to seconds, so it is printed like wall times."""
        return TIME_UNITS.get(self.unit)

    @property
    def heading(self):
        """The title, with the unit when a column or an axis shares it (times carry theirs)."""
        return f"{self.title} ({self.unit})" if self.unit and not self.seconds_per_unit \
            else self.title

    @property
    def better(self):
        return "lower is better" if self.lower_is_better else "higher is better"


def workload_metrics(workload):
    """The workload's metrics in the runner's order; [] for a workload timed by wall time."""
    metrics = []
    for m in workload.get("metrics") or []:
        if isinstance(m, dict) and m.get("name") and all(x.name != m["name"] for x in metrics):
            name = str(m["name"])
            metrics.append(Metric(name, str(m.get("title") or name), str(m.get("unit") or ""),
                                  m.get("lower_is_better") is not False, m.get("chart") is True,
                                  str(m.get("ratio_to") or ""), m.get("over_scale") is True))
    return metrics


def to_float(value):
    """A finite number or None: a missing or odd field must never stop the report."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def numeric_value(text):
    """The number a parameter's text stands for (durations in seconds), or None."""
    number = to_float(text)
    if number is not None:
        return number
    match = DURATION.match(text)
    return float(match[1]) * TIME_UNITS[match[2]] if match else None


def value_key(text):
    """Sort key that puts 9 before 10 and 250us before 10ms; other text after numbers."""
    number = numeric_value(text)
    return (0, number, "") if number is not None else (1, 0.0, text)


@dataclass
class Cell:
    """One (workload, model, params) cell: the runner's verdict plus its measurements."""
    name: str
    workload: str
    model: str
    params: dict
    status: str
    reason: str = ""
    log: str = ""
    times: list = field(default_factory=list)  # wall seconds per repetition
    median: float = None  # set only for a cell with a verified timing
    repetitions: int = 0
    counters: dict = field(default_factory=dict)
    counter_runs: dict = field(default_factory=dict)  # counter -> value per repetition
    speedup: float = None  # sequential median / this median, same params, same run
    metrics: dict = field(default_factory=dict)  # the workload's metric -> value per repetition
    twin: str = ""  # a row of another runtime (py-twisted): the model that reproduces it
    # "all": the cell could use every CPU of the run; "one": confined to one (--cpus 1).
    cpu_budget: str = "all"
    cpus: int = None  # how many CPUs its processes could run on, where recorded
    loadavg: float = None  # the 1-minute load average as the cell began
    others_running: int = None  # tasks other than the suite's ready to run as it began
    # The fixed-work probe timed just before and just after the cell (seconds), where
    # recorded: the VM's speed at the time, to tell its bands apart.
    probe: tuple = None

    @property
    def ok(self):
        return self.status == "ok" and self.median is not None

    @property
    def low(self):
        return min(self.times) if self.times else None

    @property
    def high(self):
        return max(self.times) if self.times else None

    def metric(self, name):
        """The median over repetitions of one of the workload's metrics, or None."""
        values = self.metrics.get(name) if self.ok else None
        return statistics.median(values) if values else None

    def metric_range(self, name):
        values = self.metrics.get(name) if self.ok else None
        return (min(values), max(values)) if values else (None, None)

    @property
    def cv(self):
        """Coefficient of variation (sample stddev / mean), as Google Benchmark defines it."""
        if len(self.times) < 2:
            return None
        mean = statistics.fmean(self.times)
        return statistics.stdev(self.times) / mean if mean > 0 else None


def entry_seconds(entry):
    """The wall time of one run of the cell in seconds; entries carry their own unit."""
    value = to_float(entry.get("real_time"))
    factor = TIME_UNITS.get(entry.get("time_unit", "ns"))
    return value * factor if value is not None and value > 0 and factor else None


def entry_name(entry):
    """The cell or micro-benchmark an entry belongs to, without Google Benchmark's options."""
    return GB_SUFFIX.sub("", str(entry.get("run_name") or entry.get("name") or ""))


def build_cells(doc, metrics_by_workload):
    """Join the runner's cell list with Google Benchmark's entries, by cell name."""
    entries_by_cell = {}  # by (name, CPU budget): a cell may run on one CPU and on all
    for entry in doc["benchmarks"]:
        if isinstance(entry, dict):
            key = (entry_name(entry), str(entry.get("cpu_budget") or "all"))
            entries_by_cell.setdefault(key, []).append(entry)
    cells = []
    for raw in doc["cmbench"]["cells"]:
        if not isinstance(raw, dict) or not raw.get("name"):
            warn(f"skipping a cell entry without a name: {str(raw)[:80]}")
            continue
        name = str(raw["name"])
        parts = name.split("/") + ["?"]
        params = raw.get("params") if isinstance(raw.get("params"), dict) else {}
        cell = Cell(name=name, workload=str(raw.get("workload") or parts[0]),
                    # "callbacks-on_loop": a model's variant is a row of its own
                    model=str(raw.get("label") or raw.get("model") or parts[1]),
                    params={str(k): str(v) for k, v in params.items()},
                    status=str(raw.get("status") or "no_data"),
                    reason=str(raw.get("reason") or ""), log=str(raw.get("log") or ""),
                    twin=str(raw.get("twin") or ""),
                    cpu_budget=str(raw.get("cpu_budget") or "all"))
        cpus = to_float(raw.get("cpus"))
        cell.cpus = int(cpus) if cpus else None
        cell.loadavg = to_float(raw.get("loadavg"))
        others = to_float(raw.get("others_running"))
        cell.others_running = int(others) if others is not None else None
        probe = raw.get("probe") if isinstance(raw.get("probe"), dict) else {}
        before, after = to_float(probe.get("before_s")), to_float(probe.get("after_s"))
        cell.probe = (before, after) if before and after else None
        metrics = [m.name for m in metrics_by_workload.get(cell.workload, [])]
        attach_timings(cell, entries_by_cell.get((name, cell.cpu_budget), []), metrics)
        cells.append(cell)
    return cells


def attach_timings(cell, entries, metrics=()):
    """Fill the cell's repetitions, counters and the workload's metrics from its entries.

    A cell the runner called ok whose entries report an error becomes failed: a wrong
    answer is never shown as a timing. Without per-repetition entries (a binary run with
    --benchmark_report_aggregates_only) the median aggregate stands in, with no spread.
    """
    errors = [e for e in entries if e.get("error_occurred")]
    if errors and cell.status in ("ok", "failed"):
        cell.status = "failed"
        cell.reason = cell.reason or str(errors[0].get("error_message") or "")
    if cell.status != "ok":
        return
    runs = [e for e in entries if e.get("run_type", "iteration") == "iteration"]
    times = [t for t in map(entry_seconds, runs) if t is not None]
    if times:
        cell.times = times
        cell.repetitions = len(times)
    else:
        runs = [e for e in entries if e.get("aggregate_name") == "median"]
        times = [t for t in map(entry_seconds, runs) if t is not None]
        cell.repetitions = int(to_float(runs[0].get("repetitions")) or 1) if times else 0
    if not times:
        cell.status, cell.reason = "no_data", cell.reason or "no timing in results.json"
        return
    cell.median = statistics.median(times)
    for name in COUNTERS:
        values = [v for v in (to_float(e.get(name)) for e in runs) if v is not None]
        if values:
            pick = max if name in PEAK_COUNTERS else statistics.median
            cell.counters[name] = pick(values)
            cell.counter_runs[name] = values  # the charts' spread (charts_v2.py)
    for name in metrics:  # kept per repetition: the report shows the median and the spread
        values = [v for v in (to_float(e.get(name)) for e in runs) if v is not None]
        if values:
            cell.metrics[name] = values


def micro_costs(doc):
    """The micro-benchmarks' nanoseconds per operation: {topic: [(row, median, repetitions)]}.

    Entries are named micro/<topic>/<row>; the median is over repetitions, from
    items_per_second."""
    per_op = {}
    for entry in doc["benchmarks"]:
        if not isinstance(entry, dict) or entry.get("run_type", "iteration") != "iteration":
            continue
        name = entry_name(entry)
        rate = to_float(entry.get("items_per_second"))
        if name.startswith("micro/") and rate and not entry.get("error_occurred"):
            per_op.setdefault(name, []).append(1e9 / rate)
    topics = {}
    for name, values in per_op.items():
        _, topic, row = (name.split("/") + ["", ""])[:3]
        topics.setdefault(topic, []).append((row, statistics.median(values), len(values)))
    return topics
