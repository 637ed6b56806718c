#!/usr/bin/python3
"""Draw the headline figures of every recorded run over time.

Usage: /usr/bin/python3 scripts/history.py [REPORTS_DIR]

Reads REPORTS_DIR/history.jsonl (one line per run, appended by scripts/report.py; the
format is in docs/history.md) and writes REPORTS_DIR/history.md, REPORTS_DIR/history.html
(the charts inlined) and the charts as REPORTS_DIR/history/<profile>-<workload>.png: per
profile, a table of its runs and one chart per headline workload (sleep_fanout, cpu_bound,
http_server's server CPU per request, spawn_many's time per task), a line per model.
REPORTS_DIR defaults to the repository's reports/. Exits 1 when there is no history.
"""

import argparse
import sys
from pathlib import Path

from cmbench_report.files import write_atomic
from cmbench_report.history import HISTORY_FILE, history_page, read_history
from cmbench_report.render import render_html, render_markdown
from cmbench_report.style import set_chart_style


def main(argv=None):
    parser = argparse.ArgumentParser(description="Draw the recorded runs' headline figures "
                                                 "over time.")
    parser.add_argument("reports_dir", type=Path, nargs="?",
                        default=Path(__file__).resolve().parent.parent / "reports",
                        help=f"the directory holding {HISTORY_FILE} (default: reports/)")
    args = parser.parse_args(argv)
    path = args.reports_dir / HISTORY_FILE
    if not path.is_file():
        print(f"history.py: {path} not found: scripts/report.py writes it beside the run "
              "directories it reports on", file=sys.stderr)
        return 1
    runs = read_history(path)
    if not runs:
        print(f"history.py: {path} holds no run", file=sys.stderr)
        return 1
    set_chart_style()
    charts = {}
    blocks = history_page(runs, charts)
    try:
        for name, png in charts.items():
            write_atomic(args.reports_dir / name, png)
        write_atomic(args.reports_dir / "history.md", render_markdown(blocks))
        write_atomic(args.reports_dir / "history.html", render_html(blocks, charts))
    except OSError as e:
        print(f"history.py: cannot write the history: {e}", file=sys.stderr)
        return 1
    print(f"{len(runs)} runs: {args.reports_dir / 'history.html'}, "
          f"{args.reports_dir / 'history.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
