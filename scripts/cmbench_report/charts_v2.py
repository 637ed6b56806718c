"""The charts that hold a group against its ideal: speed-up and parallel efficiency over
sequential, the ideal line of the scaling chart, memory per task, CPU utilisation, and the
latency percentiles of servers and clients. Each shows its spread (min–max over the
repetitions), says its units, and comes with a caption saying what its ideal line means.

A figure here is (file kind, title, PNG bytes or None, blocks after it): the blocks are the
chart's caption and table, or, when a chart cannot be drawn, the note saying why, so that a
missing chart is explained rather than silently absent (sections.group_blocks places them).

Which group gets which chart follows from the data, not from a list of workloads, except
where a workload's ideal is a formula of its own parameters (IDEAL_WAIT):
  computing   the sequential cells keep one CPU busy (cpu_util ≥ 80 %) for at least 1 ms:
              the only way past sequential is more CPUs, so speed-up ÷ CPUs is the parallel
              efficiency, and the ideal wall time is sequential ÷ the CPUs the tasks can fill.
              (A sequential run of microseconds, as in spawn_many or ping_pong, measures a
              model's fixed costs, where a speed-up is an overhead ratio, not parallelism.)
  waiting     the workload's ideal wall time is set by its waits (sleep_fanout: the longest
              wait, whatever N): concurrency, not CPUs, is what reaches it.
"""

import math
import re
import statistics
from dataclasses import dataclass, field

from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import blended_transform_factory

from cmbench_report.charts import chart_latency, chart_scaling, draw, finish_chart, \
    plain_log_axis, repetitions_text
from cmbench_report.formatting import STATUS_SHORT, Note, fmt_count, fmt_speedup, \
    status_note
from cmbench_report.groups import BASELINE
from cmbench_report.results import numeric_value, to_float
from cmbench_report.style import bar_style, plt

COMPUTING_CPU_UTIL = 0.8  # the sequential cells' CPU time ÷ wall time, at least
WAITING_CPU_UTIL = 0.2  # … and at most, for work that mostly waits
SHORTEST_COMPUTATION_S = 1e-3  # a sequential median below this measures fixed costs
MEMORY_FROM_RSS = ("sleep_fanout",)  # workloads whose peak RSS ÷ N is drawn against N
# A latency percentile metric: an optional prefix ("fetch_") and p50, p90, p99 or p999, in µs.
PERCENTILE = re.compile(r"^(?P<prefix>\w*?)p(?P<p>50|90|99|999)_us$")
PERCENTILE_TEXT = {"50": "p50", "90": "p90", "99": "p99", "999": "p99.9"}
PERCENTILE_MEANING = {"p50": "is the median", "p90": "the slowest one in ten",
                      "p99": "the slowest one in a hundred",
                      "p99.9": "the slowest one in a thousand"}
IDEAL_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.6}
ONE_STYLE = {"color": "#555555", "linestyle": ":", "linewidth": 1.6}


@dataclass
class RunFacts:
    """What a group's charts need to know about the run around it."""
    cpus: int = None  # the context's CPU count: a cell's own where it did not record one
    workloads: frozenset = field(default_factory=frozenset)  # workloads with cells here


def run_facts(doc, cells):
    context = doc.get("context") or {}
    cpus = to_float(context.get("cmbench_cores")) or to_float(context.get("num_cpus"))
    return RunFacts(int(cpus) if cpus and cpus >= 1 else None,
                    frozenset(c.workload for c in cells))


def cpus_of(cell, facts):
    """The CPUs the cell could use: its own record (a --cpus run), else the machine's."""
    return cell.cpus or facts.cpus


def usable_cpus(cell, facts):
    """The CPUs its tasks can keep busy: no more than it could use, nor than it ran tasks."""
    cpus = cpus_of(cell, facts)
    tasks = cell.counters.get("tasks")
    return min(cpus, max(1, int(tasks))) if cpus and tasks else cpus


def caption(text):
    return [("p", text)]


# ---- speed-up and parallel efficiency ------------------------------------------------------

def is_computing(group):
    """Does the group's sequential version keep one CPU busy (see the module's header)?"""
    base = [c for s in group.scales if (c := group.cells.get((BASELINE, s))) is not None
            and c.ok]
    if not base:
        return False
    if group.workload == "cpu_bound":  # computing by definition, even without cpu_util
        return True
    return all(c.counters.get("cpu_util", 0) >= COMPUTING_CPU_UTIL
               and c.median >= SHORTEST_COMPUTATION_S for c in base)


