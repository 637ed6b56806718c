"""How a parameter group is shown, by what its workload measures.

A workload timed by wall time (TimedView) shows each model's median and its speed-up over
sequential; a workload that runs for a fixed time, a server under load (MetricView), shows
its own figures, its `metrics`, beside the reference servers, and never a wall time or a
speed-up, which its parameters alone decide. Everything else about a group (its heading,
what was not measured and why, where its charts go, its line in the terminal) is the same
for both, and is written once: in sections.group_blocks and terminal.terminal_summary.

A view answers, for its workload and then for one group:
  intro()                what its figures are, as blocks under the workload's heading
  rows(group)            the labels shown, in order
  measure(group)         derived figures every document shares (the speed-ups), set once
  tables(group, rows)    its tables, as blocks
  notes(group, rows)     the yardstick it lacks, as blocks
  charts(group, rows)    [(file kind, title, PNG bytes or None[, blocks after it])]
  details(group, rows)   the tables folded under the charts, as blocks
  legend(workload)       the terminal's line on what its figure is, or None for wall time
  brief(group, cell, label, scale)  a verified cell's text in the terminal
"""

from cmbench_report.charts import chart_bars, chart_metric, draw
from cmbench_report.charts_v2 import RunFacts, metric_figures, scaling_figure, timed_figures
from cmbench_report.formatting import Note, fmt_count, fmt_metric, fmt_metric_spread, \
    fmt_ratio, fmt_speedup, fmt_spread, fmt_time, status_note
from cmbench_report.groups import BASELINE, compute_speedups, is_reference, metric_ratio, \
    metric_rows_order


class TimedView:
    """Wall time: a summary table (median · speed-up per scale), bars and a scaling chart,
    the counters in a details table. A timed workload with figures of its own (files/s, a
    fetch's latency percentiles) shows them too, in a table per scale and as charts, beside
    the wall time rather than instead of it."""

    def __init__(self, models, styles, metrics=(), references=(), facts=None):
        self.models, self.styles = models, styles
        self.metrics, self.references = list(metrics), list(references)
        self.facts = facts or RunFacts()  # the CPU count, the workloads of the run

    def intro(self):
        if not self.metrics:
            return []
        return [("p", "Besides its wall time, each cell reports figures of its own, each the "
                      "median of the repetitions:"), metrics_list(self.metrics)]

    def rows(self, group):
        return group.models(self.models)

    def measure(self, group):
        compute_speedups(group)

    def tables(self, group, rows):
        header = ["model"] + [group.scale_label(s) for s in group.scales]
        table = [[m] + [summary_text(group.cells.get((m, s)), m) for s in group.scales]
                 for m in rows]
        blocks = [("table", header, table, True)]
        for scale in group.scales if self.metrics else []:
            blocks.append(("p", f"Figures at {group.scale_label(scale)}:"))
            blocks.append(metric_table(group, scale, rows, self.references, self.metrics))
        return blocks

    def notes(self, group, rows):
        if BASELINE in rows:
            return []
        return [("p", "No sequential cell at these parameters, so no speed-up.")]

    def charts(self, group, rows):
        return [("bars", "bars", draw(chart_bars, group, self.styles, rows)),
                scaling_figure(group, rows, self.styles, self.facts)] + \
            timed_figures(group, rows, self.styles, self.facts) + \
            metric_charts(group, rows, self.metrics, self.styles, self.references)

    def details(self, group, rows):
        if not any(c.ok for c in group.cells.values()):
            return []
        table = [detail_row(c, m, s or "—") for s in group.scales for m in rows
                 if (c := group.cells.get((m, s))) is not None]
        header = ["model", group.scale_param or "scale", "median", "min–max", "cv", "CPU",
                  "speed-up", "peak in flight", "tasks/s", "peak RSS"]
        return [("details", f"Details: {group.label}", [("table", header, table, True)])]

    def legend(self, workload):
        return None

    def brief(self, group, cell, label, scale):
        speed = f" {fmt_speedup(cell.speedup)}" if cell.speedup and label != BASELINE else ""
        return fmt_time(cell.median).replace(" ", "") + speed


class MetricView:
    """The workload's own figures: a table per scale (each figure, its spread when charted,
    its ratio to the ratio_to row), a chart per charted figure and one of the latency
    percentiles; the models under study first, then the references."""

    def __init__(self, metrics, models, references, styles):
        self.metrics, self.models, self.references, self.styles = \
            metrics, models, references, styles
        # the figure the terminal shows: the first charted one
        self.summary = next((m for m in metrics if m.chart), metrics[0])

    def intro(self):
        return [("p", "These cells run for a fixed time, so their wall time is not a result: "
                      "the figures are the workload's own, each the median of the "
                      "repetitions."), metrics_list(self.metrics)]

    def rows(self, group):
        return metric_rows_order(group.models(self.models), self.references)

    def measure(self, group):
        """Nothing to set: a ratio is read when shown (metric_ratio), and a fixed-duration
        run has no speed-up."""

    def tables(self, group, rows):
        blocks = []
        for scale in group.scales:
            if len(group.scales) > 1 or scale:
                blocks.append(("h", 4, group.scale_label(scale)))
            blocks.append(metric_table(group, scale, rows, self.references, self.metrics))
        return blocks

    def notes(self, group, rows):
        for m in self.metrics:
            if m.ratio_to and not any(group.cells.get((m.ratio_to, s)) is not None
                                      and group.cells[(m.ratio_to, s)].ok for s in group.scales):
                return [("p", f"No {m.ratio_to} result at these parameters, so no ratio "
                              f"to {m.ratio_to}.")]
        return []

    def charts(self, group, rows):
        return metric_charts(group, rows, self.metrics, self.styles, self.references)

    def details(self, group, rows):
        return []

    def legend(self, workload):
        metric = self.summary
        ratio = f"; × = over {metric.ratio_to}" if metric.ratio_to else ""
        return (f"{workload}: median {metric.heading} at the largest scale that ran, "
                f"{metric.better}{ratio}")

    def brief(self, group, cell, label, scale):
        metric = self.summary
        value, ratio = cell.metric(metric.name), metric_ratio(group, cell, scale, metric)
        text = "—" if value is None else fmt_metric(value, metric).replace(" ", "")
        shown = ratio is not None and label != metric.ratio_to
        return text + (f" {fmt_speedup(ratio)}" if shown else "")


def view_for(metrics, timed, models, references, styles, facts=None):
    """The view of a workload with these metrics: by wall time when it is `timed` (its
    metrics beside it), by its metrics alone when it runs for a fixed time."""
    if metrics and not timed:
        return MetricView(metrics, models, references, styles)
    return TimedView(models, styles, metrics, references, facts)


def metric_charts(group, rows, metrics, styles, references):
    """A chart per charted figure, one against the scale per figure that asks for it
    (over_scale), and one of each set of latency percentiles (charts_v2.metric_figures)."""
    pictures = [(m.name, m.title, draw(chart_metric, group, m, styles, rows, references))
                for m in metrics if m.chart]
    return pictures + metric_figures(group, rows, metrics, styles, references)


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


def metrics_list(metrics):
    """What each figure is, its unit, which way is better and what it is divided by."""
    items = []
    for m in metrics:
        text = f"{m.title}" + (f" ({m.unit})" if m.unit else "") + f": {m.better}"
        if m.ratio_to:
            text += f"; × {m.ratio_to} is the cell's median over {m.ratio_to}'s"
        items.append(text)
    return ("ul", items)


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
