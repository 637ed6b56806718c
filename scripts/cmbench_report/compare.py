"""Two runs side by side: for each cell they share, did the candidate go faster, go slower,
or can the data not tell? (scripts/compare.py is the command; docs/compare.md the guide.)

What a cell is compared on: a timed workload's wall time, lower is better; a workload that
runs for a fixed time (a server under load, "timed": false) has a wall time its parameters
set, so its first figure instead (the one the report's summary shows), in that figure's own
direction (requests per second: higher is better). Cells are matched by (name, CPU budget).
A cell that failed or went beyond its model's limit in either run is listed with its status
and never compared; a cell of one run only is listed as such.

The verdict of a compared cell, with a threshold T (5 %), a significance level α (0.05) and
a spread limit L (a coefficient of variation of 10 %), taken in this order:
  spread too high      the repetitions of either run vary by more than L: a difference
                       would be noise, so no verdict is given
  too few repetitions  a run with fewer than 2 repetitions of the cell: nothing to weigh
  faster / slower      the medians differ by more than T (the ratio candidate / baseline
                       beyond 1 ± T) and the difference is real:
                       - with 9 or more repetitions on both sides, a two-sided Mann–Whitney
                         U test on the repetitions gives p < α;
                       - with fewer, the U test cannot mean much (3 against 3: its smallest
                         p is 0.1), so the min–max ranges of the two runs must not overlap.
  no difference        otherwise

The geometric mean of the ratios is given per model and per workload, over the compared
cells, as time ratios: a figure where higher is better has its ratio inverted, so that
below 1 reads "faster" everywhere.

Exit status, the contract of `cmbench compare`: 0 when done; 1 when --fail-on-regression
is given and a cell is "slower" by more than it; 2 for bad input (a missing or malformed
run directory, a bad option, a file that cannot be written), with a message on stderr.
"""

import argparse
import math
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cmbench_report.files import write_atomic
from cmbench_report.formatting import Note, fmt_metric, fmt_speedup, sig3, status_note, \
    time_unit, why_not
from cmbench_report.groups import ordered_names
from cmbench_report.render import render_html, render_markdown
from cmbench_report.results import ResultsError, build_cells, load_results, workload_metrics
from cmbench_report.sections import environment_rows

try:
    from scipy.stats import mannwhitneyu
except ImportError:  # main() says what to install
    mannwhitneyu = None

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository
DEFAULT_BASELINE = ROOT / "reports" / "reference"
MIN_FOR_U_TEST = 9  # repetitions per side for the U test to decide (FACTS: Google Benchmark)
EXIT_OK, EXIT_REGRESSION, EXIT_BAD_INPUT = 0, 1, 2

FASTER, SLOWER, SAME = "faster", "slower", "no difference"
NOISY, TOO_FEW = "spread too high", "too few repetitions"
VERDICTS = (FASTER, SLOWER, SAME, NOISY, TOO_FEW)


class BadInput(Exception):
    """A run directory or an option the comparison cannot use: exit 2 with this message."""


class Mark(str):
    """Table text with a look of its own in HTML (render.html_cell gives it its class)."""

    def __new__(cls, text, css):
        mark = super().__new__(cls, text)
        mark.css = css
        return mark


@dataclass
class Limits:
    threshold: float = 0.05  # the medians must differ by more than this (a fraction)
    alpha: float = 0.05  # the U test's significance level
    max_cv: float = 0.10  # a run's coefficient of variation above this: spread too high


@dataclass
class Figure:
    """What a workload's cells are compared on: their wall time, or one of their metrics."""
    title: str  # "wall time", "requests per second (req/s)"
    lower_is_better: bool
    metric: object = None  # a results.Metric; None for the wall time

    def values(self, cell):
        """The figure per repetition of a verified cell; [] otherwise."""
        if cell is None or not cell.ok:
            return []
        if self.metric is None:
            return list(cell.times)
        return list(cell.metrics.get(self.metric.name) or [])

    def seconds_per_unit(self):
        """The factor to seconds when the figure is a time, else None."""
        return 1.0 if self.metric is None else self.metric.seconds_per_unit

    def text(self, values):
        """'232 ms (228–240)': the median, then min–max in the median's unit."""
        middle, low, high = statistics.median(values), min(values), max(values)
        seconds = self.seconds_per_unit()
        if seconds and middle > 0:
            unit, factor = time_unit(middle * seconds)
            middle, low, high = (sig3(v * seconds / factor) for v in (middle, low, high))
            return f"{middle} {unit} ({low}–{high})"
        middle, low, high = (fmt_metric(v, self.metric) for v in (middle, low, high))
        return f"{middle} ({low}–{high})"

    @property
    def better(self):
        return "lower is better" if self.lower_is_better else "higher is better"