def is_waiting(group):
    """Is the group's work mostly waiting: an ideal set by its waits (IDEAL_WAIT), or a
    sequential version that leaves the CPU idle (cpu_util ≤ 20 %)?"""
    if group.workload in IDEAL_WAIT:
        return True
    utils = [c.counters.get("cpu_util") for s in group.scales
             if (c := group.cells.get((BASELINE, s))) is not None and c.ok]
    return bool(utils) and all(u is not None and u <= WAITING_CPU_UTIL for u in utils)


def speedup_of(cell, base):
    """(median ratio, low, high): the spread from both cells' min–max over repetitions, the
    worst pairing and the best (sequential's fastest over the model's slowest, and back)."""
    return (base.median / cell.median, (base.low or base.median) / (cell.high or cell.median),
            (base.high or base.median) / (cell.low or cell.median))


def speedups(group, models, facts):
    """{(model, scale): (speed-up, low, high, CPUs it could use, CPUs its tasks can fill)}."""
    found = {}
    for model in models:
        for scale in group.scales:
            cell, base = group.cells.get((model, scale)), group.cells.get((BASELINE, scale))
            if cell is not None and cell.ok and base is not None and base.ok:
                found[(model, scale)] = speedup_of(cell, base) + (cpus_of(cell, facts),
                                                                  usable_cpus(cell, facts))
    return found


def grouped_bars(ax, group, models, styles, value_of):
    """Models side by side at each scale, as chart_bars draws them: `value_of(model, scale)`
    gives (median, low, high), or None and the status is written where the bar would be."""
    width = 0.8 / len(models)
    at_bottom = blended_transform_factory(ax.transData, ax.transAxes)
    for i, model in enumerate(models):
        for j, scale in enumerate(group.scales):
            x = j - 0.4 + width * (i + 0.5)
            cell = group.cells.get((model, scale))
            if cell is None:
                continue
            value = value_of(model, scale)
            if value is None:
                text = STATUS_SHORT.get(cell.status, cell.status) if not cell.ok else "n/a"
                ax.text(x, 0.02, text, rotation=90, transform=at_bottom, ha="center",
                        va="bottom", fontsize=10, color=styles[model][0])
                continue
            median, low, high = value
            ax.bar(x, median, width * 0.92, **bar_style(model, styles))
            ax.errorbar(x, median, yerr=[[max(median - low, 0)], [max(high - median, 0)]],
                        fmt="none", ecolor="black", capsize=3, linewidth=1.2)
    ax.set_xticks(range(len(group.scales)))
    ax.set_xlim(-0.5, len(group.scales) - 0.5)
    ax.set_xticklabels([group.scale_label(s) for s in group.scales])
    ax.grid(axis="x", visible=False)


def ideal_segments(ax, group, level_at, style):
    """The ideal as a dashed segment across each scale's bars: it may differ by scale (one
    chunk cannot fill two CPUs)."""
    for j, scale in enumerate(group.scales):
        level = level_at(scale)
        if level is not None:
            ax.plot([j - 0.45, j + 0.45], [level, level], zorder=3, **style)


