#!/usr/bin/python3
"""scripts/compare.py: the verdict per cell, the exit codes and the messages on bad input.

Run: /usr/bin/python3 tests/compare_test.py   (CTest runs it as compare)

Every run directory here is synthetic, written to a temporary directory: each cell's
repetitions are drawn from a seeded random generator around a chosen median, so that a test
says which distributions it compares (the same, shifted, noisy, too few repetitions) and
what the verdict must be. Nothing here measures a speed.
"""

import contextlib
import io
import json
import random
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "compare.py"
sys.path.insert(0, str(ROOT / "scripts"))
from cmbench_report import compare  # noqa: E402

WORK = tempfile.TemporaryDirectory(prefix="compare_test.")
DIR = Path(WORK.name)
SERVER_METRICS = [  # as the runner declares http_server's first two figures
    {"name": "req_per_s", "title": "requests per second", "unit": "req/s",
     "lower_is_better": False, "chart": True},
    {"name": "server_cpu_us_per_req", "title": "server CPU per request", "unit": "µs",
     "lower_is_better": True, "chart": True}]
WORKLOADS = [{"name": "sleep_fanout", "timed": True, "scale_param": "N",
              "params": [{"name": "N"}, {"name": "d"}]},
             {"name": "http_server", "timed": False, "scale_param": "C",
              "params": [{"name": "C"}], "metrics": SERVER_METRICS}]


def draws(median, spread, n, seed):
    """n values around `median`, each off by a relative amount of up to ±spread."""
    rng = random.Random(seed)
    return [median * (1 + rng.uniform(-spread, spread)) for _ in range(n)]


def timed(model, n, seconds, budget="all", seed=0, spread=0.01, status="ok", probe=None):
    """A sleep_fanout cell: its wall time per repetition (seconds), drawn around `seconds`."""
    return {"workload": "sleep_fanout", "model": model, "params": {"N": str(n), "d": "10ms"},
            "times": draws(seconds, spread, REPS[0], seed) if status == "ok" else [],
            "status": status, "cpu_budget": budget, "probe": probe}


def server(model, req_per_s, seed=0, spread=0.01):
    """An http_server cell: 200 ms of load whatever happens, its throughput its figure."""
    return {"workload": "http_server", "model": model, "params": {"C": "50"},
            "times": draws(0.2, 0.001, REPS[0], seed), "status": "ok", "cpu_budget": "all",
            "metrics": {"req_per_s": draws(req_per_s, spread, REPS[0], seed + 1),
                        "server_cpu_us_per_req": draws(1e6 / req_per_s, spread, REPS[0], seed)}}


REPS = [10]  # repetitions of the cells built next; tests set it before building


