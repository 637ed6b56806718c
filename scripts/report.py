#!/usr/bin/python3
"""Turn one cmbench run into a report: results.csv, report.md, report.html, charts/*.png.

Usage: /usr/bin/python3 scripts/report.py RUN_DIR [--quiet]

Reads RUN_DIR/results.json (Google Benchmark's JSON plus the suite runner's "cmbench"
section, described in docs/results-format.md), writes the files into RUN_DIR, then prints
a short summary table unless --quiet.

Why it is shaped this way:
- Median, spread and speed-up are computed here from the per-repetition entries, so they
  mean the same for every cell whatever aggregates the benchmark binary was asked for.
- Markdown and HTML are rendered from one list of blocks, so the two cannot drift apart.
- Every file is written under a temporary name and then renamed: an interrupted run leaves
  the previous file in place, never half of a new one.
- Partial data is normal (a crash, a timeout, a model beyond its limit, no sequential
  cell): the report says what is missing and goes on.
- A workload that runs for a fixed time (a server under load) declares its own figures,
  its `metrics`; the report shows those, beside the reference servers, and never its wall
  time or a speed-up, which its parameters alone decide.
"""

import argparse
import base64
import csv
import html
import io
import json
import math
import os
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a display
import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import (FixedLocator, FuncFormatter, LogLocator, NullFormatter,  # noqa: E402
                               NullLocator)
from matplotlib.transforms import blended_transform_factory  # noqa: E402

BASELINE = "sequential"  # speed-up is measured against this model
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|min)$")
# Google Benchmark appends its run options to the name it reports; the cell name is the rest.
GB_SUFFIX = re.compile(r"(/(real_time|manual_time|process_time|"
                       r"(iterations|repeats|threads|min_time|min_warmup_time):[^/]+))+$")
STATUS_TEXT = {"beyond_limit": "beyond model limit", "no_data": "no data"}  # others as they are
STATUS_SHORT = {"beyond_limit": "limit", "no_data": "no data"}
# Counters in results.csv order. Peaks take the maximum over repetitions, the rest the median.
COUNTERS = ("cpu_util", "items_per_second", "peak_in_flight", "tasks", "peak_rss_kib",
            "child_peak_rss_kib", "vol_cs", "invol_cs")
PEAK_COUNTERS = {"peak_in_flight", "peak_rss_kib", "child_peak_rss_kib"}
# Okabe–Ito colours (told apart with the common colour-vision deficiencies), fixed per model
# so a model keeps its colour in every chart of every report; the baseline is neutral grey.
MODEL_STYLE = {"sequential": ("#888888", "o"), "threads": ("#0072B2", "s"),
               "processes": ("#CC79A7", "D"), "callbacks": ("#E69F00", "^"),
               "futures": ("#D55E00", "v"), "fibers": ("#009E73", "P"),
               "coroutines": ("#56B4E9", "X")}
SPARE_STYLE = [("#332288", "*"), ("#882255", "h"), ("#44AA99", "<"), ("#999933", ">")]
# Reference rows (industrial peers such as epoll or nginx) are grey and hatched in every
# chart, so the eye never takes one for a model under study.
REFERENCE_STYLE = {"facecolor": "#c8c8c8", "hatch": "//", "edgecolor": "#555555"}
# A workload's latency percentiles, drawn together on one chart when present: (metric, legend).
LATENCIES = (("p50_us", "p50"), ("p99_us", "p99"), ("p999_us", "p99.9"))
LATENCY_COLOURS = ("#9ECAE1", "#4292C6", "#08306B")  # light to dark as the tail grows


class ResultsError(Exception):
    """results.json is missing or not shaped like a cmbench run: main() says so, exits 1."""


def warn(message):
    """Problems in the data go to stderr, so stdout keeps only the summary table."""
    print(f"report.py: warning: {message}", file=sys.stderr)


