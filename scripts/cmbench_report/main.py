"""The command: read a run, group its cells, draw and write the report, print a summary."""

import argparse
import sys
from pathlib import Path

from cmbench_report.charts_v2 import run_facts
from cmbench_report.cpus import cpu_budget_blocks
from cmbench_report.links import links_blocks
from cmbench_report.files import csv_text, write_atomic
from cmbench_report.groups import build_groups, ordered_names, with_variants
from cmbench_report.headline import headline_blocks
from cmbench_report.history import history_blocks, record_history, run_entry
from cmbench_report.model_card import model_card
from cmbench_report.render import render_html, render_markdown
from cmbench_report.results import ResultsError, build_cells, load_results, workload_metrics
from cmbench_report.sections import closing_blocks, failure_blocks, header_blocks, \
    micro_blocks, timeline_blocks, twin_blocks, workload_blocks
from cmbench_report.stability import stability_blocks, under_title
from cmbench_report.style import model_styles, set_chart_style
from cmbench_report.terminal import terminal_summary
from cmbench_report.views import view_for


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the report of one cmbench run.")
    parser.add_argument("run_dir", type=Path, help="directory holding results.json")
    parser.add_argument("--quiet", action="store_true", help="write the files, print nothing")
    parser.add_argument("--no-history", action="store_true",
                        help="leave history.jsonl in the run directory's parent untouched")
    args = parser.parse_args(argv)
    try:
        doc = load_results(args.run_dir)
    except ResultsError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 1
    suite = doc["cmbench"]
    meta = {str(w["name"]): w for w in suite["workloads"]}
    metrics_by_workload = {name: workload_metrics(w) for name, w in meta.items()}
    every = build_cells(doc, metrics_by_workload)
    # The workloads' sections show the cells that could use every CPU; those confined to
    # one (--cpus 1) are set beside them in a section of their own.
    cells = [c for c in every if c.cpu_budget == "all"]
    models = with_variants([str(m["name"]) for m in suite["models"]], [c.model for c in cells])
    references = [str(m["name"]) for m in suite["models"] if m.get("reference") is True]
    styles = model_styles(models)
    set_chart_style()
    # Results written before "timed" existed: a workload with metrics ran for a fixed time.
    untimed = {name for name, w in meta.items()
               if w.get("timed", not metrics_by_workload[name]) is False}
    with_metrics = any(metrics_by_workload.get(c.workload) and c.workload in untimed
                       for c in cells)
    # The first screen answers: what the run is, the model card, the headline charts.
    charts, workloads = {}, []
    opening = header_blocks(doc, cells)
    card = model_card(doc, cells)
    blocks = opening + card.blocks() + headline_blocks(card, models, references, styles, charts)
    for name in ordered_names(list(meta), [c.workload for c in cells]):
        members = [c for c in cells if c.workload == name]
        if not members:
            continue
        workload = meta.get(name, {"name": name})
        view = view_for(metrics_by_workload.get(name), name not in untimed, models,
                        references, styles, run_facts(doc, cells))
        groups = build_groups(workload, members)
        for group in groups:
            view.measure(group)
        workloads.append((name, groups, view))
        blocks += workload_blocks(workload, groups, view, charts)
    blocks += cpu_budget_blocks(every, meta, doc["context"], models, styles, charts)
    blocks += links_blocks(every, meta, metrics_by_workload, untimed)
    blocks += twin_blocks(workloads, metrics_by_workload, untimed, models)
    blocks += micro_blocks(doc)
    blocks += timeline_blocks(suite, args.run_dir, charts)
    blocks += failure_blocks(every, suite.get("micro"))
    banner, warnings = stability_blocks(every, doc, metrics_by_workload, untimed)
    blocks = under_title(blocks, banner) + warnings
    run = run_entry(doc, every, metrics_by_workload, untimed, args.run_dir)
    blocks += history_blocks(run, args.run_dir, charts, recorded=not args.no_history)
    blocks += closing_blocks(doc, with_metrics)  # the environment and the method, at the end
    declared = [str(p["name"]) for w in suite["workloads"] for p in w.get("params") or []
                if isinstance(p, dict) and p.get("name")]
    param_names = ordered_names(declared, [k for c in every for k in c.params])
    metric_names = ordered_names([m.name for ms in metrics_by_workload.values() for m in ms], [])
    try:
        for path, png in charts.items():
            write_atomic(args.run_dir / path, png)
        write_atomic(args.run_dir / "results.csv", csv_text(every, param_names, metric_names))
        write_atomic(args.run_dir / "report.md", render_markdown(blocks))
        write_atomic(args.run_dir / "report.html", render_html(blocks, charts))
        write_atomic(args.run_dir / "model_card.md", render_markdown(opening + card.blocks()))
    except OSError as e:
        print(f"report.py: cannot write the report: {e}", file=sys.stderr)
        return 1
    if not args.no_history:
        record_history(args.run_dir, run)
    if not args.quiet:
        print(terminal_summary(cells, workloads, models))
    return 0