def write_run(name, cells, repetitions=None, cpu="AMD EPYC", workloads=None):
    """A run directory holding a results.json shaped like the suite runner's."""
    path = DIR / name
    path.mkdir(parents=True, exist_ok=True)
    benchmarks, rows = [], []
    for c in cells:
        cell_name = "/".join([c["workload"], c["model"]] +
                             [f"{k}:{v}" for k, v in c["params"].items()])
        row = {"name": cell_name, "workload": c["workload"], "model": c["model"],
               "label": c["model"], "params": c["params"], "status": c["status"],
               "reason": "" if c["status"] == "ok" else "timeout after 60 s",
               "repetitions": len(c["times"])}
        if c["cpu_budget"] != "all":
            row["cpu_budget"] = c["cpu_budget"]
        if c.get("probe"):
            row["probe"] = {"before_s": c["probe"], "after_s": c["probe"]}
        rows.append(row)
        for i, seconds in enumerate(c["times"]):
            entry = {"name": f"{cell_name}/real_time", "run_name": f"{cell_name}/real_time",
                     "run_type": "iteration", "repetitions": len(c["times"]),
                     "repetition_index": i, "iterations": 1, "real_time": seconds * 1e3,
                     "time_unit": "ms"}
            if c["cpu_budget"] != "all":
                entry["cpu_budget"] = c["cpu_budget"]
            for metric, values in c.get("metrics", {}).items():
                entry[metric] = values[i]
            benchmarks.append(entry)
    doc = {"context": {"date": "2026-12-06T10:00:00+00:00", "cmbench_commit": name,
                       "cmbench_cpu_model": cpu, "cmbench_cores": "2"},
           "benchmarks": benchmarks,
           "cmbench": {"profile": "quick", "repetitions": repetitions or REPS[0],
                       "models": [{"name": m} for m in ("sequential", "threads", "epoll")],
                       "workloads": workloads or WORKLOADS, "cells": rows}}
    (path / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    return path


def run(*args):
    """compare.main in this process, as the command runs it: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = compare.main([str(a) for a in args])
        except SystemExit as e:  # argparse refusing an option
            status = e.code
    return status, out.getvalue(), err.getvalue()


def rows_of(markdown):
    """{model: the row's cells} from the tables under "## Cells" (a model once each)."""
    rows, inside = {}, False
    for line in markdown.splitlines():
        if line.startswith("## "):
            inside = line == "## Cells"
        cells = [c.strip() for c in line.strip("|").split("|")]
        if inside and line.startswith("| ") and cells[-1] in compare.VERDICTS:
            rows[cells[0]] = cells
    return rows


def times(text):
    """'1.30×' -> 1.3"""
    return float(text.rstrip("×"))


def verdicts(baseline, candidate, *options):
    status, out, err = run(baseline, candidate, "--out", DIR / "out", *options)
    if status != 0:
        raise AssertionError(f"exit {status}: {err}")
    return {key: cells[-1] for key, cells in rows_of(out).items()}, out


class Verdicts(unittest.TestCase):
    def setUp(self):
        REPS[0] = 10

    def test_the_same_distribution_makes_no_difference(self):
        base = write_run("same_a", [timed("threads", 100, 0.1, seed=1),
                                    timed("sequential", 100, 1.0, seed=2)])
        cand = write_run("same_b", [timed("threads", 100, 0.1, seed=3),
                                    timed("sequential", 100, 1.0, seed=4)])
        found, out = verdicts(base, cand)
        self.assertEqual(found, {"threads": "no difference",
                                 "sequential": "no difference"})
        self.assertIn("U test (10/10)", out)
        self.assertNotIn("Fewer than 9", out)

    def test_a_clear_shift_is_slower_or_faster_with_a_small_p(self):
        base = write_run("shift_a", [timed("threads", 100, 0.1, seed=1),
                                     timed("sequential", 100, 1.0, seed=2)])
        cand = write_run("shift_b", [timed("threads", 100, 0.13, seed=3),  # 30 % slower
                                     timed("sequential", 100, 0.8, seed=4)])  # 20 % faster
        status, out, _ = run(base, cand, "--out", DIR / "out")
        self.assertEqual(status, 0)
        rows = rows_of(out)
        slow, fast = rows["threads"], rows["sequential"]
        self.assertEqual((slow[-1], fast[-1]), ("slower", "faster"))
        for row in (slow, fast):  # 10 against 10 fully apart: p ≈ 2e-4 (normal approx.)
            self.assertLess(float(row[-3]), 1e-3)
            self.assertEqual(row[-2], "U test (10/10)")
        self.assertAlmostEqual(times(slow[-5]), 1.3, delta=0.02)
        self.assertAlmostEqual(times(fast[-5]), 0.8, delta=0.02)

    def test_a_shift_within_the_threshold_is_no_difference(self):
        base = write_run("small_a", [timed("threads", 100, 0.1, seed=1, spread=0.001)])
        cand = write_run("small_b", [timed("threads", 100, 0.103, seed=3, spread=0.001)])
        found, _ = verdicts(base, cand)  # significant, but 3 % is within 5 %
        self.assertEqual(found["threads"], "no difference")
        found, _ = verdicts(base, cand, "--threshold", "2")
        self.assertEqual(found["threads"], "slower")

    def test_three_repetitions_are_decided_from_the_ranges_and_say_so(self):
        REPS[0] = 3
        base = write_run("few_a", [timed("threads", 100, 0.1, seed=1),
                                   timed("sequential", 100, 1.0, seed=2, spread=0.05)])
        cand = write_run("few_b", [timed("threads", 100, 0.13, seed=3),
                                   timed("sequential", 100, 1.06, seed=4, spread=0.05)])
        status, out, _ = run(base, cand, "--out", DIR / "out")
        self.assertEqual(status, 0)
        self.assertIn("Fewer than 9 repetitions on a side in 2 of the 2 compared cells", out)
        self.assertIn("smallest two-sided p is 0.1 with 3 against 3", out)
        rows = rows_of(out)
        apart, overlapping = rows["threads"], \
            rows["sequential"]
        self.assertEqual(apart[-2], "ranges (3/3 < 9)")  # said per cell too
        self.assertEqual(apart[-3], "0.1")  # the U test's best, not significant at 0.05 ...
        self.assertEqual(apart[-1], "slower")  # ... yet the ranges are far apart
        self.assertEqual(overlapping[-1], "no difference")  # 6 % but the ranges overlap

    def test_a_noisy_cell_has_its_spread_too_high(self):
        base = write_run("noisy_a", [timed("threads", 100, 0.1, seed=1, spread=0.4),
                                     timed("sequential", 100, 1.0, seed=2)])
        cand = write_run("noisy_b", [timed("threads", 100, 0.1, seed=3),
                                     timed("sequential", 100, 1.0, seed=4)])
        found, out = verdicts(base, cand)
        self.assertEqual(found["threads"], "spread too high")
        self.assertEqual(found["sequential"], "no difference")
        self.assertIn("1 spread too high", out)
        found, _ = verdicts(base, cand, "--max-cv", "50")
        self.assertEqual(found["threads"], "no difference")

    def test_a_server_is_compared_on_its_figure_in_its_direction(self):
        # Wall times are the same 200 ms on both sides; the throughput is what moves.
        base = write_run("server_a", [server("threads", 20000, seed=1),
                                      server("epoll", 30000, seed=2)])
        cand = write_run("server_b", [server("threads", 15000, seed=3),
                                      server("epoll", 36000, seed=4)])
        found, out = verdicts(base, cand)
        self.assertEqual(found, {"threads": "slower",  # fewer requests per second
                                 "epoll": "faster"})
        self.assertIn("Compared on requests per second (req/s), higher is better.", out)
        self.assertIn("higher is better. Every cell at C=50.", out)
        self.assertRegex(out, r"\| threads \| 20\.\dk \(19\.\dk–20\.\dk\) \| 1[45]\.\dk \(")
        # The geometric mean is a time ratio: throughput 0.75× counts as 1.33× in time.
        self.assertRegex(out, r"\| threads \| 1 \| 1\.3\d× \|")

    def test_results_written_before_timed_existed_compare_a_server_on_its_figure(self):
        old = [{k: v for k, v in w.items() if k != "timed"} for w in WORKLOADS]
        base = write_run("old_a", [server("threads", 20000, seed=1)], workloads=old)
        cand = write_run("old_b", [server("threads", 15000, seed=3)], workloads=old)
        found, out = verdicts(base, cand)
        self.assertEqual(found, {"threads": "slower"})
        self.assertIn("Compared on requests per second (req/s)", out)

    def test_cells_match_by_name_and_cpu_budget(self):
        base = write_run("budget_a", [timed("threads", 100, 0.1, seed=1),
                                      timed("threads", 100, 0.2, "one", seed=2)])
        cand = write_run("budget_b", [timed("threads", 100, 0.1, seed=3),
                                      timed("threads", 100, 0.3, "one", seed=4)])
        status, out, _ = run(base, cand, "--out", DIR / "out")
        rows = [line for line in out.splitlines() if line.startswith("| threads | ")
                and line.endswith(("| no difference |", "| slower |"))]
        self.assertEqual(len(rows), 2, out)
        self.assertTrue(any(r.startswith("| threads | all |") and r.endswith("| no difference |")
                            for r in rows), rows)
        self.assertTrue(any(r.startswith("| threads | one |") and r.endswith("| slower |")
                            for r in rows), rows)

    def test_cells_in_one_run_only_and_failed_cells_are_listed_not_compared(self):
        base = write_run("odd_a", [timed("threads", 100, 0.1, seed=1),
                                   timed("threads", 1000, 0.5, seed=2),
                                   timed("sequential", 100, 1.0, seed=3)])
        cand = write_run("odd_b", [timed("threads", 100, 0.1, seed=4),
                                   timed("epoll", 100, 0.05, seed=5),
                                   timed("sequential", 100, 1.0, status="timeout")])
        status, out, _ = run(base, cand, "--out", DIR / "out")
        self.assertEqual(status, 0)
        self.assertIn("2 cells in both runs, 1 of them compared: 1 no difference. 1 not "
                      "compared", out)
        self.assertIn("2 cells in one run only.", out)
        self.assertIn("| sleep_fanout | threads | N=1000, d=10ms | baseline | ok |", out)
        self.assertIn("| sleep_fanout | epoll | N=100, d=10ms | candidate | ok |", out)
        self.assertIn("| sleep_fanout | sequential | N=100, d=10ms | ok | *timeout* | "
                      "timeout after 60 s |", out)
        self.assertEqual(set(rows_of(out)), {"threads"})

    def test_different_cpus_and_the_machine_probe_are_named(self):
        base = write_run("cpu_a", [timed("threads", 100, 0.1, seed=1, probe=0.020)])
        cand = write_run("cpu_b", [timed("threads", 100, 0.13, seed=2, probe=0.026)],
                         cpu="Intel Xeon")
        _, out = verdicts(base, cand)
        self.assertIn("ran on different CPUs (AMD EPYC; Intel Xeon)", out)
        self.assertIn("| 1.30× | slower |", out)  # machine × beside the verdict

    def test_the_geometric_mean_per_model_and_workload(self):
        base = write_run("geo_a", [timed("threads", 100, 0.1, seed=1),
                                   timed("threads", 1000, 1.0, seed=2)])
        cand = write_run("geo_b", [timed("threads", 100, 0.2, seed=3),  # 2×
                                   timed("threads", 1000, 0.5, seed=4)])  # 0.5×
        _, out = verdicts(base, cand)
        self.assertRegex(out, r"\| threads \| 2 \| 1\.0\d× \| 1 \| 1 \| 0 \| 0 \|")
        self.assertRegex(out, r"\| sleep_fanout \| 2 \| 1\.0\d× \|")


class Judge(unittest.TestCase):
    """The decision itself, on plain lists."""
    limits = compare.Limits()

    def test_the_smallest_p_of_an_exact_u_test(self):
        self.assertAlmostEqual(compare.smallest_p(3, 3), 0.1)
        self.assertLess(compare.smallest_p(9, 9), 0.05)

    def test_one_repetition_is_too_few(self):
        verdict, ratio, p, method, _ = compare.judge([1.0], [2.0], True, self.limits)
        self.assertEqual((verdict, ratio, p), ("too few repetitions", 2.0, None))
        self.assertEqual(method, "1/1 repetitions")

    def test_all_ties_give_no_difference(self):
        verdict, ratio, _, _, cvs = compare.judge([5.0] * 10, [5.0] * 10, True, self.limits)
        self.assertEqual((verdict, ratio, cvs), ("no difference", 1.0, (0.0, 0.0)))

    def test_a_move_beyond_the_threshold_must_also_be_real(self):
        # Two clusters, 0.90 and 1.00: the medians differ by 5.3 % (beyond 5 %), but the
        # candidate only moved one repetition from one cluster to the other.
        base = [0.90 + i * 1e-4 for i in range(5)] + [1.00 + i * 1e-4 for i in range(5)]
        cand = [0.90 + i * 1e-4 for i in range(4)] + [1.00 + i * 1e-4 for i in range(6)]
        verdict, ratio, p, method, _ = compare.judge(base, cand, True, self.limits)
        self.assertGreater(ratio, 1.05)
        self.assertGreater(p, 0.5)
        self.assertEqual((verdict, method), ("no difference", "U test (10/10)"))
        # With 3 repetitions, ranges that overlap: 10 % apart, yet not told apart.
        verdict, ratio, _, method, _ = compare.judge([0.95, 1.0, 1.05], [1.04, 1.1, 1.15],
                                                     True, self.limits)
        self.assertAlmostEqual(ratio, 1.1)
        self.assertEqual((verdict, method), ("no difference", "ranges (3/3 < 9)"))

    def test_direction_follows_the_figure(self):
        base, cand = [100.0 + i for i in range(10)], [200.0 + i for i in range(10)]
        self.assertEqual(compare.judge(base, cand, True, self.limits)[0], "slower")
        self.assertEqual(compare.judge(base, cand, False, self.limits)[0], "faster")


class Command(unittest.TestCase):
    """The contract `cmbench compare` relies on: outputs, exit codes, messages."""

    def setUp(self):
        REPS[0] = 10
        self.base = write_run("cmd_a", [timed("threads", 100, 0.1, seed=1),
                                        timed("sequential", 100, 1.0, seed=2)])
        self.cand = write_run("cmd_b", [timed("threads", 100, 0.13, seed=3),  # +30 %
                                        timed("sequential", 100, 1.0, seed=4)])

    def test_files_are_written_into_the_candidate_by_default(self):
        for name in ("compare.md", "compare.html"):
            (self.cand / name).unlink(missing_ok=True)
        status, out, _ = run(self.base, self.cand)
        self.assertEqual(status, 0)
        self.assertEqual((self.cand / "compare.md").read_text(encoding="utf-8"), out)
        page = (self.cand / "compare.html").read_text(encoding="utf-8")
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertIn('<td class="slower">slower</td>', page)
        self.assertIn("<style>", page)  # self-contained: the report's own look
        self.assertEqual(sorted(p.name for p in self.cand.glob(".*tmp")), [])

    def test_fail_on_regression(self):
        status, _, err = run(self.base, self.cand, "--out", DIR / "out",
                             "--fail-on-regression", "10")
        self.assertEqual(status, 1)
        self.assertIn("1 cell slower by more than 10 %", err)
        self.assertIn("sleep_fanout/threads/N:100/d:10ms", err)
        status, _, err = run(self.base, self.cand, "--out", DIR / "out",
                             "--fail-on-regression", "50%")
        self.assertEqual((status, err), (0, ""))
        status, _, _ = run(self.cand, self.base, "--out", DIR / "out",
                           "--fail-on-regression", "10")  # the other way, it is faster
        self.assertEqual(status, 0)

    def test_a_missing_directory_exits_2_naming_it(self):
        status, out, err = run(self.base, DIR / "nowhere")
        self.assertEqual((status, out), (2, ""))
        self.assertIn(f"candidate run {DIR / 'nowhere'}: no such directory", err)
        status, _, err = run(DIR / "nowhere", self.cand)
        self.assertEqual(status, 2)
        self.assertIn("baseline run", err)

    def test_a_results_json_stands_for_its_directory(self):
        status, out, _ = run(self.base / "results.json", self.cand, "--out", DIR / "out")
        self.assertEqual(status, 0)
        self.assertIn(f"Baseline: {self.base} (", out)

    def test_a_malformed_results_json_exits_2_naming_it(self):
        broken = DIR / "broken"
        broken.mkdir(exist_ok=True)
        (broken / "results.json").write_text('{"benchmarks": [', encoding="utf-8")
        status, _, err = run(self.base, broken)
        self.assertEqual(status, 2)
        self.assertIn(f"{broken / 'results.json'} is not readable JSON", err)
        (broken / "results.json").write_text('{"benchmarks": []}', encoding="utf-8")
        status, _, err = run(broken, self.cand)
        self.assertEqual(status, 2)
        self.assertIn("no 'cmbench.cells' list", err)
        empty = DIR / "empty"
        empty.mkdir(exist_ok=True)
        status, _, err = run(self.base, empty)
        self.assertEqual(status, 2)
        self.assertIn("results.json not found", err)

    def test_bad_options_exit_2(self):
        for args in (["--threshold", "abc"], ["--threshold", "-5"], ["--alpha", "2"],
                     ["--fail-on-regression", "x"], [DIR / "third"]):
            status, _, err = run(self.base, self.cand, *args)
            self.assertEqual(status, 2, args)
            self.assertTrue(err.strip(), args)

    def test_an_unwritable_out_exits_2(self):
        blocker = DIR / "a_file"
        blocker.write_text("not a directory", encoding="utf-8")
        status, _, err = run(self.base, self.cand, "--out", blocker / "sub")
        self.assertEqual(status, 2)
        self.assertIn("cannot write the comparison", err)

    def test_the_command_line_and_the_default_baseline(self):
        # As a user and `cmbench compare` run it: a process of its own, one directory given,
        # so the baseline is the repository's reports/reference/ (a real run).
        done = subprocess.run([sys.executable, str(SCRIPT), str(self.cand), "--out",
                               str(DIR / "default")], capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(f"Baseline: {ROOT / 'reports' / 'reference'}", done.stdout)
        self.assertIn("cells in one run only", done.stdout)
        self.assertTrue((DIR / "default" / "compare.html").is_file())


if __name__ == "__main__":
    sys.exit(unittest.main(verbosity=2))