# ---------------------------------------------------------------------------- reading

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

    A workload with metrics runs for a fixed time (a server under load): its wall time is
    set by its parameters, so the report shows these figures instead."""
    name: str  # the counter in the benchmark entries: "server_cpu_us_per_req"
    title: str  # "server CPU per request"
    unit: str  # "µs", "req/s", "" for a plain number
    lower_is_better: bool
    chart: bool  # drawn as bars, models and references side by side
    ratio_to: str  # a label the cell is divided by ("epoll"), or ""

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
                                  str(m.get("ratio_to") or "")))
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
    speedup: float = None  # sequential median / this median, same params, same run
    metrics: dict = field(default_factory=dict)  # the workload's metric -> value per repetition

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


def build_cells(doc, metrics_by_workload):
    """Join the runner's cell list with Google Benchmark's entries, by cell name."""
    entries_by_cell = {}
    for entry in doc["benchmarks"]:
        if isinstance(entry, dict):
            run_name = str(entry.get("run_name") or entry.get("name") or "")
            entries_by_cell.setdefault(GB_SUFFIX.sub("", run_name), []).append(entry)
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
                    reason=str(raw.get("reason") or ""), log=str(raw.get("log") or ""))
        metrics = [m.name for m in metrics_by_workload.get(cell.workload, [])]
        attach_timings(cell, entries_by_cell.get(name, []), metrics)
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
    for name in metrics:  # kept per repetition: the report shows the median and the spread
        values = [v for v in (to_float(e.get(name)) for e in runs) if v is not None]
        if values:
            cell.metrics[name] = values


# ---------------------------------------------------------------------------- grouping

@dataclass
class Group:
    """Cells of one workload that share every parameter but the scale one: one table, two charts."""
    workload: str
    scale_param: str
    label: str
    slug: str
    scales: list  # scale values as text, ascending
    cells: dict  # (model, scale) -> Cell

    def models(self, order):
        return [m for m in order if any((m, s) in self.cells for s in self.scales)]

    def scale_label(self, scale):
        return f"{self.scale_param}={scale}" if self.scale_param and scale else "one scale"


def ordered_names(declared, seen):
    """Declared order first (the runner's display order), then anything else in the data."""
    names = list(dict.fromkeys(declared))
    return names + [n for n in dict.fromkeys(seen) if n not in names]


def param_label(name, value, kind):
    """'w=(2, 3, 1)' reads better than 'w=2-3-1' for a list parameter."""
    if kind == "list" and "-" in value:
        return f"{name}=({', '.join(value.split('-'))})"
    return f"{name}={value}"


def build_groups(workload, cells):
    """Split a workload's cells into parameter groups, ordered by their parameter values."""
    scale = str(workload.get("scale_param") or "")
    specs = [p for p in workload.get("params") or [] if isinstance(p, dict) and p.get("name")]
    kinds = {str(p["name"]): str(p.get("kind", "")) for p in specs}
    names = ordered_names(list(kinds), sorted({k for c in cells for k in c.params}))
    fixed = [n for n in names if n != scale]
    buckets = {}
    for cell in cells:
        buckets.setdefault(tuple(cell.params.get(n, "") for n in fixed), []).append(cell)
    groups, slugs = [], set()
    for key in sorted(buckets, key=lambda k: [value_key(v) for v in k]):
        members = buckets[key]
        pairs = [(n, v) for n, v in zip(fixed, key) if v]
        label = ", ".join(param_label(n, v, kinds.get(n)) for n, v in pairs) or "all cells"
        slug = re.sub(r"[^A-Za-z0-9.-]+", "_", "_".join(f"{n}{v}" for n, v in pairs)) or "all"
        while slug in slugs:
            slug += "_"
        slugs.add(slug)
        scales = sorted({c.params.get(scale, "") for c in members}, key=value_key)
        groups.append(Group(workload["name"], scale, label, slug, scales,
                            {(c.model, c.params.get(scale, "")): c for c in members}))
    return groups


def compute_speedups(group):
    """Speed-up = sequential median / model median, at the same parameters, in the same run."""
    for (_, scale), cell in group.cells.items():
        base = group.cells.get((BASELINE, scale))
        if cell.ok and base is not None and base.ok:
            cell.speedup = base.median / cell.median


# ---------------------------------------------------------------------------- formatting

def sig3(value):
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def time_unit(seconds):
    """The unit in which `seconds` reads as 1 to 999."""
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= factor:
            return unit, factor
    return "ns", 1e-9


def fmt_time(seconds):
    unit, factor = time_unit(seconds)
    return f"{sig3(seconds / factor)} {unit}"


def fmt_spread(cell):
    """min–max over repetitions, in the unit of the median."""
    if cell.low is None:
        return Note("n/a")
    unit, factor = time_unit(cell.median)
    return f"{sig3(cell.low / factor)}–{sig3(cell.high / factor)} {unit}"


def fmt_speedup(x):
    return f"{x:.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def fmt_count(x):
    """Compact: 1k, 10k, 8.94k, 96.7."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= limit:
            return f"{x / limit:.3g}{suffix}"
    return f"{x:.3g}"


def fmt_duration(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s" if seconds >= 60 else f"{seconds:.1f} s"


def fmt_metric(value, metric):
    """A time in the unit that reads 1 to 999 ("7.80 µs", "200 ms"); anything else compact,
    its unit left to the column or axis title ("62.3k")."""
    if metric.seconds_per_unit:
        return fmt_time(value * metric.seconds_per_unit) if value > 0 else f"0 {metric.unit}"
    return ("-" + fmt_count(-value)) if value < 0 else fmt_count(value)


def fmt_metric_spread(cell, metric):
    """min–max over repetitions; a time in the unit of the median, as fmt_spread."""
    low, high = cell.metric_range(metric.name)
    if low is None:
        return Note("—")
    if metric.seconds_per_unit and low > 0:
        unit, factor = time_unit(cell.metric(metric.name) * metric.seconds_per_unit)
        low, high = (sig3(v * metric.seconds_per_unit / factor) for v in (low, high))
        return f"{low} {unit}" if low == high else f"{low}–{high} {unit}"
    low, high = fmt_metric(low, metric), fmt_metric(high, metric)
    return low if low == high else f"{low}–{high}"


def fmt_ratio(x, label):
    """'1.05× epoll': the cell's median over the reference row's, whichever way is better."""
    return f"{fmt_speedup(x)} {label}"


def metric_ratio(group, cell, scale, metric):
    """The cell's median over the ratio_to row's in the same group and scale, or None."""
    base = group.cells.get((metric.ratio_to, scale)) if metric.ratio_to else None
    mine = cell.metric(metric.name) if cell is not None else None
    theirs = base.metric(metric.name) if base is not None else None
    return mine / theirs if mine is not None and theirs else None


def is_reference(label, references):
    """A reference's variants ("nginx-2workers") are references too."""
    return any(label == r or label.startswith(r + "-") for r in references)


def metric_rows_order(labels, references):
    """The models under study in catalog order, then the references, also in catalog order."""
    return [m for m in labels if not is_reference(m, references)] + \
        [m for m in labels if is_reference(m, references)]


class Note(str):
    """Table text standing for a missing number (a status, a dash): dimmed in HTML,
    italic in Markdown."""


def why_not(cell):
    """The status and its reason, without saying 'timeout: timeout after 60 s'."""
    status = STATUS_TEXT.get(cell.status, cell.status)
    if not cell.reason or cell.reason.startswith(status):
        return cell.reason or status
    return f"{status}: {cell.reason}"


def status_note(cell):
    return Note("not run") if cell is None else Note(STATUS_TEXT.get(cell.status, cell.status))


# ---------------------------------------------------------------------------- charts

def set_chart_style():
    """Large type and light grids: the charts are projected as well as printed."""
    plt.rcParams.update({"font.size": 13, "axes.titlesize": 15, "axes.labelsize": 13,
                         "legend.fontsize": 12, "savefig.dpi": 110, "axes.grid": True,
                         "grid.alpha": 0.3, "axes.spines.top": False,
                         "axes.spines.right": False})


def model_styles(models):
    """(colour, marker) per model: fixed for the seven models, spares for any other.

    A variant ("callbacks-on_loop") keeps its model's colour with its own marker, so that
    the eye pairs it with the model it varies."""
    spares = iter(SPARE_STYLE * (1 + len(models)))
    styles = {}
    for m in models:
        base = m.split("-")[0]
        if m in MODEL_STYLE:
            styles[m] = MODEL_STYLE[m]
        elif base in MODEL_STYLE:
            styles[m] = (MODEL_STYLE[base][0], "x")
        else:
            styles[m] = next(spares)
    return styles


def with_variants(declared, seen):
    """The declared models in order, each followed by its variants found in the data."""
    names = []
    for base in declared:
        names.append(base)
        names += [m for m in dict.fromkeys(seen) if m.startswith(base + "-")]
    return ordered_names(names, seen)


def bar_style(model, styles):
    """A variant's bars are its model's colour, hatched, so both read as one family."""
    if model in MODEL_STYLE or "-" not in model:
        return {"facecolor": styles[model][0]}
    return {"facecolor": styles[model][0], "hatch": "//", "edgecolor": "white"}


def chart_unit(values):
    """One time unit per chart, chosen at the geometric middle of what it shows."""
    middle = math.exp(statistics.fmean(math.log(v) for v in values))
    return time_unit(middle)


def plain_log_axis(axis, low, high):
    """'20, 50, 100' instead of '10¹, 10²': easier to read aloud, and a range narrower
    than three decades still gets labels at 1, 2 and 5 times each power of ten."""
    subs = (1.0,) if high / low > 1000 else (1.0, 2.0, 5.0)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def finish_chart(fig, ax, title, legend):
    """Legend outside the plot (seven models would hide data), title, and PNG bytes."""
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(title, loc="left")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def chart_bars(group, styles, models):
    """Models side by side at each scale: bar = median, whisker = min–max over repetitions.

    A cell without a timing gets its status written where its bar would be, so a missing
    bar is never mistaken for a very fast model.
    """
    timed = [c for c in group.cells.values() if c.ok]
    if not timed:
        return None
    unit, factor = chart_unit([c.median for c in timed])
    lows = [(c.low or c.median) / factor for c in timed]
    highs = [(c.high or c.median) / factor for c in timed]
    fig, ax = plt.subplots(figsize=(11, 5.8))
    width = 0.8 / len(models)
    at_bottom = blended_transform_factory(ax.transData, ax.transAxes)
    for i, model in enumerate(models):
        for j, scale in enumerate(group.scales):
            cell, x = group.cells.get((model, scale)), j - 0.4 + width * (i + 0.5)
            if cell is None:
                continue
            if not cell.ok:
                ax.text(x, 0.02, STATUS_SHORT.get(cell.status, cell.status), rotation=90,
                        transform=at_bottom, ha="center", va="bottom", fontsize=10,
                        color=styles[model][0])
                continue
            median = cell.median / factor
            low, high = (cell.low or cell.median) / factor, (cell.high or cell.median) / factor
            ax.bar(x, median, width * 0.92, **bar_style(model, styles))
            ax.errorbar(x, median, yerr=[[median - low], [high - median]], fmt="none",
                        ecolor="black", capsize=3, linewidth=1.2)
    if max(highs) / min(lows) > 20:  # a wide range hides the small bars on a linear axis
        ax.set_yscale("log")
        ax.set_ylim(bottom=min(lows) / 3)
        plain_log_axis(ax.yaxis, min(lows), max(highs))
    ax.set_xticks(range(len(group.scales)))
    ax.set_xlim(-0.5, len(group.scales) - 0.5)  # room for a scale where nothing has a bar
    ax.set_xticklabels([group.scale_label(s) for s in group.scales])
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(f"wall time per run ({unit})")
    counts = sorted({c.repetitions for c in timed})
    reps = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    ax.set_xlabel(f"bar = median of {reps} repetitions, whisker = min–max")
    legend = [Patch(label=m, **bar_style(m, styles)) for m in models]
    return finish_chart(fig, ax, f"{group.workload}: {group.label}", legend)


def chart_scaling(group, styles, models):
    """Wall time against scale on log–log axes, one line per model, band = min–max.

    A scale where a model has no timing leaves a gap in its line rather than a straight
    segment across it. Skipped (None) unless two numeric scales have a timing.
    """
    xs = [(s, numeric_value(s)) for s in group.scales]
    xs = [(s, x) for s, x in xs if x is not None and x > 0]
    timed = {s: [group.cells[(m, s)] for m in models if (m, s) in group.cells
                 and group.cells[(m, s)].ok] for s, _ in xs}
    if sum(1 for cells in timed.values() if cells) < 2:
        return None
    medians = [c.median for cells in timed.values() for c in cells]
    unit, factor = chart_unit(medians)
    fig, ax = plt.subplots(figsize=(11, 5.8))
    legend = []
    for model in models:
        cells = [group.cells.get((model, s)) for s, _ in xs]
        if not any(c is not None and c.ok for c in cells):
            continue

        def series(pick):  # NaN where the model has no timing: matplotlib breaks the line
            return [pick(c) / factor if c is not None and c.ok else math.nan for c in cells]
        colour, marker = styles[model]
        x = [x for _, x in xs]
        line = "--" if "hatch" in bar_style(model, styles) else "-"  # a variant: dashed
        ax.plot(x, series(lambda c: c.median), color=colour, marker=marker, markersize=8,
                linewidth=2, linestyle=line)
        ax.fill_between(x, series(lambda c: c.low or c.median),
                        series(lambda c: c.high or c.median), color=colour, alpha=0.18,
                        linewidth=0)
        legend.append(Line2D([], [], color=colour, marker=marker, markersize=8, linewidth=2,
                             linestyle=line, label=model))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator([x for _, x in xs]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v)))
    plain_log_axis(ax.yaxis, min(medians) / factor, max(medians) / factor)
    ax.set_xlabel(f"{group.scale_param} (log scale)")
    ax.set_ylabel(f"wall time per run ({unit}, log scale)")
    return finish_chart(fig, ax, f"{group.workload}: {group.label} — scaling", legend)


