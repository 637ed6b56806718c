"""The report's charts, each drawn from one parameter group and returned as PNG bytes."""

import io
import math
import statistics

from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator
from matplotlib.transforms import blended_transform_factory

from cmbench_report.formatting import STATUS_SHORT, fmt_count, time_unit
from cmbench_report.groups import is_reference
from cmbench_report.results import numeric_value, warn
from cmbench_report.style import LATENCY_COLOURS, REFERENCE_STYLE, bar_style, plt


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
    """Legend outside the plot (seven models would hide data), the axes' title unless the
    figure has its own (several panels), and PNG bytes."""
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title is not None:
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


def chart_scaling(group, styles, models, metric=None, ideal=None):
    """Wall time, or one of the workload's figures (`metric`), against scale on log–log
    axes, one line per model, band = min–max over the repetitions; `ideal` ({scale: wall
    seconds}, charts_v2.scaling_ideal) is drawn as a black dashed line.

    A scale where a model has no value leaves a gap in its line rather than a straight
    segment across it. Skipped (None) unless two numeric scales have a value; values of
    zero or less cannot sit on a log axis and count as missing.
    """
    if metric is None:
        def value(c):
            return c.median if c.ok else None

        def spread(c):
            return c.low or c.median, c.high or c.median
    else:
        def value(c):
            return c.metric(metric.name)

        def spread(c):
            return c.metric_range(metric.name)
    xs = [(s, numeric_value(s)) for s in group.scales]
    xs = [(s, x) for s, x in xs if x is not None and x > 0]
    shown = {s: [v for m in models if (m, s) in group.cells
                 for v in [value(group.cells[(m, s)])] if v is not None and v > 0]
             for s, _ in xs}
    if sum(1 for values in shown.values() if values) < 2:
        return None
    medians = [v for values in shown.values() for v in values]
    if metric is None:
        unit, factor = chart_unit(medians)
        y_title, what = f"wall time per run ({unit}, log scale)", "scaling"
    elif metric.seconds_per_unit:
        unit, factor = chart_unit([v * metric.seconds_per_unit for v in medians])
        factor /= metric.seconds_per_unit
        y_title, what = f"{metric.title} ({unit}, log scale)", f"{metric.title} by scale"
    else:
        factor = 1.0
        y_title, what = f"{metric.heading}, log scale", f"{metric.title} by scale"
    fig, ax = plt.subplots(figsize=(11, 5.8))
    legend = []
    for model in models:
        cells = [group.cells.get((model, s)) for s, _ in xs]
        if not any(c is not None and (value(c) or 0) > 0 for c in cells):
            continue

        def series(pick):  # NaN where the model has no value: matplotlib breaks the line
            return [pick(c) / factor if c is not None and (value(c) or 0) > 0 else math.nan
                    for c in cells]
        colour, marker = styles[model]
        x = [x for _, x in xs]
        line = "--" if "hatch" in bar_style(model, styles) else "-"  # a variant: dashed
        ax.plot(x, series(value), color=colour, marker=marker, markersize=8, linewidth=2,
                linestyle=line)
        ax.fill_between(x, series(lambda c: spread(c)[0]), series(lambda c: spread(c)[1]),
                        color=colour, alpha=0.18, linewidth=0)
        legend.append(Line2D([], [], color=colour, marker=marker, markersize=8, linewidth=2,
                             linestyle=line, label=model))
    best = [(x, ideal[s] / factor) for s, x in xs if (ideal or {}).get(s)]
    if best and metric is None:
        ax.plot(*zip(*best), color="black", linestyle="--", linewidth=1.6, zorder=1)
        legend.append(Line2D([], [], color="black", linestyle="--", label="ideal"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator([x for _, x in xs]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_count(v)))
    plain_log_axis(ax.yaxis, min(medians) / factor, max(medians) / factor)
    ax.set_xlabel(f"{group.scale_param} (log scale)")
    ax.set_ylabel(y_title)
    return finish_chart(fig, ax, f"{group.workload}: {group.label} — {what}", legend)


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
    return finish_chart(fig, axes[-1], None, legend)


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
            for i, (name, short) in enumerate(present):
                value = cell.metric(name)
                if value is None or value <= 0:
                    continue
                low, high = (v * unit_of[name] / factor for v in cell.metric_range(name))
                median = value * unit_of[name] / factor
                xi = x - 0.4 + width * (i + 0.5)
                style = {"facecolor": LATENCY_COLOURS.get(short, "#4292C6")}
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
    legend = [Patch(label=short, facecolor=LATENCY_COLOURS.get(short, "#4292C6"))
              for _, short in present]
    legend.append(Patch(label="reference", facecolor="white", hatch="//", edgecolor="#555555"))
    fig.suptitle(f"{group.workload}: {group.label} — latency (lower is better)", x=0.01,
                 ha="left", fontsize=15)
    return finish_chart(fig, axes[-1], None, legend)


def draw(chart, *args):
    """A chart that fails to draw costs a warning, never the report."""
    try:
        return chart(*args)
    except Exception as e:  # noqa: BLE001 — the tables are worth more than one picture
        warn(f"{chart.__name__} for {args[0].workload} {args[0].label}: {e}")
        plt.close("all")
        return None