def chart_speedup(group, styles, models, facts, found):
    """Speed-up over sequential and, where the CPU count is known, parallel efficiency
    (speed-up ÷ CPUs), side by side; bar = the medians' ratio, whisker = from the min–max."""
    with_efficiency = all(v[3] for v in found.values())
    panels = 2 if with_efficiency else 1
    fig, axes = plt.subplots(1, panels, squeeze=False, layout="constrained",
                             figsize=(7.5 * panels + 1.5, 5.8))
    axes = list(axes[0])

    def fill(scale):  # the ideal speed-up at this scale: the CPUs its tasks can fill
        levels = {v[4] for (m, s), v in found.items() if s == scale and v[4]}
        return max(levels) if levels else None

    grouped_bars(axes[0], group, models, styles,
                 lambda m, s: found[(m, s)][:3] if (m, s) in found else None)
    ideal_segments(axes[0], group, fill, IDEAL_STYLE)
    axes[0].axhline(1.0, zorder=0.5, **ONE_STYLE)
    axes[0].set_ylabel("speed-up over sequential (×)")
    top = max([v[2] for v in found.values()] + [v[3] or 1 for v in found.values()])
    axes[0].set_ylim(0, top * 1.15)
    if with_efficiency:
        grouped_bars(axes[1], group, models, styles,
                     lambda m, s: tuple(x / found[(m, s)][3] for x in found[(m, s)][:3])
                     if (m, s) in found else None)
        cpus = {s: next((v[3] for (m, t), v in found.items() if t == s), None)
                for s in group.scales}
        ideal_segments(axes[1], group,
                       lambda s: fill(s) / cpus[s] if fill(s) and cpus[s] else None,
                       IDEAL_STYLE)
        axes[1].set_ylabel("parallel efficiency (speed-up ÷ CPUs)")
        axes[1].set_ylim(0, max(1.0, max(v[2] / v[3] for v in found.values())) * 1.15)
    fig.supxlabel(f"bar = ratio of the medians ({repetitions_text(group.cells.values())} "
                  "repetitions each), whisker = from the two cells' min–max", fontsize=12)
    fig.suptitle(f"{group.workload}: {group.label} — speed-up over sequential"
                 + (" and parallel efficiency" if with_efficiency else "")
                 + " (higher is better)", x=0.01, ha="left", fontsize=15)
    legend = [Patch(label=m, **bar_style(m, styles)) for m in models]
    legend += [Line2D([], [], label="ideal", **IDEAL_STYLE),
               Line2D([], [], label="sequential (1×)", **ONE_STYLE)]
    return finish_chart(fig, axes[-1], None, legend)


def speedup_figures(group, rows, styles, facts):
    """The speed-up chart with its table (speed-up · efficiency per model and scale) and
    caption, for a computing group with a sequential row; nothing for any other group."""
    models = [m for m in rows if m != BASELINE]
    if BASELINE not in rows or not models or not is_computing(group):
        return []
    found = speedups(group, models, facts)
    if not found:
        return [("speedup", "speed-up", None,
                 caption("No model and sequential both verified at the same parameters: "
                         "no speed-up chart."))]
    png = draw(chart_speedup, group, styles, models, facts, found)
    header = ["model"] + [group.scale_label(s) for s in group.scales]
    table = []
    for m in models:
        row = [m]
        for s in group.scales:
            cell = group.cells.get((m, s))
            if (m, s) in found:
                ratio, _, _, cpus, _ = found[(m, s)]
                row.append(f"{fmt_speedup(ratio)} · {ratio / cpus:.2f}" if cpus
                           else fmt_speedup(ratio))
            else:
                row.append(status_note(cell) if cell is None or not cell.ok else Note("—"))
        table.append(row)
    cpus = sorted({v[3] for v in found.values() if v[3]})
    on = f"{' or '.join(map(str, cpus))} CPUs" if cpus else "CPUs"
    (model, scale), (ratio, _, _, n, _) = max(found.items(),
                                              key=lambda kv: kv[1][0] / (kv[1][3] or 1))
    text = (f"Dashed: the ideal, a speed-up of min({group.scale_param or 'tasks'}, {on}), the "
            f"CPUs the tasks can fill, which is efficiency 1.0 once there are as many tasks as "
            f"CPUs; dotted: 1×, as fast as sequential. Best: {model} at "
            f"{group.scale_label(scale)}, {fmt_speedup(ratio)}"
            + (f", efficiency {ratio / n:.2f}." if n else ".")
            + (" Each entry below: speed-up · efficiency (speed-up ÷ CPUs)." if cpus else
               " The CPU count is not recorded, so no efficiency."))
    return [("speedup", "speed-up and parallel efficiency", png,
             [("p", text), ("table", header, table, True)])]


# ---- the scaling chart's ideal line ---------------------------------------------------------

def weights(text):
    """sleep_fanout's w: '2-3-1' -> [2, 3, 1]; None if it is not a list of numbers."""
    values = [to_float(x) for x in str(text).split("-")] if text else [1.0]
    return values if values and all(v is not None and v > 0 for v in values) else None


def sleep_fanout_ideal(params, n):
    """Every task waits at once: the run lasts its longest wait, d·max(w), whatever N."""
    d, w = numeric_value(params.get("d", "")), weights(params.get("w", "1"))
    return d * max(w) if d and w else None


def http_fetch_ideal(params, n):
    """Every fetch in flight at once, or M at a time: d, or d·⌈N/M⌉."""
    d, bound = numeric_value(params.get("d", "")), to_float(params.get("M", "0")) or 0
    return d * (math.ceil(n / bound) if bound > 0 else 1) if d else None