def metric_bar_style(label, styles, references):
    return dict(REFERENCE_STYLE) if is_reference(label, references) else bar_style(label, styles)


def metric_panels(group, labels, metric_names, figure_width):
    """One panel per scale that has any of the metrics, side by side on a shared y axis.

    Within a panel the x axis is the labels, named under their bars: with a dozen servers a
    legend of colours would be harder to read than the names themselves."""
    scales = [s for s in group.scales
              if any((c := group.cells.get((m, s))) is not None and c.ok
                     and any(c.metric(n) is not None for n in metric_names) for m in labels)]
    if not scales:
        return None, None, None
    # constrained: the slanted names, the caption under them and the title share the space
    fig, axes = plt.subplots(1, len(scales), sharey=True, squeeze=False, layout="constrained",
                             figsize=(figure_width * len(scales), 6.2))
    return scales, fig, list(axes[0])


def label_axis(ax, labels, references):
    """Labels under their bars, slanted so that long ones do not collide; references in grey."""
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right", rotation_mode="anchor")
    for tick, label in zip(ax.get_xticklabels(), labels):
        if is_reference(label, references):
            tick.set_color("#555555")
            tick.set_fontstyle("italic")
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.grid(axis="x", visible=False)


def repetitions_text(cells):
    counts = sorted({c.repetitions for c in cells if c.ok})
    if not counts:
        return "?"
    return f"{counts[0]}" if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"


