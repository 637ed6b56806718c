"""The runs' history: one JSON line per run in history.jsonl beside the run directories
(reports/history.jsonl), and the headline figures drawn over time.

A line holds the run's stamp, commit, profile and machine, and the median (with the
min–max over repetitions) of every verified cell's figures: its wall time for a timed
workload, the workload's first and its charted metrics. docs/history.md describes it.

Several reports may be written at once (two suites sharing reports/): a line is appended
with one write to a file opened O_APPEND, under an exclusive flock, so lines never
interleave. Writing the report of a run already in the history (same stamp) replaces its
line: the file is then rewritten under a new name and renamed over the old one, still under
the lock; a writer that was waiting on the old file sees it replaced and locks the new one.
"""

import fcntl
import json
import math
import os
import re
from pathlib import Path

from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from cmbench_report.charts import chart_unit, finish_chart, plain_log_axis
from cmbench_report.files import write_atomic
from cmbench_report.formatting import fmt_count
from cmbench_report.results import TIME_UNITS, numeric_value, to_float, warn
from cmbench_report.style import model_styles, plt

HISTORY_FILE = "history.jsonl"
FORMAT = 1
WALL = "wall_time"  # the figure name of a cell's wall time
# The figures drawn over time: (workload, figure, what it shows). Each chart follows, per
# model, the cell at the largest scale that model ran.
HEADLINES = (("sleep_fanout", WALL, "waiting"), ("cpu_bound", WALL, "computing"),
             ("http_server", "server_cpu_us_per_req", "serving"),
             ("spawn_many", "ns_per_task", "spawning"))
MAX_TICKS = 16  # run labels on the x axis; more runs get every k-th label


def history_path(run_dir):
    """history.jsonl in the run directory's parent (reports/ for reports/<stamp>)."""
    return Path(run_dir).resolve().parent / HISTORY_FILE


def rounded(x):
    return float(f"{x:.4g}")


def run_entry(doc, cells, metrics_by_workload, untimed, run_dir):
    """The history line of this run (a dict), from its verified cells."""
    context, suite = doc["context"], doc["cmbench"]

    def text(*keys):
        return next((str(context[k]) for k in keys if context.get(k) not in (None, "")), "")
    cpus = to_float(context.get("cmbench_cores")) or to_float(context.get("num_cpus"))
    figures = {WALL: {"title": "wall time", "unit": "s", "lower_is_better": True}}
    for metrics in metrics_by_workload.values():
        for m in metrics:
            figures.setdefault(m.name, {"title": m.title, "unit": m.unit,
                                        "lower_is_better": m.lower_is_better})
    rows = []
    for cell in cells:
        if not cell.ok:
            continue
        metrics = metrics_by_workload.get(cell.workload) or []
        shown = [m for m in metrics if m.chart]
        if cell.workload in untimed:
            shown = metrics[:1] + [m for m in shown if m is not metrics[0]]
        else:
            rows.append(figure_row(cell, WALL, "s", cell.median, cell.low, cell.high))
        for m in shown:
            low, high = cell.metric_range(m.name)
            rows.append(figure_row(cell, m.name, m.unit, cell.metric(m.name), low, high))
    return {"format": FORMAT,
            "stamp": str(suite.get("started") or Path(run_dir).resolve().name),
            "commit": text("cmbench_commit"), "profile": str(suite.get("profile") or ""),
            "date": text("date"),
            "environment": {"cpu_model": text("cmbench_cpu_model"),
                            "kernel": text("cmbench_kernel"),
                            "cpus": int(cpus) if cpus else None, "host": text("host_name")},
            "models": [str(m["name"]) for m in suite["models"]],
            "scale_params": {str(w["name"]): str(w.get("scale_param") or "")
                             for w in suite["workloads"]},
            "figures": figures, "cells": [r for r in rows if r is not None]}


def figure_row(cell, figure, unit, median, low, high):
    if median is None:
        return None
    low = median if low is None else low
    high = median if high is None else high
    return {"name": cell.name, "cpu_budget": cell.cpu_budget, "figure": figure, "unit": unit,
            "median": rounded(median), "min": rounded(low), "max": rounded(high)}


# --- the file ----------------------------------------------------------------------------

# The stamp near the start of a line as run_entry writes it ({"format":1,"stamp":"..."}),
# so that finding a run does not parse every line whole; other lines are parsed.
STAMP = re.compile(rb'^\{(?:"format":\d+,)?"stamp":"([^"\\]*)"')