# The ideal wall time of a waiting workload, from a cell's parameters and its scale.
IDEAL_WAIT = {"sleep_fanout": (sleep_fanout_ideal, "d·max(w), every task waiting at once"),
              "http_fetch": (http_fetch_ideal, "d per round of M fetches (d when M=0), "
                                               "every fetch in flight at once")}


def scaling_ideal(group, facts):
    """({scale: ideal seconds}, what it means) for the scaling chart, or (None, None)."""
    ideal = {}
    if group.workload in IDEAL_WAIT:
        formula, meaning = IDEAL_WAIT[group.workload]
        for scale in group.scales:
            cell = next((c for (m, s), c in group.cells.items() if s == scale), None)
            n = numeric_value(scale)
            value = formula(cell.params, n) if cell is not None and n else None
            if value:
                ideal[scale] = value
        return (ideal, f"the ideal, {meaning}: flat over {group.scale_param}, since starting "
                       "a task would cost nothing") if ideal else (None, None)
    if is_computing(group):
        for scale in group.scales:
            base = group.cells.get((BASELINE, scale))
            fill = usable_cpus(base, facts) if base is not None and base.ok else None
            if fill:
                ideal[scale] = base.median / fill
        return (ideal, f"the ideal, the sequential time ÷ the CPUs the tasks can fill "
                       f"(min({group.scale_param}, CPUs)): linear in {group.scale_param} ÷ "
                       "CPUs, every CPU busy and nothing spent on the model itself") \
            if ideal else (None, None)
    return None, None


def scaling_figure(group, rows, styles, facts):
    """The scaling chart (charts.chart_scaling), with its ideal line where it has one."""
    ideal, meaning = scaling_ideal(group, facts)
    png = draw(chart_scaling, group, styles, rows, None, ideal)
    if png is None or ideal is None:
        return ("scaling", "scaling", png, [])
    return ("scaling", "scaling", png,
            caption(f"Log-log, band = min–max over the repetitions. Dashed: {meaning}."))


# ---- CPU utilisation ------------------------------------------------------------------------

def runs_range(cell, counter):
    """(median, min, max) over the repetitions of one of the cell's counters, or None."""
    values = cell.counter_runs.get(counter) or ([cell.counters[counter]]
                                                if counter in cell.counters else [])
    return (statistics.median(values), min(values), max(values)) if values else None


def chart_utilisation(group, styles, rows, cpus):
    def value(m, s):
        cell = group.cells.get((m, s))
        found = runs_range(cell, "cpu_util") if cell is not None and cell.ok else None
        return tuple(100 * v for v in found) if found else None

    fig, ax = plt.subplots(figsize=(11, 5.8))
    grouped_bars(ax, group, rows, styles, value)
    ax.axhline(100, zorder=0.5, **ONE_STYLE)
    legend = [Patch(label=m, **bar_style(m, styles)) for m in rows]
    if cpus:
        ax.axhline(100 * cpus, zorder=0.5, **IDEAL_STYLE)
        legend.append(Line2D([], [], label=f"all {cpus} CPUs busy", **IDEAL_STYLE))
    legend.append(Line2D([], [], label="one CPU busy", **ONE_STYLE))
    highs = [v[2] for m in rows for s in group.scales if (v := value(m, s))]
    ax.set_ylim(0, max(highs + [100 * (cpus or 1)]) * 1.12)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f} %"))
    ax.set_ylabel("CPU utilisation (CPU time ÷ wall time)")
    ax.set_xlabel(f"bar = median of {repetitions_text(group.cells.values())} repetitions, "
                  "whisker = min–max")
    return finish_chart(fig, ax, f"{group.workload}: {group.label} — CPU utilisation", legend)