def chart_metric(group, metric, styles, labels, references):
    """One metric, every label side by side: bar = median, whisker = min–max; the ratio_to
    row's median is a dashed line across the panel, the yardstick the table's ratio uses.

    A cell without the metric gets its status written where its bar would be."""
    scales, fig, axes = metric_panels(group, labels, [metric.name],
                                      max(6.0, 0.75 * len(labels) + 2))
    if scales is None:
        return None
    medians = [c.metric(metric.name) for c in group.cells.values()
               if c.metric(metric.name) is not None]
    if metric.seconds_per_unit:
        unit, factor = chart_unit([v * metric.seconds_per_unit for v in medians if v > 0] or [1])
        scale_by = metric.seconds_per_unit / factor
        axis_title = f"{metric.title} ({unit})"
    else:
        scale_by, axis_title = 1.0, metric.heading
    lows = [group.cells[k].metric_range(metric.name)[0] * scale_by for k in group.cells
            if group.cells[k].metric(metric.name) is not None]
    highs = [group.cells[k].metric_range(metric.name)[1] * scale_by for k in group.cells
             if group.cells[k].metric(metric.name) is not None]
    # Bars are compared by length, so the axis stays linear (each bar has its value written
    # on it) unless a bar would be too short to see: a range over 100 times.
    positive = [v for v in lows if v > 0]
    log = bool(positive) and min(lows) > 0 and max(highs) / min(positive) > 100
    for ax, scale in zip(axes, scales):
        at_bottom = blended_transform_factory(ax.transData, ax.transAxes)
        for x, label in enumerate(labels):
            cell = group.cells.get((label, scale))
            value = cell.metric(metric.name) if cell is not None else None
            if value is None:
                text = "—" if cell is None else "no value" if cell.ok else \
                    STATUS_SHORT.get(cell.status, cell.status)
                ax.text(x, 0.02, text, rotation=90, transform=at_bottom, ha="center",
                        va="bottom", fontsize=10, color="#555555")
                continue
            low, high = (v * scale_by for v in cell.metric_range(metric.name))
            median = value * scale_by
            ax.bar(x, median, 0.75, **metric_bar_style(label, styles, references))
            ax.errorbar(x, median, yerr=[[median - low], [high - median]], fmt="none",
                        ecolor="black", capsize=3, linewidth=1.2)
            ax.annotate(fmt_count(median) if median >= 0 else f"{median:.3g}", (x, high),
                        xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                        fontsize=9, bbox={"facecolor": "white", "edgecolor": "none",
                                          "pad": 0.5, "alpha": 0.85})  # over the dashed line
        base = group.cells.get((metric.ratio_to, scale))
        if base is not None and base.metric(metric.name) is not None:
            level = base.metric(metric.name) * scale_by
            ax.axhline(level, color="#333333", linestyle="--", linewidth=1.2, zorder=0.5)
        label_axis(ax, labels, references)
        if len(scales) > 1 or scale:
            ax.set_title(group.scale_label(scale), fontsize=13)
    if log:
        axes[0].set_yscale("log")
        axes[0].set_ylim(10 ** math.floor(math.log10(min(positive))), max(highs) * 1.6)
        plain_log_axis(axes[0].yaxis, min(positive), max(highs))
        axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v)))
    else:
        axes[0].set_ylim(0, max(highs) * 1.12 if highs and max(highs) > 0 else 1)
        axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v) if v else "0"))
    axes[0].set_ylabel(f"{axis_title}{', log scale' if log else ''}")
    fig.supxlabel(f"bar = median of {repetitions_text(group.cells.values())} repetitions, "
                  "whisker = min–max", fontsize=12)
    legend = [Patch(label="reference", **REFERENCE_STYLE)]
    if metric.ratio_to:
        legend.append(Line2D([], [], color="#333333", linestyle="--",
                             label=f"{metric.ratio_to} (median)"))
    fig.suptitle(f"{group.workload}: {group.label} — {metric.title} ({metric.better})",
                 x=0.01, ha="left", fontsize=15)
    return finish_figure(fig, axes[-1], legend)


def chart_latency(group, latencies, labels, references):
    """The latency percentiles of every label as grouped bars on a log axis: the tail
    (p99, p99.9) is where the models differ, often by orders of magnitude.

    `latencies` is [(Metric, legend text)], each a time."""
    present = [(m.name, short) for m, short in latencies]
    unit_of = {m.name: m.seconds_per_unit for m, _ in latencies}
    scales, fig, axes = metric_panels(group, labels, [n for n, _ in present],
                                      max(6.0, 0.85 * len(labels) + 2))
    if scales is None:
        return None
    values = [c.metric_range(m)[i] * unit_of[m] for c in group.cells.values() for m, _ in present
              for i in (0, 1) if c.metric(m) is not None and c.metric_range(m)[i] > 0]
    if not values:
        plt.close(fig)
        return None
    # the unit at the middle of the range, so that a 40 µs p50 and a 200 ms p99.9 both read
    unit, factor = time_unit(math.sqrt(min(values) * max(values)))
    width = 0.8 / len(present)
    for ax, scale in zip(axes, scales):
        at_bottom = blended_transform_factory(ax.transData, ax.transAxes)
        for x, label in enumerate(labels):
            cell = group.cells.get((label, scale))
            if cell is None or not cell.ok:
                text = "—" if cell is None else STATUS_SHORT.get(cell.status, cell.status)
                ax.text(x, 0.02, text, rotation=90, transform=at_bottom, ha="center",
                        va="bottom", fontsize=10, color="#555555")
                continue
            reference = is_reference(label, references)
            for i, (name, _) in enumerate(present):
                value = cell.metric(name)
                if value is None or value <= 0:
                    continue
                low, high = (v * unit_of[name] / factor for v in cell.metric_range(name))
                median = value * unit_of[name] / factor
                xi = x - 0.4 + width * (i + 0.5)
                style = {"facecolor": LATENCY_COLOURS[i]}
                if reference:
                    style.update(hatch="//", edgecolor="#555555")
                ax.bar(xi, median, width * 0.92, **style)
                ax.errorbar(xi, median, yerr=[[median - max(low, 1e-12)], [high - median]],
                            fmt="none", ecolor="black", capsize=2, linewidth=1)
        label_axis(ax, labels, references)
        if len(scales) > 1 or scale:
            ax.set_title(group.scale_label(scale), fontsize=13)
    shown = [v / factor for v in values]
    axes[0].set_yscale("log")
    # from the power of ten below the shortest bar, so that the lowest tick has a label
    axes[0].set_ylim(10 ** math.floor(math.log10(min(shown))), max(shown) * 2)
    plain_log_axis(axes[0].yaxis, min(shown), max(shown))
    axes[0].set_ylabel(f"latency ({unit}, log scale)")
    fig.supxlabel(f"bar = median of {repetitions_text(group.cells.values())} repetitions, "
                  "whisker = min–max; hatched = reference", fontsize=12)
    legend = [Patch(label=short, facecolor=LATENCY_COLOURS[i]) for i, (_, short) in
              enumerate(present)]
    legend.append(Patch(label="reference", facecolor="white", hatch="//", edgecolor="#555555"))
    fig.suptitle(f"{group.workload}: {group.label} — latency (lower is better)", x=0.01,
                 ha="left", fontsize=15)
    return finish_figure(fig, axes[-1], legend)