WALL_TIME = Figure("wall time", True)


@dataclass
class Run:
    """One run directory, read: its document, its cells by key, each workload's figure."""
    path: Path
    doc: dict
    cells: dict  # (name, cpu_budget) -> Cell, in the run's order
    figures: dict  # workload -> Figure
    workloads: list  # workload names in the runner's order


@dataclass
class Row:
    """One cell of either run and what the comparison made of it."""
    key: tuple  # (name, cpu_budget)
    workload: str
    model: str
    params: dict
    cpu_budget: str
    base: object  # a Cell, or None when the baseline lacks it
    cand: object
    figure: Figure = None
    ratio: float = None  # candidate's median / baseline's, of the figure
    p: float = None  # the two-sided U test's p, where it could run
    verdict: str = ""  # one of VERDICTS; "" for a cell not compared
    method: str = ""  # how the verdict was reached: "U test (10/10)", "ranges (5/3 < 9)"
    cvs: tuple = (None, None)  # coefficient of variation, baseline and candidate
    # The candidate's calibration probe over the baseline's (a fixed amount of arithmetic
    # timed around each cell, where recorded): above 1, the machine itself was slower.
    machine: float = None
    why: str = ""  # for a cell not compared: why

    @property
    def compared(self):
        return bool(self.verdict)

    @property
    def time_ratio(self):
        """The ratio as a time: below 1 is faster whichever way the figure points."""
        if self.ratio is None:
            return None
        return self.ratio if self.figure.lower_is_better else 1 / self.ratio

    @property
    def change(self):
        """How far the median moved, as a signed fraction of the baseline's."""
        return self.ratio - 1 if self.ratio is not None else None

    @property
    def label(self):
        return self.key[0] + (" (one CPU)" if self.cpu_budget == "one" else "")


@dataclass
class Comparison:
    base: Run
    cand: Run
    limits: Limits
    rows: list = field(default_factory=list)

    def by_verdict(self, verdict):
        return [r for r in self.rows if r.verdict == verdict]

    @property
    def compared(self):
        return [r for r in self.rows if r.compared]


def coefficient_of_variation(values):
    """Sample standard deviation over the mean, as Google Benchmark's cv; None below 2."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.stdev(values) / abs(mean) if mean else None


def smallest_p(n, m):
    """The smallest two-sided p an exact U test can give with n against m values (scipy
    runs the exact test when a side has 8 values or fewer and there are no ties)."""
    return min(1.0, 2 / math.comb(n + m, n))


def u_test(base, cand):
    """The two-sided Mann–Whitney U test's p, or None where it cannot run (all ties)."""
    p = mannwhitneyu(cand, base, alternative="two-sided").pvalue
    return float(p) if math.isfinite(p) else None


def judge(base, cand, lower_is_better, limits):
    """(verdict, ratio, p, method, cvs) for two lists of per-repetition values of one figure,
    both non-empty with positive medians."""
    ratio = statistics.median(cand) / statistics.median(base)
    cvs = (coefficient_of_variation(base), coefficient_of_variation(cand))
    if len(base) < 2 or len(cand) < 2:
        return TOO_FEW, ratio, None, f"{len(base)}/{len(cand)} repetitions", cvs
    p = u_test(base, cand)
    worse = ratio > 1 if lower_is_better else ratio < 1
    beyond = abs(ratio - 1) > limits.threshold
    if len(base) >= MIN_FOR_U_TEST and len(cand) >= MIN_FOR_U_TEST:
        method = f"U test ({len(base)}/{len(cand)})"
        real = p is not None and p < limits.alpha
    else:
        method = f"ranges ({len(base)}/{len(cand)} < {MIN_FOR_U_TEST})"
        real = max(cand) < min(base) or min(cand) > max(base)
    if any(cv is not None and cv > limits.max_cv for cv in cvs):
        verdict = NOISY
    elif real and beyond:
        verdict = SLOWER if worse else FASTER
    else:
        verdict = SAME
    return verdict, ratio, p, method, cvs


