#!/usr/bin/python3
"""Turn one cmbench run into a report: results.csv, report.md, report.html, charts/*.png.

Usage: /usr/bin/python3 scripts/report.py RUN_DIR [--quiet] [--no-history]

Reads RUN_DIR/results.json (Google Benchmark's JSON plus the suite runner's "cmbench"
section, described in docs/results-format.md), writes the files into RUN_DIR, then prints
a short summary table unless --quiet. It also records the run's medians in history.jsonl,
in RUN_DIR's parent, unless --no-history (docs/history.md). The code is the package
cmbench_report/ beside this file; its __init__.py says how it is laid out.
"""

import sys

from cmbench_report.main import main

if __name__ == "__main__":
    sys.exit(main())