def stamp_of(line):
    """The stamp of a history line (bytes), or None for a line that is not a run."""
    match = STAMP.match(line)
    if match:
        return match[1].decode("utf-8", "replace")
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry.get("stamp") if isinstance(entry, dict) else None


def record_run(path, entry):
    """Add the run to the history at `path`, or replace its line if its stamp is there.

    Raises OSError when the file cannot be written."""
    line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    while True:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # Renamed over while we waited for the lock: this file is gone, lock the new one.
            if not os.path.exists(path) or not os.path.samestat(os.fstat(fd), os.stat(path)):
                continue
            os.lseek(fd, 0, os.SEEK_SET)
            data = b""
            while chunk := os.read(fd, 1 << 20):
                data += chunk
            lines = data.splitlines(keepends=True)
            stamps = [stamp_of(x) for x in lines]
            if entry["stamp"] in stamps:
                kept, placed = [], False
                for x, stamp in zip(lines, stamps):
                    if stamp != entry["stamp"]:
                        kept.append(x if x.endswith(b"\n") else x + b"\n")
                    elif not placed:  # in place of the first, and only once
                        kept.append(line)
                        placed = True
                write_atomic(Path(path), b"".join(kept))
            else:
                # after a line cut short (a crash), start on a line of our own
                todo = line if not data or data.endswith(b"\n") else b"\n" + line
                while todo:
                    todo = todo[os.write(fd, todo):]
            return
        finally:
            os.close(fd)  # and with it the lock


def record_history(run_dir, entry):
    """record_run into the run directory's parent; a failure costs a warning, not the
    report."""
    path = history_path(run_dir)
    try:
        record_run(path, entry)
    except OSError as e:
        warn(f"cannot record the run in {path}: {e}")


def read_history(path):
    """The runs in a history file, in file order; lines that are not a run are skipped
    with a warning. A missing file is an empty history."""
    try:
        with open(path, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_SH)  # no line half-appended by a writer
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    except OSError as e:
        warn(f"cannot read {path}: {e}")
        return []
    runs, bad = [], 0
    for line in lines:
        try:
            entry = json.loads(line) if line.strip() else None
        except ValueError:
            entry = None
        if isinstance(entry, dict) and entry.get("stamp") and isinstance(entry.get("cells"),
                                                                           list):
            runs.append(entry)
        elif line.strip():
            bad += 1
    if bad:
        warn(f"{path}: skipped {bad} line{'s that are' if bad > 1 else ' that is'} not a run")
    return runs


def same_profile(runs, profile):
    """The runs of one profile, oldest first, one per stamp (the last line wins)."""
    by_stamp = {str(r["stamp"]): r for r in runs if r.get("profile") == profile}
    return [by_stamp[s] for s in sorted(by_stamp)]


# --- the charts --------------------------------------------------------------------------

def name_params(name):
    """{param: value} from a cell name, workload/label/k:v/k:v."""
    return dict(part.split(":", 1) for part in name.split("/")[2:] if ":" in part)


def figure_values(run, workload, figure):
    """{label: [(name, median, min, max)]} of one run's cells of a workload (all CPUs)."""
    found = {}
    for row in run.get("cells") or []:
        if not isinstance(row, dict) or row.get("figure") != figure \
                or row.get("cpu_budget", "all") != "all":
            continue
        name = str(row.get("name") or "")
        parts = name.split("/")
        median = to_float(row.get("median"))
        if len(parts) < 2 or parts[0] != workload or median is None:
            continue
        low, high = to_float(row.get("min")), to_float(row.get("max"))
        found.setdefault(parts[1], []).append(
            (name, median, median if low is None else low, median if high is None else high))
    return found


def headline_cells(runs, workload, figure):
    """[(model, cell name)]: for each declared model, the cell at the largest scale it ran
    in the most recent run that has one; the models in the latest run's order."""
    models = [str(m) for m in runs[-1].get("models") or []]
    chosen = {}
    for run in reversed(runs):
        scale = str((run.get("scale_params") or {}).get(workload) or "")

        def size(row):
            value = numeric_value(name_params(row[0]).get(scale, ""))
            return value if value is not None else -math.inf
        for model, rows in figure_values(run, workload, figure).items():
            if model in models and model not in chosen:
                chosen[model] = max(rows, key=size)[0]  # ties: the first, the runner's order
    return [(m, chosen[m]) for m in models if m in chosen]