def workload_figures(suite):
    """Each workload's figure: its wall time, or for one that runs for a fixed time, the
    metric the report's summary shows (its first charted one, else its first)."""
    figures = {}
    for w in suite["workloads"]:
        metrics = workload_metrics(w)
        # As in the report: results written before "timed" existed had metrics only for
        # the workloads that run for a fixed time.
        if metrics and w.get("timed", not metrics) is False:
            metric = next((m for m in metrics if m.chart), metrics[0])
            figures[str(w["name"])] = Figure(metric.heading, metric.lower_is_better, metric)
        else:
            figures[str(w["name"])] = WALL_TIME
    return figures


def load_run(path, which):
    """Read one run directory, or raise BadInput saying which run and what is wrong."""
    if path.name == "results.json" and path.is_file():  # the file given for its directory
        path = path.parent
    if not path.exists():
        raise BadInput(f"{which} run {path}: no such directory")
    if not path.is_dir():
        raise BadInput(f"{which} run {path}: not a directory")
    try:
        doc = load_results(path)
    except ResultsError as e:
        raise BadInput(f"{which} run: {e}")
    suite = doc["cmbench"]
    metrics = {str(w["name"]): workload_metrics(w) for w in suite["workloads"]}
    cells = {}
    for cell in build_cells(doc, metrics):
        key = (cell.name, cell.cpu_budget)
        if key in cells:
            print(f"compare.py: warning: {which} run lists {cell.name} twice; the first is "
                  "compared", file=sys.stderr)
            continue
        cells[key] = cell
    workloads = ordered_names([str(w["name"]) for w in suite["workloads"]],
                              [c.workload for c in cells.values()])
    return Run(path, doc, cells, workload_figures(suite), workloads)


def compare_row(row, base_figure, limits):
    """Fill in the comparison of one cell present in both runs."""
    base, cand = row.base, row.cand
    if not base.ok or not cand.ok:
        return  # reasons() says why, from the cells' own statuses
    if base_figure.title != row.figure.title:
        row.why = f"the baseline shows {base_figure.title}, the candidate {row.figure.title}"
        return
    base_values, cand_values = base_figure.values(base), row.figure.values(cand)
    if not base_values or not cand_values:
        row.why = f"no {row.figure.title} per repetition in the " + \
            ("baseline" if not base_values else "candidate")
        return
    if statistics.median(base_values) <= 0 or statistics.median(cand_values) <= 0:
        row.why = f"a median {row.figure.title} of 0 or less has no ratio"
        return
    row.verdict, row.ratio, row.p, row.method, row.cvs = \
        judge(base_values, cand_values, row.figure.lower_is_better, limits)
    if base.probe and cand.probe:
        row.machine = statistics.fmean(cand.probe) / statistics.fmean(base.probe)


def compare_runs(base, cand, limits):
    """Every cell of either run, in the candidate's order then the baseline's leftovers."""
    comparison = Comparison(base, cand, limits)
    keys = list(dict.fromkeys(list(cand.cells) + list(base.cells)))
    for key in keys:
        b, c = base.cells.get(key), cand.cells.get(key)
        either = c or b
        row = Row(key, either.workload, either.model, either.params, either.cpu_budget, b, c)
        row.figure = cand.figures.get(row.workload) or base.figures.get(row.workload) \
            or WALL_TIME
        if b is not None and c is not None:
            compare_row(row, base.figures.get(row.workload) or WALL_TIME, limits)
        comparison.rows.append(row)
    return comparison


def geometric_mean(ratios):
    return math.exp(statistics.fmean(math.log(r) for r in ratios)) if ratios else None


# ---- the comparison as blocks (sections.py's kinds), rendered by render.py ----

def percent(fraction):
    return f"{fraction * 100:.3g} %"


def params_text(params):
    return ", ".join(f"{k}={v}" for k, v in params.items()) or Note("—")


def verdict_text(verdict):
    return Mark(verdict, verdict) if verdict in (FASTER, SLOWER) else verdict


def p_text(row):
    return f"{row.p:.2g}" if row.p is not None else Note("—")


def cv_text(cvs):
    return " / ".join(f"{cv * 100:.1f}" if cv is not None else "—" for cv in cvs) + " %"