def finish_figure(fig, ax, legend):
    """As finish_chart, for a figure whose title is the figure's own (several panels)."""
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def draw(chart, *args):
    """A chart that fails to draw costs a warning, never the report."""
    try:
        return chart(*args)
    except Exception as e:  # noqa: BLE001 — the tables are worth more than one picture
        warn(f"{chart.__name__} for {args[0].workload} {args[0].label}: {e}")
        plt.close("all")
        return None


# ---------------------------------------------------------------------------- document
# A document is a list of blocks: ("h", level, text), ("p", text), ("ul", [text]),
# ("table", header, rows, numeric), ("img", path, alt), ("details", summary, [blocks]).

HOW_TO_READ = (
    "Each cell (a workload, a model, a set of parameters) ran in its own process. Times are "
    "the wall-clock time of one run of the cell: the median of the repetitions, with the "
    "spread given as min–max across repetitions. CPU utilisation is CPU time (user + system, "
    "reaped child processes included) divided by wall time: above 100 % means several cores "
    "worked at once (parallelism); far below 100 % with many tasks in flight means tasks "
    "overlapped while they waited (concurrency). Speed-up is the sequential median divided "
    "by the model's median at the same parameters, measured in the same run. Peak in flight "
    "is the largest number of tasks measured running at once. A cell without a verified "
    "result shows its status instead of numbers; the reasons are under Failures and limits.")
HOW_TO_READ_METRICS = (
    "A workload that runs for a fixed time (a server under load) has no meaningful wall time "
    "and no speed-up: it shows its own figures instead, each the median of the repetitions "
    "with its unit, one row per model and then the reference implementations, marked as "
    "such; a column headed × epoll divides a figure by epoll's at the same parameters.")


def environment_rows(context, suite):
    """The facts a reader needs to judge or reproduce the numbers; absent ones are left out."""
    def get(key):
        value = context.get(key)
        return "" if value is None or value == "" else str(value)
    cpu = ", ".join(x for x in (get("cmbench_cpu_model"),
                                f"{get('cmbench_cores') or get('num_cpus')} cores") if x.strip())
    repetitions = f"{suite.get('repetitions', '?')}, at least {suite.get('min_time_s', '?')} s each"
    duration = to_float(suite.get("duration_s"))
    slack = get("cmbench_timer_slack_ns")
    rows = [("commit", get("cmbench_commit")), ("CPU", cpu),
            ("compiler", get("cmbench_compiler")),
            ("build", " ".join(x for x in (get("cmbench_build_type"), get("cmbench_flags")) if x)),
            ("kernel", get("cmbench_kernel")), ("libraries", get("cmbench_libraries")),
            ("timer slack", f"{slack} ns" if slack else ""),
            ("placement", get("cmbench_placement")),
            ("load average", get("cmbench_load_average")), ("host", get("host_name")),
            ("date", get("date") or str(suite.get("started", ""))),
            ("profile", str(suite.get("profile", ""))), ("repetitions", repetitions),
            ("total duration", fmt_duration(duration) if duration is not None else "")]
    if context.get("cpu_scaling_enabled") is True:
        rows.append(("warning", "CPU frequency scaling was enabled: timings are noisier"))
    return [[k, v] for k, v in rows if v]


def header_blocks(doc, cells, with_metrics=False):
    context, suite = doc["context"], doc["cmbench"]
    counts = {}
    for cell in cells:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    tally = ", ".join(f"{n} {STATUS_TEXT.get(s, s)}" for s, n in sorted(counts.items()))
    models = [[str(m["name"]) + (" (reference)" if m.get("reference") is True else ""),
               str(m.get("style", "")), str(m.get("idiom", "")),
               "yes" if m.get("concurrent") else "no", "yes" if m.get("parallel") else "no",
               f"{to_float(m['max_tasks']):,.0f}" if to_float(m.get("max_tasks")) else "no limit"]
              for m in suite["models"]]
    title = f"cmbench report — {suite.get('profile', '?')} run"
    date = str(context.get("date") or "")[:10]  # the day; the header table has the time
    blocks = [("h", 1, f"{title}, {date}" if date else title),
              ("table", ["environment", ""], environment_rows(context, suite), False),
              ("p", f"{len(cells)} cells: {tally}."),
              ("h", 2, "How to read this"), ("p", HOW_TO_READ)]
    if with_metrics:
        blocks.append(("p", HOW_TO_READ_METRICS))
    header = ["model", "style", "idiom", "concurrent", "parallel", "most tasks at once"]
    if models:
        blocks += [("h", 2, "Models"), ("table", header, models, False)]
    return blocks


def summary_text(cell, model):
    if cell is None or not cell.ok:
        return status_note(cell)
    if cell.speedup is None or model == BASELINE:
        return fmt_time(cell.median)
    return f"{fmt_time(cell.median)} · {fmt_speedup(cell.speedup)}"


def detail_row(cell, model, scale_label):
    if not cell.ok:
        return [model, scale_label, status_note(cell)] + [Note("")] * 7
    c = cell.counters
    flight = f"{c['peak_in_flight']:,.0f}" if "peak_in_flight" in c else Note("—")
    if "tasks" in c and "peak_in_flight" in c:
        flight = f"{flight} of {c['tasks']:,.0f}"
    rss = f"{c['peak_rss_kib'] / 1024:.1f} MiB" if "peak_rss_kib" in c else Note("—")
    if c.get("child_peak_rss_kib"):
        rss = f"{rss} (child {c['child_peak_rss_kib'] / 1024:.1f} MiB)"
    return [model, scale_label, fmt_time(cell.median), fmt_spread(cell),
            f"{cell.cv * 100:.1f} %" if cell.cv is not None else Note("—"),
            f"{c['cpu_util'] * 100:.0f} %" if "cpu_util" in c else Note("—"),
            fmt_speedup(cell.speedup) if cell.speedup is not None else Note("—"), flight,
            fmt_count(c["items_per_second"]) if "items_per_second" in c else Note("—"), rss]