ENVIRONMENT = (("cpu_model", "CPU"), ("cpus", "CPUs"), ("kernel", "kernel"))


def environment_of(run):
    env = run.get("environment")
    return {k: str(env.get(k) or "") for k, _ in ENVIRONMENT} if isinstance(env, dict) else {}


def environment_text(run):
    env = environment_of(run)
    cpus = env.get("cpus")
    return ", ".join(x for x in (env.get("cpu_model"), f"{cpus} CPUs" if cpus else "",
                                 env.get("kernel")) if x)


def machine_change(before, after):
    """'kernel: Linux 6.1' when the machine differs between two runs, else ''."""
    old, new = environment_of(before), environment_of(after)
    return "; ".join(f"{title}: {new.get(k) or '?'}" for k, title in ENVIRONMENT
                     if old.get(k) != new.get(k))


def run_label(run):
    """'12-06 11:16' over the short commit: the year is in the history's table."""
    stamp, commit = str(run.get("stamp")), str(run.get("commit") or "")[:7]
    if len(stamp) == 15 and stamp[8] == "-":  # 20261206-111644
        stamp = f"{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}"
    return f"{stamp}\n{commit}"


def figure_meta(runs, figure):
    """(title, unit, lower_is_better) of a figure, from the newest run that describes it."""
    for run in reversed(runs):
        meta = (run.get("figures") or {}).get(figure)
        if isinstance(meta, dict):
            return (str(meta.get("title") or figure), str(meta.get("unit") or ""),
                    meta.get("lower_is_better") is not False)
    return figure, "", True