def shared_params(rows):
    """The parameters every row has alike: said once above a table, not on every line."""
    if len(rows) < 2:
        return {}
    first = rows[0].params
    return {k: v for k, v in first.items() if all(r.params.get(k) == v for r in rows)}


def ratio_text(ratio):
    return fmt_speedup(ratio) if ratio is not None else Note("—")


def run_line(run, which):
    context, suite = run.doc["context"], run.doc["cmbench"]
    facts = [f"commit {context['cmbench_commit']}" if context.get("cmbench_commit") else "",
             str(context.get("date") or suite.get("started") or ""),
             f"{suite['profile']} profile" if suite.get("profile") else "",
             f"{suite['repetitions']} repetitions" if suite.get("repetitions") else ""]
    return f"{which}: {run.path} ({', '.join(f for f in facts if f)})."


def environment_table(comparison):
    """The two runs' environments side by side, row by row."""
    base = dict(environment_rows(comparison.base.doc["context"], comparison.base.doc["cmbench"]))
    cand = dict(environment_rows(comparison.cand.doc["context"], comparison.cand.doc["cmbench"]))
    rows = [[k, base.get(k, Note("—")), cand.get(k, Note("—"))]
            for k in ordered_names(list(base), list(cand))]
    return ("table", ["environment", "baseline", "candidate"], rows, False)


def tally(rows):
    counts = [f"{sum(r.verdict == v for r in rows)} {v}" for v in VERDICTS]
    return ", ".join(c for c in counts if not c.startswith("0 "))


def header_blocks(comparison):
    limits, compared = comparison.limits, comparison.compared
    base, cand = comparison.base, comparison.cand
    both = [r for r in comparison.rows if r.base is not None and r.cand is not None]
    names = [run.path.name or str(run.path) for run in (cand, base)]
    blocks = [("h", 1, f"cmbench compare: {names[0]} against {names[1]}"),
              ("p", run_line(base, "Baseline")), ("p", run_line(cand, "Candidate"))]
    summary = f"{len(both)} cells in both runs, {len(compared)} of them compared"
    summary += f": {tally(compared)}." if compared else "."
    left, single = len(both) - len(compared), len(comparison.rows) - len(both)
    if left:
        summary += f" {left} not compared (a failure or a limit in a run, or no figure)."
    if single:
        summary += f" {single} cells in one run only."
    ratio = geometric_mean([r.time_ratio for r in compared])
    if ratio is not None:
        summary += f" Geometric mean of the time ratios: {fmt_speedup(ratio)}."
    blocks.append(("p", summary))
    blocks.append(("p", f"A cell is faster or slower when its median moved by more than "
                        f"{percent(limits.threshold)} (the ratio candidate / baseline beyond "
                        f"1 ± {limits.threshold:g}) and the move is real: with "
                        f"{MIN_FOR_U_TEST} or more repetitions on both sides, a two-sided "
                        f"Mann–Whitney U test on the repetitions gives p < {limits.alpha:g}; "
                        f"with fewer, the min–max ranges of the two runs do not overlap. A "
                        f"cell whose repetitions vary by more than {percent(limits.max_cv)} "
                        f"(coefficient of variation) in either run has its spread too high "
                        f"to tell. Wall time is compared, lower is better, except for a "
                        f"workload that runs for a fixed time: its own figure, as named "
                        f"under its heading."))
    few = [r for r in compared if r.method.startswith("ranges")]
    if few:
        pairs = sorted({(len(r.figure.values(r.base)), len(r.figure.values(r.cand)))
                        for r in few})
        smallest = ", ".join(f"{smallest_p(n, m):.2g} with {n} against {m}" for n, m in pairs)
        blocks.append(("p", f"Fewer than {MIN_FOR_U_TEST} repetitions on a side in "
                            f"{len(few)} of the {len(compared)} compared cells: there the U "
                            f"test cannot mean much (its smallest two-sided p is {smallest}), "
                            f"so those cells are decided from their ranges, and their p is "
                            f"shown for information only. Run both with --full (9 "
                            f"for most cells) or --repetitions 9 or more for a test."))
    cpus = [str(r.doc["context"].get("cmbench_cpu_model") or "") for r in (base, cand)]
    if all(cpus) and cpus[0] != cpus[1]:
        blocks.append(("p", f"Warning: the two runs ran on different CPUs ({cpus[0]}; "
                            f"{cpus[1]}): a difference may be the machine's, not the code's."))
    blocks.append(environment_table(comparison))
    return blocks