def group_blocks(group, models, styles, charts):
    """One parameter group: summary table, what was not measured and why, charts, details."""
    present = group.models(models)
    header = ["model"] + [group.scale_label(s) for s in group.scales]
    rows = [[m] + [summary_text(group.cells.get((m, s)), m) for s in group.scales] for m in present]
    blocks = [("h", 3, f"{group.workload} · {group.label}"), ("table", header, rows, True)]
    if BASELINE not in present:
        blocks.append(("p", "No sequential cell at these parameters, so no speed-up."))
    missing = {}  # why -> models, so seven identical timeouts make one line
    for s in group.scales:
        for m in present:
            if (c := group.cells.get((m, s))) is not None and not c.ok:
                missing.setdefault((s, why_not(c)), []).append(m)
    if missing:
        blocks += [("p", "Not measured:"), ("ul", [f"{', '.join(ms)} at {group.scale_label(s)}: "
                                                   f"{why}" for (s, why), ms in missing.items()])]
    for kind, png in (("bars", draw(chart_bars, group, styles, present)),
                      ("scaling", draw(chart_scaling, group, styles, present))):
        if png is not None:
            path = f"charts/{group.workload}-{group.slug}-{kind}.png"
            charts[path] = png
            blocks.append(("img", path, f"{group.workload} {group.label}: {kind}"))
    details = [detail_row(c, m, s or "—") for s in group.scales for m in present
               if (c := group.cells.get((m, s))) is not None]
    header = ["model", group.scale_param or "scale", "median", "min–max", "cv", "CPU",
              "speed-up", "peak in flight", "tasks/s", "peak RSS"]
    if any(c.ok for c in group.cells.values()):
        blocks.append(("details", f"Details: {group.label}", [("table", header, details, True)]))
    return blocks


def metric_table(group, scale, labels, references, metrics):
    """One row per label, one column per metric (with its spread when charted, its ratio
    when it has a ratio_to row); a cell without a result shows its status instead."""
    header = ["model"]
    for m in metrics:
        header.append(m.heading)
        if m.chart:
            header.append("min–max")
        if m.ratio_to:
            header.append(f"× {m.ratio_to}")
    rows = []
    for label in labels:
        cell = group.cells.get((label, scale))
        name = f"{label} (reference)" if is_reference(label, references) else label
        if cell is None or not cell.ok:
            rows.append([name, status_note(cell)] + [Note("")] * (len(header) - 2))
            continue
        row = [name]
        for m in metrics:
            value = cell.metric(m.name)
            row.append(fmt_metric(value, m) if value is not None else Note("—"))
            if m.chart:
                row.append(fmt_metric_spread(cell, m))
            if m.ratio_to:
                ratio = metric_ratio(group, cell, scale, m)
                row.append(fmt_ratio(ratio, m.ratio_to) if ratio is not None else Note("—"))
        rows.append(row)
    return ("table", header, rows, True)


def metric_group_blocks(group, models, references, metrics, styles, charts):
    """One parameter group of a workload with metrics: a table per scale, what was not
    measured and why, a chart per charted metric and one of the latency percentiles."""
    present = metric_rows_order(group.models(models), references)
    blocks = [("h", 3, f"{group.workload} · {group.label}")]
    for scale in group.scales:
        if len(group.scales) > 1 or scale:
            blocks.append(("h", 4, group.scale_label(scale)))
        blocks.append(metric_table(group, scale, present, references, metrics))
    for m in metrics:
        if m.ratio_to and not any(group.cells.get((m.ratio_to, s)) is not None
                                  and group.cells[(m.ratio_to, s)].ok for s in group.scales):
            blocks.append(("p", f"No {m.ratio_to} result at these parameters, so no ratio "
                                f"to {m.ratio_to}."))
            break
    missing = {}  # why -> labels, so seven identical timeouts make one line
    for s in group.scales:
        for m in present:
            if (c := group.cells.get((m, s))) is not None and not c.ok:
                missing.setdefault((s, why_not(c)), []).append(m)
    if missing:
        blocks += [("p", "Not measured:"), ("ul", [f"{', '.join(ms)} at {group.scale_label(s)}: "
                                                   f"{why}" for (s, why), ms in missing.items()])]
    by_name = {m.name: m for m in metrics}
    latencies = [(by_name[n], short) for n, short in LATENCIES
                 if n in by_name and by_name[n].seconds_per_unit]
    pictures = [(m.name, m.title, draw(chart_metric, group, m, styles, present, references))
                for m in metrics if m.chart]
    if latencies:
        pictures.append(("latency", "latency percentiles",
                         draw(chart_latency, group, latencies, present, references)))
    for kind, title, png in pictures:
        if png is not None:
            path = f"charts/{group.workload}-{group.slug}-{kind}.png"
            charts[path] = png
            blocks.append(("img", path, f"{group.workload} {group.label}: {title}"))
    return blocks


def metrics_list(metrics):
    """What each figure is, its unit, which way is better and what it is divided by."""
    items = []
    for m in metrics:
        text = f"{m.title}" + (f" ({m.unit})" if m.unit else "") + f": {m.better}"
        if m.ratio_to:
            text += f"; × {m.ratio_to} is the cell's median over {m.ratio_to}'s"
        items.append(text)
    return ("ul", items)


def workload_blocks(workload, groups, models, styles, charts, references=()):
    name = workload["name"]
    blocks = [("h", 2, f"{name} — {workload['title']}" if workload.get("title") else name)]
    if workload.get("summary"):
        blocks.append(("p", str(workload["summary"])))
    params = [f"{p['name']} ({p.get('kind', '?')}, default {p.get('default', '?')})"
              + (f": {p['help']}" if p.get("help") else "")
              + (" — the scale" if p["name"] == workload.get("scale_param") else "")
              for p in workload.get("params") or [] if isinstance(p, dict) and p.get("name")]
    if params:
        blocks.append(("ul", params))
    metrics = workload_metrics(workload)
    if metrics:
        blocks += [("p", "These cells run for a fixed time, so their wall time is not a result: "
                         "the figures are the workload's own, each the median of the "
                         "repetitions."), metrics_list(metrics)]
    for group in groups:
        if metrics:
            blocks += metric_group_blocks(group, models, references, metrics, styles, charts)
        else:
            blocks += group_blocks(group, models, styles, charts)
    return blocks


def micro_blocks(doc):
    """The runtimes' costs: ns per operation, each beside its reference in the same run.

    Entries are named micro/<topic>/<row>; the reference of a topic is its `floor` (the
    least any implementation could do) or its `raw_*` row (a structure without the loop
    around it). Medians over repetitions, from items_per_second."""
    per_op = {}
    for entry in doc["benchmarks"]:
        if not isinstance(entry, dict) or entry.get("run_type", "iteration") != "iteration":
            continue
        name = GB_SUFFIX.sub("", str(entry.get("run_name") or entry.get("name") or ""))
        rate = to_float(entry.get("items_per_second"))
        if name.startswith("micro/") and rate and not entry.get("error_occurred"):
            per_op.setdefault(name, []).append(1e9 / rate)
    if not per_op:
        return []
    topics = {}
    for name, values in per_op.items():
        _, topic, row = (name.split("/") + ["", ""])[:3]
        topics.setdefault(topic, []).append((row, statistics.median(values), len(values)))
    blocks = [("h", 2, "Runtime costs (micro-benchmarks)"),
              ("p", "Nanoseconds per operation, median of the repetitions, measured in this run "
                    "(`cmbench micro`). The ratio is against the topic's reference row: its floor "
                    "(the least any implementation could do) or the raw structure alone.")]
    for topic, rows in topics.items():
        ref = next((v for r, v, _ in rows if r == "floor" or r.startswith("raw")), None)
        table = [[row, f"{sig3(v)} ns", f"{v / ref:.2f}×" if ref else Note("—"), str(n)]
                 for row, v, n in rows]
        blocks += [("h", 3, topic), ("table", ["row", "per operation", "vs reference", "reps"],
                                     table, True)]
    return blocks


