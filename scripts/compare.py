#!/usr/bin/python3
"""Compare two cmbench runs cell by cell: is the candidate faster, slower, or the same?

Usage: /usr/bin/python3 scripts/compare.py [BASELINE] CANDIDATE [--out DIR]
           [--threshold PCT] [--alpha A] [--max-cv PCT] [--fail-on-regression PCT]

BASELINE defaults to reports/reference/. Per cell matched by name and CPU budget: the
medians, their ratio, a Mann–Whitney U test on the repetitions and a verdict; the geometric
mean of the ratios per model and per workload. Prints the Markdown and writes compare.md and
compare.html into DIR (default: CANDIDATE). Exit status: 0 done, 1 a cell slower by more
than --fail-on-regression, 2 bad input (a missing or malformed run, a bad option). The code
is cmbench_report/compare.py; docs/compare.md is the guide.
"""

import sys

from cmbench_report.compare import main

if __name__ == "__main__":
    sys.exit(main())
