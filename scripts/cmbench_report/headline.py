"""The headline charts: under the model card, four pictures that answer the report's first
questions — waiting, computing, serving, spawning — before any workload's own section.

Each is drawn from this run's cells, the ones the card's column read where there is one
(model_card.Column.group and .scale), with its spread; a picture this run has no cells for
is replaced by one line that says so. The workloads' sections draw every group in full.
"""

from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
from matplotlib.transforms import blended_transform_factory

from cmbench_report.charts import chart_metric, draw, finish_chart, plain_log_axis, \
    repetitions_text
from cmbench_report.formatting import STATUS_SHORT, fmt_count
from cmbench_report.groups import BASELINE, Group, is_reference, metric_rows_order
from cmbench_report.results import numeric_value
from cmbench_report.style import bar_style, plt

INTRO = ("Four pictures from this run: waiting (do waits overlap as tasks are added?), "
         "computing (does work go faster on every CPU?), serving (what a request costs the "
         "server) and spawning (what a task costs to start). Each workload's section below "
         "has every cell.")


def headline_blocks(card, labels, references, styles, charts):
    """The section's blocks; its PNGs go into `charts` by path. `labels` are every row of
    the run in the report's order (models, variants, references)."""
    blocks = [("h", 2, "At a glance"), ("p", INTRO)]
    pictures = [("waiting", waiting_chart(card, styles)),
                ("computing", computing_chart(card, styles)),
                ("serving", serving_chart(card, labels, references, styles)),
                ("spawning", spawning_chart(card, labels, references, styles))]
    for name, (caption, png) in pictures:
        blocks.append(("p", caption))
        if png is not None:
            path = f"charts/headline-{name}.png"
            charts[path] = png
            blocks.append(("img", path, caption.split(":")[0]))
    return blocks


def one_scale(group, scale):
    """The group narrowed to one scale: the cells one of the card's columns read."""
    return Group(group.workload, group.scale_param, group.label, group.slug, [scale],
                 {k: c for k, c in group.cells.items() if k[1] == scale})


def equal_wait(group):
    """Every task's wait in seconds when all wait alike (w a single weight), else None."""
    cell = next(iter(group.cells.values()))
    d = numeric_value(cell.params.get("d", ""))
    weights = [numeric_value(w) for w in cell.params.get("w", "1").split("-")]
    if d is None or not weights or None in weights or len(set(weights)) != 1:
        return None
    return d * weights[0]


def waiting_chart(card, styles):
    """sleep_fanout: wall time ÷ d against N, log–log. 1 is every wait overlapped; the
    sequential ideal, N·d, is the diagonal. The group with the most verified cells."""
    groups = [g for g in card.groups.get("sleep_fanout", []) if equal_wait(g)]
    groups = [g for g in groups if any(c.ok for (m, _), c in g.cells.items() if m in card.models)]
    if not groups:
        return "Waiting: this run has no sleep_fanout cells with equal waits.", None
    group = max(groups, key=lambda g: (sum(1 for (m, _), c in g.cells.items()
                                           if m in card.models and c.ok), equal_wait(g)))
    caption = (f"Waiting — sleep_fanout, {group.label}: wall time ÷ d against N. 1 means "
               "every wait overlapped; one after another the tasks take N·d.")
    return caption, draw(draw_waiting, group, card.models, styles)


def draw_waiting(group, models, styles):
    d = equal_wait(group)
    xs = sorted({n for s in group.scales if (n := numeric_value(s)) is not None and n > 0})
    fig, ax = plt.subplots(figsize=(11, 5.8))
    legend, values = [], [1.0]
    for model in models:
        points = sorted((numeric_value(s), c) for (m, s), c in group.cells.items()
                        if m == model and c.ok and numeric_value(s))
        if not points:
            continue
        colour, marker = styles[model]
        n = [x for x, _ in points]
        y = [c.median / d for _, c in points]
        low = [v - (c.low or c.median) / d for v, (_, c) in zip(y, points)]
        high = [(c.high or c.median) / d - v for v, (_, c) in zip(y, points)]
        values += [(c.low or c.median) / d for _, c in points]
        values += [(c.high or c.median) / d for _, c in points]
        ax.errorbar(n, y, yerr=[low, high], color=colour, marker=marker, markersize=8,
                    linewidth=2, capsize=3)
        legend.append(Line2D([], [], color=colour, marker=marker, markersize=8, linewidth=2,
                             label=model))
    ax.axhline(1.0, color="#333333", linestyle="--", linewidth=1.2, zorder=0.5)
    span = [xs[0] / 1.5, xs[-1] * 1.5]
    ax.plot(span, span, color="#999999", linestyle=":", linewidth=1.5, zorder=0.5)
    legend += [Line2D([], [], color="#333333", linestyle="--", label="ideal: wall = d"),
               Line2D([], [], color="#999999", linestyle=":", label="one after another: N·d")]
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*span)
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v)))
    plain_log_axis(ax.yaxis, min(values + span), max(values + span))  # the diagonal too
    ax.set_xlabel(f"N, tasks waiting at once (log scale); marker = median of "
                  f"{repetitions_text(group.cells.values())} repetitions, whisker = min–max")
    ax.set_ylabel("wall time ÷ d (log scale)")
    return finish_chart(fig, ax, f"Waiting: sleep_fanout, {group.label}", legend)