def utilisation_figure(group, rows, styles, facts):
    cells = [c for c in group.cells.values() if c.ok]
    if not any("cpu_util" in c.counters for c in cells):
        return ("cpu_util", "CPU utilisation", None,
                caption("No CPU utilisation recorded in these cells: no CPU chart."))
    counts = {cpus_of(c, facts) for c in cells} - {None}
    cpus = max(counts) if counts else None
    png = draw(chart_utilisation, group, styles, rows, cpus)
    computing = is_computing(group)
    dashed = ("No dashed line: the CPU count is not recorded" if not cpus
              else f"Dashed: the ideal of computing work, all {cpus} CPUs busy" if computing
              else f"Dashed: all {cpus} CPUs busy, the most a cell can use")
    text = (f"CPU time (user + system, reaped children included) ÷ wall time. {dashed}; "
            "dotted: one CPU busy for the whole run."
            + (" Work that only computes reaches the dashed line only by running in parallel."
               if computing else " Work that only waits needs little CPU: near 0 % is its "
               "ideal, and what a model spends above that is its own overhead."
               if is_waiting(group) else ""))
    return ("cpu_util", "CPU utilisation", png, caption(text))


# ---- memory per task ------------------------------------------------------------------------

def bytes_unit(value):
    for unit, factor in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if value >= factor:
            return unit, factor
    return "B", 1


def fmt_bytes(value):
    unit, factor = bytes_unit(abs(value))
    return f"{value / factor:.3g} {unit}"


def rss_per_task(cell, n):
    """(median, min, max) bytes of peak RSS per task, and the most tasks alive at once
    (None where not recorded)."""
    found = runs_range(cell, "peak_rss_kib") if cell is not None and cell.ok else None
    if not found or not n:
        return None, None
    return tuple(v * 1024 / n for v in found), cell.counters.get("peak_in_flight")


def chart_memory(group, styles, rows, points, base):
    """Peak RSS ÷ N against N, log-log, one line per model, band = min–max; hollow where
    fewer than N tasks were alive at once."""
    xs = sorted({x for per in points.values() for x in per})
    values = [v for per in points.values() for (v3, _) in per.values() for v in v3]
    unit, factor = bytes_unit(math.exp(statistics.fmean(math.log(v) for v in values)))
    fig, ax = plt.subplots(figsize=(11, 5.8))
    legend = []
    for model in rows:
        per = points.get(model)
        if not per:
            continue
        colour, marker = styles[model]
        line = "--" if "hatch" in bar_style(model, styles) else "-"

        def series(i):
            return [per[x][0][i] / factor if x in per else math.nan for x in xs]
        ax.plot(xs, series(0), color=colour, linewidth=2, linestyle=line)
        ax.fill_between(xs, series(1), series(2), color=colour, alpha=0.18, linewidth=0)
        for x, (v3, alive) in per.items():
            all_alive = alive is None or alive >= x
            ax.plot([x], [v3[0] / factor], marker=marker, markersize=9, color=colour,
                    markerfacecolor=colour if all_alive else "white", markeredgewidth=2)
        legend.append(Line2D([], [], color=colour, marker=marker, markersize=8, linewidth=2,
                             linestyle=line, label=model))
    ax.plot(xs, [base / x / factor for x in xs], zorder=4, **IDEAL_STYLE)  # over the lines
    legend.append(Line2D([], [], label="process alone ÷ N", **IDEAL_STYLE))
    legend.append(Line2D([], [], marker="o", color="#555555", markerfacecolor="white",
                         linestyle="none", markeredgewidth=2, label="fewer than N alive"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v)))
    shown = values + [base / x for x in xs]
    plain_log_axis(ax.yaxis, min(shown) / factor, max(shown) / factor)
    ax.set_xlabel(f"{group.scale_param} (log scale)")
    ax.set_ylabel(f"peak RSS ÷ {group.scale_param} ({unit} per task, log scale)")
    return finish_chart(fig, ax, f"{group.workload}: {group.label} — memory per task", legend)