def chart_history(runs, workload, figure, what):
    """One line per model through the runs, point = median, whisker = min–max over the
    run's repetitions; a dotted line where the machine changed. PNG bytes, or None when
    fewer than two runs have the figure."""
    picks = headline_cells(runs, workload, figure)
    if not picks:
        return None
    series = {}
    for model, name in picks:
        points = []
        for run in runs:
            rows = figure_values(run, workload, figure).get(model, [])
            points.append(next(((m, lo, hi) for n, m, lo, hi in rows if n == name), None))
        if sum(p is not None for p in points) >= 1:
            series[(model, name)] = points
    present = [i for i in range(len(runs)) if any(p[i] for p in series.values())]
    if len(present) < 2:
        return None
    title, unit, lower_is_better = figure_meta(runs, figure)
    values = [v for points in series.values() for p in points if p for v in p if v > 0]
    seconds = 1.0 if figure == WALL else TIME_UNITS.get(unit)
    if seconds:
        shown_unit, factor = chart_unit([v * seconds for v in values] or [1.0])
        scale, axis = seconds / factor, f"{title} ({shown_unit})"
    else:
        scale, axis = 1.0, f"{title} ({unit})" if unit else title
    params = [name_params(name) for _, name in series]
    common = {k: v for k, v in params[0].items() if all(p.get(k) == v for p in params)}
    styles = model_styles([m for m, _ in series])
    fig, ax = plt.subplots(figsize=(11, 5.8))
    legend = []
    x = list(range(len(runs)))
    for (model, name), points in series.items():
        colour, marker = styles[model]
        ys = [p[0] * scale if p else math.nan for p in points]
        ax.plot(x, ys, color=colour, marker=marker, markersize=8, linewidth=2)
        for i, p in enumerate(points):
            if p:
                ax.errorbar(i, p[0] * scale, yerr=[[max(0.0, p[0] - p[1]) * scale],
                                                   [max(0.0, p[2] - p[0]) * scale]],
                            fmt="none", ecolor=colour, capsize=3, linewidth=1.2)
        own = ", ".join(f"{k}={v}" for k, v in name_params(name).items() if k not in common)
        legend.append(Line2D([], [], color=colour, marker=marker, markersize=8, linewidth=2,
                             label=f"{model} ({own})" if own else model))
    shown = [v * scale for v in values]
    if shown and min(shown) > 0 and max(shown) / min(shown) > 20:
        ax.set_yscale("log")
        plain_log_axis(ax.yaxis, min(shown), max(shown))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v)))
        axis += ", log scale"
    else:
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v) if v else "0"))
    for i in range(1, len(runs)):
        change = machine_change(runs[i - 1], runs[i])
        if change:
            ax.axvline(i - 0.5, color="#555555", linestyle=":", linewidth=1.5)
            ax.text(i - 0.45, 0.98, change, transform=ax.get_xaxis_transform(), rotation=90,
                    va="top", fontsize=9, color="#555555",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    step = max(1, math.ceil(len(runs) / MAX_TICKS))
    ax.set_xticks(x[::step])
    slant = {"rotation": 30, "ha": "right", "rotation_mode": "anchor"} \
        if len(x[::step]) > 8 else {}
    ax.set_xticklabels([run_label(r) for r in runs][::step], fontsize=10, **slant)
    ax.set_xlim(-0.5, len(runs) - 0.5)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(axis)
    ax.set_xlabel("run (month-day time, commit); point = median, whisker = min–max over "
                  "its repetitions")
    better = "lower is better" if lower_is_better else "higher is better"
    fixed = ", ".join(f"{k}={v}" for k, v in common.items())
    return finish_chart(fig, ax, f"{workload} ({what}): {title}, {better}"
                        + (f"\n{fixed}" if fixed else ""), legend)


def history_charts(runs, prefix, charts):
    """Draw every headline chart the runs allow into `charts` ({path: PNG}); returns the
    [("img", path, alt)] blocks."""
    blocks = []
    for workload, figure, what in HEADLINES:
        try:
            png = chart_history(runs, workload, figure, what)
        except Exception as e:  # noqa: BLE001 — one chart is not worth the report
            warn(f"history chart for {workload}: {e}")
            plt.close("all")
            png = None
        if png is not None:
            path = f"{prefix}{workload}.png"
            charts[path] = png
            title = figure_meta(runs, figure)[0]
            blocks.append(("img", path, f"{workload}: {title} over the runs"))
    return blocks


HOW_TO_READ = (
    "Each chart follows one cell per model through the runs of this profile: the cell at the "
    "largest scale that model ran (in the latest run that has it). Point = the run's median, "
    "whisker = min–max over its repetitions. A dotted line marks a change of machine (CPU "
    "model, CPU count or kernel): figures on either side of it are not comparable, and "
    "within a stretch the VM's speed bands (see Stability) still move them by up to about "
    "1.3×.")


def history_blocks(entry, run_dir, charts, recorded=True):
    """The report's History section: the headline figures over the runs of this run's
    profile, this run included; nothing when the history has fewer than two of them."""
    path = history_path(run_dir)
    runs = [r for r in read_history(path) if r.get("stamp") != entry["stamp"]] + [entry]
    runs = same_profile(runs, entry["profile"])
    if len(runs) < 2:
        return []
    images = history_charts(runs, "charts/history-", charts)
    text = (f"{len(runs)} runs of the {entry['profile'] or '?'} profile in "
            f"{path.parent.name}/{HISTORY_FILE}, from {runs[0]['stamp']} to "
            f"{runs[-1]['stamp']}.")
    if not recorded:
        text += " This run is shown but not recorded (--no-history)."
    text += " scripts/history.py draws every profile's history (docs/history.md)."
    if not images:
        text += " None of the headline workloads has a figure in two of these runs."
    return [("h", 2, "History"), ("p", text), ("p", HOW_TO_READ)] + images


def history_page(runs, charts):
    """The blocks of history.md / history.html: per profile, its runs and its charts."""
    blocks = [("h", 1, "cmbench history"),
              ("p", f"{len(runs)} runs recorded in {HISTORY_FILE}."), ("p", HOW_TO_READ)]
    for profile in sorted({str(r.get("profile") or "") for r in runs}):
        members = same_profile(runs, profile)
        table = [[str(r["stamp"]), str(r.get("commit") or ""), environment_text(r),
                  str(len({(c.get("name"), c.get("cpu_budget")) for c in r.get("cells") or []
                           if isinstance(c, dict)}))]
                 for r in members]
        blocks += [("h", 2, f"{profile or '?'} profile"),
                   ("table", ["run", "commit", "machine", "verified cells"], table, False)]
        images = history_charts(members, f"history/{profile or 'unknown'}-", charts) \
            if len(members) > 1 else []
        if not images:
            blocks.append(("p", "Fewer than two runs with a headline figure: nothing to draw."))
        blocks += images
    return blocks