def geomean_table(rows, key, heading):
    groups = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    table = []
    for name, members in groups.items():
        counts = [str(sum(r.verdict == v for r in members)) for v in VERDICTS[:4]]
        table.append([name, str(len(members)),
                      fmt_speedup(geometric_mean([r.time_ratio for r in members])), *counts])
    header = [heading, "cells", "time ratio (geometric mean)", *VERDICTS[:4]]
    return ("table", header, table, True)


def geomean_blocks(comparison):
    compared = comparison.compared
    if not compared:
        return []
    return [("h", 2, "Geometric means"),
            ("p", "Over the compared cells, the geometric mean of the ratios candidate / "
                  "baseline, as time ratios: for a figure where higher is better the ratio "
                  "is inverted, so that below 1× means faster everywhere. Cells whose "
                  "spread is too high count in the mean too."),
            geomean_table(compared, lambda r: r.model, "model"),
            geomean_table(compared, lambda r: r.workload, "workload")]


def cell_blocks(comparison):
    compared = comparison.compared
    if not compared:
        return [("h", 2, "Cells"), ("p", "No cell was verified in both runs.")]
    budgets = any(r.cpu_budget != "all" for r in compared)
    probes = any(r.machine is not None for r in compared)
    blocks = [("h", 2, "Cells"),
              ("p", "Each figure is the median of the repetitions, then their min–max; × is "
                    "the candidate's median over the baseline's; cv is the coefficient of "
                    "variation of the baseline / the candidate; the verdict is decided as "
                    "told at the top, by the method named with the repetitions of the "
                    "baseline / the candidate.")]
    if probes:
        blocks.append(("p", "Machine × is the candidate's calibration probe (a fixed amount "
                            "of arithmetic timed just before and after the cell) over the "
                            "baseline's: far from 1×, the machine itself ran at another "
                            "speed, and a verdict may be the machine's rather than the "
                            "code's."))
    workloads = ordered_names(comparison.cand.workloads + comparison.base.workloads,
                              [r.workload for r in compared])
    for workload in workloads:
        rows = [r for r in compared if r.workload == workload]
        if not rows:
            continue
        figure = rows[0].figure
        blocks.append(("h", 3, workload))
        shared = shared_params(rows)
        alike = f" Every cell at {params_text(shared)}." if shared else ""
        blocks.append(("p", f"Compared on {figure.title}, {figure.better}.{alike}"))
        own = [{k: v for k, v in r.params.items() if k not in shared} for r in rows]
        varying = any(own)  # else every parameter is in the line above
        header = ["model"] + (["parameters"] if varying else []) + \
            (["CPUs"] if budgets else []) + \
            ["baseline", "candidate", "×", "cv", "p", "decided by"] + \
            (["machine ×"] if probes else []) + ["verdict"]
        table = [[r.model] + ([params_text(mine)] if varying else []) +
                 ([r.cpu_budget] if budgets else []) +
                 [r.figure.text(r.figure.values(r.base)), r.figure.text(r.figure.values(r.cand)),
                  ratio_text(r.ratio), cv_text(r.cvs), p_text(r), r.method] +
                 ([ratio_text(r.machine)] if probes else []) + [verdict_text(r.verdict)]
                 for r, mine in zip(rows, own)]
        blocks.append(("table", header, table, True))
    return blocks


def status_text(cell):
    return "ok" if cell.ok else status_note(cell)


def reasons(row):
    """Why a cell of both runs was not compared: each run's reason, said once if alike."""
    texts = list(dict.fromkeys(c.reason or why_not(c) for c in (row.base, row.cand)
                               if not c.ok))
    return "; ".join(texts) or row.why


def leftover_blocks(comparison):
    blocks = []
    budgets = any(r.cpu_budget != "all" for r in comparison.rows)

    def cell_columns(r):
        return [r.workload, r.model, params_text(r.params)] + ([r.cpu_budget] if budgets else [])
    head = ["workload", "model", "parameters"] + (["CPUs"] if budgets else [])
    left = [r for r in comparison.rows if not r.compared and r.base and r.cand]
    if left:
        blocks += [("h", 2, "Not compared"),
                   ("p", "In both runs, but without a verified figure in at least one: a "
                         "cell that failed or went beyond its model's limit is never "
                         "compared."),
                   ("table", head + ["baseline", "candidate", "why"],
                    [cell_columns(r) + [status_text(r.base), status_text(r.cand), reasons(r)]
                     for r in left], False)]
    single = [r for r in comparison.rows if r.base is None or r.cand is None]
    if single:
        blocks += [("h", 2, "In one run only"),
                   ("p", "Cells of one run that the other did not run (another profile, "
                         "other scales, a workload or model added or removed)."),
                   ("table", head + ["only in", "status"],
                    [cell_columns(r) + ["baseline" if r.cand is None else "candidate",
                                        status_text(r.base or r.cand)] for r in single],
                    False)]
    return blocks