def memory_figure(group, rows, styles, facts):
    scales = [(s, numeric_value(s)) for s in group.scales]
    scales = [(s, n) for s, n in scales if n and n > 0]
    points = {}
    for model in rows:
        for scale, n in scales:
            found, alive = rss_per_task(group.cells.get((model, scale)), n)
            if found and found[0] > 0:
                points.setdefault(model, {})[n] = (found, alive)
    direct = ("in this run, memory_per_task measures the growth per waiting task directly"
              if "memory_per_task" in facts.workloads else
              "this run has no memory_per_task cells, which measure the growth per waiting "
              "task directly")
    if len({n for per in points.values() for n in per}) < 2:
        why = ("one N only" if len(scales) < 2 else "no peak RSS recorded at two N")
        return ("memory", "memory per task", None,
                caption(f"Memory per task: {why} in this group, so no line over "
                        f"{group.scale_param}; the peak RSS is in the details table ({direct})."))
    base = min(runs_range(c, "peak_rss_kib")[1] for c in group.cells.values()
               if c.ok and "peak_rss_kib" in c.counters) * 1024
    png = draw(chart_memory, group, styles, rows, points, base)
    unit, factor = bytes_unit(base)
    table = []
    for model, per in points.items():  # each model at its largest N: the cost per task
        n = max(per)
        (rss, low, high), alive = per[n]
        spread = fmt_bytes(low) if fmt_bytes(low) == fmt_bytes(high) else \
            f"{fmt_bytes(low)}–{fmt_bytes(high)}"
        table.append([model, fmt_count(n), fmt_bytes(rss * n), fmt_bytes(rss), spread,
                      fmt_bytes(rss - base / n) if rss * n > base else Note("none"),
                      fmt_count(alive) if alive is not None else Note("—")])
    header = ["model", f"largest {group.scale_param}", "peak RSS", f"÷ {group.scale_param}",
              "min–max", "above the leanest process, per task", "peak in flight"]
    return ("memory", "memory per task", png, caption(
        f"Dashed: the leanest process of the group ({base / factor:.1f} {unit} peak RSS) ÷ "
        f"{group.scale_param}, what tasks costing no memory would read; where a line flattens "
        f"above it is that model's memory per task. Band = min–max over the repetitions; "
        f"hollow: fewer than {group.scale_param} tasks were alive at once (peak in flight), so "
        f"the figure understates their cost; processes count the parent's RSS only; "
        f"{direct}.") + [("table", header, table, True)])


def timed_figures(group, rows, styles, facts):
    """What a group timed by wall time gets beyond its bars and scaling chart."""
    figures = speedup_figures(group, rows, styles, facts)
    figures.append(utilisation_figure(group, rows, styles, facts))
    if group.workload in MEMORY_FROM_RSS:
        figures.append(memory_figure(group, rows, styles, facts))
    return figures


# ---- a workload's own figures: against the scale, and its latency percentiles ----------------

def latency_sets(metrics):
    """[(prefix, [(Metric, "p50"), …])]: the latency percentiles a workload reports, in µs,
    one set per prefix ("" for a server's requests, "fetch_" for a client's fetches), each
    of at least two percentiles, in percentile order."""
    sets = {}
    for m in metrics:
        match = PERCENTILE.match(m.name)
        if match and m.seconds_per_unit:
            sets.setdefault(match["prefix"], []).append((int(match["p"]), m))
    return [(prefix, [(m, PERCENTILE_TEXT[str(p)]) for p, m in sorted(found, key=lambda x: x[0])])
            for prefix, found in sets.items() if len(found) >= 2]


def metric_figures(group, rows, metrics, styles, references):
    """The figures drawn against the scale (over_scale) and the latency percentiles."""
    figures = []
    numeric = [s for s in group.scales if (numeric_value(s) or 0) > 0]
    for m in metrics:
        if not m.over_scale:
            continue
        png = draw(chart_scaling, group, styles, rows, m)
        if png is not None:
            text = (f"Log-log, one line per model, band = min–max over the repetitions. No ideal "
                    f"line: a flat line is a {m.title} that does not depend on "
                    f"{group.scale_param}; a falling one is a fixed cost shared by more tasks.")
        elif len(numeric) < 2:
            text = (f"No line of {m.title} over {group.scale_param}: this group has one "
                    f"{group.scale_param} only; its bars are above.")
        else:
            text = f"No line of {m.title} over {group.scale_param}: too few values."
        figures.append((f"{m.name}_by_scale", f"{m.title} by scale", png, caption(text)))
    for prefix, latencies in latency_sets(metrics):
        what = prefix.rstrip("_").replace("_", " ")
        title = f"{what} latency percentiles" if what else "latency percentiles"
        png = draw(chart_latency, group, latencies, rows, references)
        if png is None:
            text = (f"No {title} in these cells (none verified, or none recorded): no "
                    "latency chart.")
        else:
            shown = "; ".join(f"{short} {PERCENTILE_MEANING[short]}" for _, short in latencies)
            text = (f"Log axis: {shown}; bar = median over the "
                    f"repetitions, whisker = min–max. No ideal line: lower is better, and a "
                    f"tail far above p50 means some waited behind others.")
        figures.append((f"{prefix}latency", title, png, caption(text)))
    return figures