def timeline_blocks(suite, run_dir, charts):
    """Each workload's timelines, one traced run per implementation stacked on one time axis
    (drawn by timeline.py); the JSON files stay beside the report, for Perfetto."""
    rows = [r for r in suite.get("timelines") or [] if isinstance(r, dict)]
    if not rows:
        return []
    import timeline  # scripts/timeline.py, beside this file
    blocks = [("h", 2, "Timelines"),
              ("p", "One more run of each workload per implementation, recorded after the "
                    "timed cells and never timed itself. Top of each block: what each OS thread "
                    "or process ran (a gap is idle or blocked) and how many cores were busy; "
                    "below: each task's states (running, ready, waiting on a timer, I/O, a "
                    "lock, a join, the pool) with its spawn and wake-up arrows. The caption's "
                    "overlap meter reads concurrency as Σ task time ÷ wall and parallelism as "
                    "CPU ÷ wall. Open any `timelines/*.json` in ui.perfetto.dev for the same "
                    "run, zoomable. How to read them: docs/timelines.md.")]
    workloads = {}
    for row in rows:
        workloads.setdefault(str(row.get("workload", "?")), []).append(row)
    for workload, members in workloads.items():
        blocks.append(("h", 3, f"{workload}: {members[0].get('cell', '').split('/', 2)[-1]}"))
        ok = [r for r in members if r.get("status") == "ok"]
        if ok:
            stem = Path(run_dir) / "charts" / f"timeline-{workload}"
            try:
                png, _svg = timeline.draw([Path(run_dir) / str(r["json"]) for r in ok], stem)
                path = f"charts/timeline-{workload}.png"
                charts[path] = Path(png).read_bytes()
                blocks.append(("img", path, f"{workload}: timelines of every model"))
            except (timeline.TraceError, OSError) as e:
                blocks.append(("p", f"The timelines could not be drawn: {e}"))
            blocks.append(("ul", [f"{r.get('label')}: {r.get('json')}" for r in ok]))
        failed = [r for r in members if r.get("status") != "ok"]
        if failed:
            blocks += [("p", "Not recorded:"),
                       ("ul", [f"{r.get('label')}: {r.get('reason') or r.get('status')}"
                               for r in failed])]
    return blocks


def failure_blocks(cells, micro):
    """Every cell without a verified time, and the micro-benchmarks' process if it failed."""
    rows = [[c.name, STATUS_TEXT.get(c.status, c.status), c.reason or Note("—"),
             c.log or Note("—")] for c in cells if not c.ok]
    if isinstance(micro, dict) and micro.get("status") not in (None, "ok", "not run"):
        rows.append(["micro-benchmarks", str(micro["status"]), str(micro.get("reason") or "—"),
                     str(micro.get("log") or "—")])
    if not rows:
        return [("h", 2, "Failures and limits"), ("p", "Every cell ran and verified its result.")]
    return [("h", 2, "Failures and limits"),
            ("table", ["cell", "status", "reason", "log"], rows, False)]


def md_cell(text):
    plain = str(text).replace("|", "\\|").replace("\n", " ")
    return f"*{plain}*" if isinstance(text, Note) and plain else plain


def render_markdown(blocks):
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in block[1]))
        elif kind == "table":
            header, rows, numeric = block[1], block[2], block[3]
            rule = ["---:" if numeric and i else "---" for i in range(len(header))]
            lines = ["| " + " | ".join(md_cell(h) for h in header) + " |", f"|{'|'.join(rule)}|"]
            lines += ["| " + " | ".join(md_cell(x) for x in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[2]}]({block[1]})")
        elif kind == "details":
            out.append(f"**{block[1]}**\n\n" + render_markdown(block[2]).rstrip())
    return "\n\n".join(out) + "\n"


CSS = """
body{font-family:system-ui,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1150px;
 margin:2em auto;padding:0 1em;line-height:1.45;color:#222}
h2{border-bottom:2px solid #ddd;margin-top:2.2em} h3{margin-top:1.8em}
table{border-collapse:collapse;margin:.8em 0;font-size:.95em}
th,td{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}
th{background:#eef1f4} tr:nth-child(even) td{background:#fafafa}
table.num td{text-align:right;white-space:nowrap} table.num td:first-child{text-align:left}
td.na{color:#888;font-style:italic}
img{max-width:100%;height:auto;display:block;margin:1em 0}
details{margin:.5em 0 1.5em} summary{cursor:pointer;color:#0b5394}
"""


def html_cell(tag, text):
    css = ' class="na"' if isinstance(text, Note) else ""
    return f"<{tag}{css}>{html.escape(str(text))}</{tag}>"


def render_html_blocks(blocks, charts):
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
        elif kind == "p":
            out.append(f"<p>{html.escape(block[1])}</p>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block[1]) + "</ul>")
        elif kind == "table":
            head = "".join(html_cell("th", h) for h in block[1])
            rows = "".join("<tr>" + "".join(html_cell("td", x) for x in r) + "</tr>\n"
                           for r in block[2])
            css = ' class="num"' if block[3] else ""
            out.append(f"<table{css}><tr>{head}</tr>\n{rows}</table>")
        elif kind == "img":  # inlined, so the file works offline and as a single attachment
            data = base64.b64encode(charts[block[1]]).decode("ascii")
            out.append(f'<img src="data:image/png;base64,{data}" alt="{html.escape(block[2])}">')
        elif kind == "details":
            out.append(f"<details><summary>{html.escape(block[1])}</summary>\n"
                       + render_html_blocks(block[2], charts) + "\n</details>")
    return "\n".join(out)


def render_html(blocks, charts):
    title = html.escape(blocks[0][2]) if blocks and blocks[0][0] == "h" else "cmbench report"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"{render_html_blocks(blocks, charts)}\n</body>\n</html>\n")


# ---------------------------------------------------------------------------- outputs