def computing_chart(card, styles):
    column = card.column("speedup")
    if column.group is None:
        return "Computing: this run has no cpu_bound cells with a speed-up.", None
    group = one_scale(column.group, column.scale)
    where = f"{group.label}, {group.scale_label(column.scale)}"
    ideal = f"the dashed line is the ideal on {card.cpus} CPUs" if card.cpus else \
        "the CPU count is the ideal"
    caption = (f"Computing — cpu_bound, {where}: speed-up over sequential, the card's "
               f"column; {ideal}.")
    return caption, draw(draw_computing, group, card.models, styles, card.cpus)


def draw_computing(group, models, styles, cpus):
    """Bars: each model's speed-up; whisker: the ratio of the extremes (sequential's fastest
    run over the model's slowest, and the other way round)."""
    [scale] = group.scales
    base = group.cells.get((BASELINE, scale))
    rows = [m for m in models if (m, scale) in group.cells]
    fig, ax = plt.subplots(figsize=(11, 5.8))
    at_bottom = blended_transform_factory(ax.transData, ax.transAxes)
    highs = [float(cpus or 1)]
    for x, model in enumerate(rows):
        cell = group.cells[(model, scale)]
        if cell.speedup is None:
            text = STATUS_SHORT.get(cell.status, cell.status) if not cell.ok else "no value"
            ax.text(x, 0.02, text, rotation=90, transform=at_bottom, ha="center", va="bottom",
                    fontsize=10, color="#555555")
            continue
        low = (base.low or base.median) / (cell.high or cell.median)
        high = (base.high or base.median) / (cell.low or cell.median)
        highs.append(high)
        ax.bar(x, cell.speedup, 0.75, **bar_style(model, styles))
        ax.errorbar(x, cell.speedup, yerr=[[max(cell.speedup - low, 0)],
                                           [max(high - cell.speedup, 0)]],
                    fmt="none", ecolor="black", capsize=3, linewidth=1.2)
        ax.annotate(f"{cell.speedup:.2f}×", (x, high), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=9)
    legend = [Line2D([], [], color="#333333", linewidth=1, label="sequential (1×)")]
    ax.axhline(1.0, color="#333333", linewidth=1, zorder=0.5)
    if cpus:
        ax.axhline(cpus, color="#333333", linestyle="--", linewidth=1.2, zorder=0.5)
        legend.append(Line2D([], [], color="#333333", linestyle="--",
                             label=f"ideal: {cpus} CPUs"))
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(rows, rotation=30, ha="right", rotation_mode="anchor")
    ax.set_xlim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, max(highs) * 1.15)
    ax.set_ylabel("speed-up over sequential (×)")
    ax.set_xlabel(f"bar = ratio of the medians of {repetitions_text(group.cells.values())} "
                  "repetitions, whisker = ratio of the extremes")
    return finish_chart(fig, ax, f"Computing: cpu_bound, {group.label}, "
                                 f"{group.scale_label(scale)}", legend)


def serving_chart(card, labels, references, styles):
    column = card.column("server")
    metric = card.metrics.get("http_server", {}).get("server_cpu_us_per_req")
    if column.group is None or metric is None:
        return "Serving: this run has no http_server cells with the server's CPU.", None
    group = one_scale(column.group, column.scale)
    rows = metric_rows_order(group.models(labels), references)
    caption = (f"Serving — http_server, {group.label}, {group.scale_label(column.scale)}: the "
               "server's CPU per request, models and references (grey), the card's column.")
    return caption, draw(chart_metric, group, metric, styles, rows, references)


def spawning_chart(card, labels, references, styles):
    column = card.column("spawn")
    metric = card.metrics.get("spawn_many", {}).get("ns_per_task")
    if column.group is None or metric is None:
        return "Spawning: this run has no spawn_many cells.", None
    group = one_scale(column.group, column.scale)
    # the models and the floors beside them; the Python rows have a section of their own
    rows = metric_rows_order([m for m in group.models(labels) if m in card.models or (
        is_reference(m, references) and not m.startswith("py-"))], references)
    floor = f"; dashed: {metric.ratio_to}, the floor" if metric.ratio_to else ""
    caption = (f"Spawning — spawn_many, {group.label}, {group.scale_label(column.scale)}: "
               f"time to create and join one task, the card's column{floor}.")
    return caption, draw(chart_metric, group, metric, styles, rows, references)

