"""One CPU against all of them: every cell the run made with both CPU budgets, side by side.

A cell confined to one CPU (`cmbench suite --cpus 1`, its threads and child processes with
it) can gain from concurrency only: tasks that wait overlap on one CPU as well as on two.
With every CPU it can gain from parallelism too. The ratio of the two medians tells the two
apart: near 1× the model's advantage did not need a second CPU; near the CPU count it came
from running on all of them at once.
"""

import io

from matplotlib.patches import Patch

from cmbench_report.formatting import Note, fmt_speedup, fmt_spread, fmt_time, status_note
from cmbench_report.results import value_key
from cmbench_report.style import bar_style, plt

INTRO = (
    "Each of these cells ran twice in this run, one right after the other: once confined to "
    "one CPU (its threads and child processes with it) and once free to use all {cpus} CPUs. "
    "On one CPU only concurrency can help: tasks that wait overlap there as well. With every "
    "CPU, parallelism can help too. The last column divides the one-CPU median by the "
    "all-CPU one: about 1× means the model's gain needed no second CPU (waiting overlapped); "
    "about {cpus}× means it came from computing on {cpus} CPUs at once.")


def paired_cells(every):
    """{workload: [(all-CPU cell, one-CPU cell)]} for the cells run with both budgets."""
    by_key = {(c.name, c.cpu_budget): c for c in every}
    pairs = {}
    for c in every:
        if c.cpu_budget == "one" and (c.name, "all") in by_key and c.status != "beyond_limit":
            pairs.setdefault(c.workload, []).append((by_key[(c.name, "all")], c))
    return pairs


def params_text(cell, scale_param):
    """The cell's parameters, its scale first: "N=1000, d=10ms"."""
    keys = sorted(cell.params, key=lambda k: (k != scale_param, k))
    return ", ".join(f"{k}={cell.params[k]}" for k in keys)


def ratio_text(all_cell, one_cell):
    if not (all_cell.ok and one_cell.ok):
        return Note("—")
    return fmt_speedup(one_cell.median / all_cell.median)


def median_text(cell):
    return fmt_time(cell.median) if cell.ok else status_note(cell)


def cpu_count(pairs, context):
    """The CPUs an all-CPU cell could use: as recorded with it, else the machine's."""
    for all_cell, _ in pairs:
        if all_cell.cpus:
            return all_cell.cpus
    return int(context.get("cmbench_cores") or context.get("num_cpus") or 0) or None


def chart_budgets(workload, pairs, styles, models, cpus):
    """At the run's largest scale of the workload: per model, the all-CPU and the one-CPU
    median (whisker = min–max), so that the bars that grow on one CPU stand out."""
    def scale_key(pair):
        cell = pair[0]
        return [value_key(cell.params[k]) for k in sorted(cell.params)]
    shown = [p for p in pairs if p[0].ok and p[1].ok]
    if not shown:
        return None, ""
    top = max(shown, key=scale_key)[0].params
    chosen = {p[0].model: p for p in shown if p[0].params == top}
    order = [m for m in models if m in chosen]
    fig, ax = plt.subplots(figsize=(11, 5.2))
    unit, factor = ("ms", 1e-3) if max(p[1].median for p in chosen.values()) < 1 else ("s", 1.0)
    for i, model in enumerate(order):
        for j, cell in enumerate(chosen[model]):  # all, then one
            x = i + (j - 0.5) * 0.38
            style = bar_style(model, styles) if j == 0 else \
                {"facecolor": "white", "edgecolor": styles[model][0], "hatch": "xx"}
            median = cell.median / factor
            ax.bar(x, median, 0.36, **style)
            ax.errorbar(x, median, yerr=[[median - cell.low / factor],
                                         [cell.high / factor - median]],
                        fmt="none", ecolor="black", capsize=3, linewidth=1.1)
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels(order, rotation=20, ha="right")
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(f"wall time per run ({unit})")
    label = ", ".join(f"{k}={v}" for k, v in sorted(top.items()))
    ax.set_xlabel("bar = median, whisker = min–max over repetitions")
    legend = [Patch(facecolor="#777777", label=f"all {cpus or ''} CPUs".replace("  ", " ")),
              Patch(facecolor="white", edgecolor="#333333", hatch="xx", label="1 CPU")]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title(f"{workload} on 1 CPU and on all: {label}", loc="left")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue(), label


def cpu_budget_blocks(every, meta, context, models, styles, charts):
    """The section, or nothing when the run made no cell on one CPU beside its twin."""
    pairs_by_workload = paired_cells(every)
    if not pairs_by_workload:
        return []
    order = {m: i for i, m in enumerate(models)}
    first = next(iter(pairs_by_workload.values()))
    cpus = cpu_count(first, context)
    blocks = [("h", 2, "One CPU against all"),
              ("p", INTRO.format(cpus=cpus or "the"))]
    for workload, pairs in pairs_by_workload.items():
        scale_param = str(meta.get(workload, {}).get("scale_param") or "")
        pairs.sort(key=lambda p: ([value_key(p[0].params[k]) for k in sorted(p[0].params)],
                                  order.get(p[0].model, len(order))))
        rows = [[params_text(a, scale_param), a.model, median_text(a),
                 fmt_spread(a) if a.ok else Note("—"), median_text(o),
                 fmt_spread(o) if o.ok else Note("—"), ratio_text(a, o)] for a, o in pairs]
        blocks += [("h", 3, workload),
                   ("table", ["cells", "model", f"all {cpus or ''} CPUs".replace("  ", " "),
                              "min–max", "1 CPU", "min–max", "1 CPU ÷ all"], rows, True)]
        png, label = chart_budgets(workload, pairs, styles, models, cpus)
        if png is not None:
            path = f"charts/{workload}-cpus.png"
            charts[path] = png
            blocks.append(("img", path, f"{workload} on one CPU and on all, {label}"))
    return blocks