def write_atomic(path, data):
    """Write to a temporary file beside `path`, then rename it over `path` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(cells, param_names, metric_names=()):
    """One row per cell, ok or not, with raw numbers (seconds, ratios) for other tools.

    The workloads' metrics come last, one column each (the median, in the metric's unit)."""
    fixed = ["workload", "model", "status", "reason", "repetitions", "median_s", "min_s",
             "max_s", "cv", *COUNTERS, "speedup_vs_sequential"]
    params = [(n, f"param_{n}" if n in fixed else n) for n in param_names]
    taken = set(fixed) | {column for _, column in params}
    metrics = [(n, f"metric_{n}" if n in taken else n) for n in metric_names]
    fields = fixed[:2] + [column for _, column in params] + fixed[2:] + \
        [column for _, column in metrics]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()

    def number(x):
        return "" if x is None else f"{x:.6g}"
    for c in cells:
        row = {"workload": c.workload, "model": c.model, "status": c.status, "reason": c.reason,
               "repetitions": c.repetitions or "", "median_s": number(c.median),
               "min_s": number(c.low), "max_s": number(c.high), "cv": number(c.cv),
               "speedup_vs_sequential": number(c.speedup)}
        row.update({column: c.params.get(n, "") for n, column in params})
        row.update({k: number(c.counters.get(k)) for k in COUNTERS})
        row.update({column: number(c.metric(n)) for n, column in metrics})
        writer.writerow(row)
    return buffer.getvalue()


def summary_metric(metrics):
    """The figure a workload with metrics shows in the terminal: its first charted one."""
    return next((m for m in metrics if m.chart), metrics[0] if metrics else None)


def terminal_summary(cells, groups_by_workload, models, width=120, metrics_by_workload=None):
    """Per parameter group, every model at the largest scale where anything ran.

    A workload with metrics shows its first charted metric and that metric's ratio
    instead of the wall time. Columns that would not fit in `width` go to a second block
    below, as a terminal would otherwise wrap every line and scramble the table."""
    metrics_by_workload = metrics_by_workload or {}
    present = [m for m in models if any(c.model == m for c in cells)]
    ok = sum(c.ok for c in cells)
    head = [f"{len(cells)} cells, {ok} with a verified time."]
    if any(not metrics_by_workload.get(w) for w, _ in groups_by_workload) or not cells:
        head[0] += " Median wall time at the largest scale that ran; × = speed-up vs sequential"
    for workload, _ in groups_by_workload:
        if (metric := summary_metric(metrics_by_workload.get(workload, []))) is not None:
            ratio = f"; × = over {metric.ratio_to}" if metric.ratio_to else ""
            head.append(f"{workload}: median {metric.heading} at the largest scale that ran, "
                        f"{metric.better}{ratio}")
    if not present:
        return head[0]
    rows = [["", *present]]
    for workload, groups in groups_by_workload:
        rows.append([workload] + [""] * len(present))
        metric = summary_metric(metrics_by_workload.get(workload, []))
        for g in groups:
            timed = [s for s in g.scales if any(c.ok for (m, x), c in g.cells.items() if x == s)]
            scale = (timed or g.scales)[-1]
            line = [f"  {g.label}  {g.scale_label(scale)}"]
            for m in present:
                c = g.cells.get((m, scale))
                if c is not None and c.ok and metric is not None:
                    value, ratio = c.metric(metric.name), metric_ratio(g, c, scale, metric)
                    text = "—" if value is None else fmt_metric(value, metric).replace(" ", "")
                    shown = ratio is not None and m != metric.ratio_to
                    line.append(text + (f" {fmt_speedup(ratio)}" if shown else ""))
                elif c is not None and c.ok:
                    speed = f" {fmt_speedup(c.speedup)}" if c.speedup and m != BASELINE else ""
                    line.append(fmt_time(c.median).replace(" ", "") + speed)
                else:
                    line.append("—" if c is None else STATUS_SHORT.get(c.status, c.status))
            rows.append(line)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    blocks, used = [[]], widths[0]
    for i in range(1, len(widths)):
        if blocks[-1] and used + 2 + widths[i] > width:
            blocks.append([])
            used = widths[0]
        blocks[-1].append(i)
        used += 2 + widths[i]
    for columns in blocks:
        head.append("")
        head += ["  ".join(r[i].ljust(widths[i]) for i in [0, *columns]).rstrip() for r in rows]
    return "\n".join(head)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the report of one cmbench run.")
    parser.add_argument("run_dir", type=Path, help="directory holding results.json")
    parser.add_argument("--quiet", action="store_true", help="write the files, print nothing")
    args = parser.parse_args(argv)
    try:
        doc = load_results(args.run_dir)
    except ResultsError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 1
    suite = doc["cmbench"]
    meta = {str(w["name"]): w for w in suite["workloads"]}
    metrics_by_workload = {name: workload_metrics(w) for name, w in meta.items()}
    cells = build_cells(doc, metrics_by_workload)
    models = with_variants([str(m["name"]) for m in suite["models"]], [c.model for c in cells])
    references = [str(m["name"]) for m in suite["models"] if m.get("reference") is True]
    styles = model_styles(models)
    workloads = ordered_names(list(meta), [c.workload for c in cells])
    set_chart_style()
    with_metrics = any(metrics_by_workload.get(c.workload) for c in cells)
    blocks, charts, groups_by_workload = header_blocks(doc, cells, with_metrics), {}, []
    for name in workloads:
        members = [c for c in cells if c.workload == name]
        if not members:
            continue
        workload = meta.get(name, {"name": name})
        groups = build_groups(workload, members)
        for group in groups:
            if not metrics_by_workload.get(name):  # a fixed-duration run has no speed-up
                compute_speedups(group)
        groups_by_workload.append((name, groups))
        blocks += workload_blocks(workload, groups, models, styles, charts, references)
    blocks += micro_blocks(doc)
    blocks += timeline_blocks(suite, args.run_dir, charts)
    blocks += failure_blocks(cells, suite.get("micro"))
    declared = [str(p["name"]) for w in suite["workloads"] for p in w.get("params") or []
                if isinstance(p, dict) and p.get("name")]
    param_names = ordered_names(declared, [k for c in cells for k in c.params])
    metric_names = ordered_names([m.name for ms in metrics_by_workload.values() for m in ms], [])
    try:
        for path, png in charts.items():
            write_atomic(args.run_dir / path, png)
        write_atomic(args.run_dir / "results.csv", csv_text(cells, param_names, metric_names))
        write_atomic(args.run_dir / "report.md", render_markdown(blocks))
        write_atomic(args.run_dir / "report.html", render_html(blocks, charts))
    except OSError as e:
        print(f"report.py: cannot write the report: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(terminal_summary(cells, groups_by_workload, models,
                               metrics_by_workload=metrics_by_workload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