def comparison_blocks(comparison):
    return header_blocks(comparison) + geomean_blocks(comparison) + cell_blocks(comparison) + \
        leftover_blocks(comparison)


def regressions(comparison, limit):
    """The cells slower by more than `limit` (a fraction of the baseline's median)."""
    return [r for r in comparison.by_verdict(SLOWER) if abs(r.change) > limit]


# ---- the command ----

def fraction(text):
    """'5', '5%' or '5 %' -> 0.05; refused (argparse exits 2) unless a number ≥ 0."""
    try:
        value = float(str(text).strip().rstrip("%").strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage such as 5, got {text!r}")
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a percentage ≥ 0, got {text!r}")
    return value / 100


def probability(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.05, got {text!r}")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="compare.py",
        usage="%(prog)s [BASELINE] CANDIDATE [--out DIR] [--threshold PCT] [--alpha A] "
              "[--max-cv PCT] [--fail-on-regression PCT]",
        description="Compare two cmbench runs cell by cell: the ratio of the medians, a "
                    "Mann–Whitney U test and a verdict (faster, slower, no difference, "
                    "spread too high). Writes compare.md and compare.html and prints the "
                    "Markdown. Exit status: 0 done, 1 a regression beyond "
                    "--fail-on-regression, 2 bad input.")
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN",
                        help="run directories holding results.json; BASELINE defaults to "
                             "reports/reference/")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where compare.md and compare.html go (default: CANDIDATE)")
    parser.add_argument("--threshold", type=fraction, default=Limits.threshold,
                        metavar="PCT", help="the medians must differ by more than this "
                                            "percentage to count (default 5)")
    parser.add_argument("--alpha", type=probability, default=Limits.alpha, metavar="A",
                        help="the U test's significance level (default 0.05)")
    parser.add_argument("--max-cv", type=fraction, default=Limits.max_cv, metavar="PCT",
                        help="a coefficient of variation above this percentage in either "
                             "run gives 'spread too high' (default 10)")
    parser.add_argument("--fail-on-regression", type=fraction, metavar="PCT",
                        help="exit 1 when a cell is slower by more than this percentage")
    args = parser.parse_args(argv)
    if len(args.runs) > 2:
        parser.error(f"expected [BASELINE] CANDIDATE, got {len(args.runs)} directories")
    return args


def main(argv=None):
    args = parse_args(argv)  # a bad option exits 2 with argparse's message
    baseline, candidate = (args.runs if len(args.runs) == 2 else [DEFAULT_BASELINE, *args.runs])
    if mannwhitneyu is None:
        print("compare.py: scipy is missing: install python3-scipy (./scripts/setup does)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        base, cand = load_run(baseline, "baseline"), load_run(candidate, "candidate")
    except BadInput as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    limits = Limits(args.threshold, args.alpha, args.max_cv)
    comparison = compare_runs(base, cand, limits)
    blocks = comparison_blocks(comparison)
    markdown = render_markdown(blocks)
    out = args.out or candidate
    try:
        write_atomic(out / "compare.md", markdown)
        write_atomic(out / "compare.html", render_html(blocks, {}))
    except OSError as e:
        print(f"compare.py: cannot write the comparison into {out}: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(markdown, end="")
    if args.fail_on_regression is None:
        return EXIT_OK
    slower = regressions(comparison, args.fail_on_regression)
    if not slower:
        return EXIT_OK
    lines = "".join(f"\n  {r.label}: {r.change * 100:+.1f} % {r.figure.title}" for r in slower)
    print(f"compare.py: {len(slower)} cell{'s' if len(slower) > 1 else ''} slower by more "
          f"than {percent(args.fail_on_regression)}:{lines}", file=sys.stderr)
    return EXIT_REGRESSION
