#!/usr/bin/python3
"""The report's stability warnings and the runs' history, on synthetic runs.

Run: /usr/bin/python3 tests/report_stability_test.py   (CTest runs it as report_stability)

Each test writes its own results.json into a temporary directory: a few cells of a timed
workload (sleep_fanout, cpu_bound, spawn_many) and of one that runs for a fixed time
(http_server), with the per-cell load average and calibration probe the suite records, or
without them (an older run). Warnings: a planted noisy cell, a planted high load and planted
speed bands with a cell straddling them must be named, and a run without the fields must say
what it could not check. History: renders append one line per run, replace a run's line when
it is rendered again, leave the file alone with --no-history, never interleave two writers'
lines, and draw the history once two runs are recorded.
"""

import copy
import json
import multiprocessing
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "scripts" / "report.py"
HISTORY = ROOT / "scripts" / "history.py"
sys.path.insert(0, str(ROOT / "scripts"))
from cmbench_report import history, stability  # noqa: E402

WORK = tempfile.TemporaryDirectory(prefix="report_stability_test.")
FAST, SLOW = 0.020, 0.026  # the two probe bands, 1.3x apart as on this VM
MODELS = ["sequential", "threads", "coroutines"]


def workloads():
    timed = [{"name": "sleep_fanout", "scale_param": "N",
              "params": [{"name": "N", "kind": "integer"}, {"name": "d", "kind": "duration"}],
              "metrics": [], "timed": True},
             {"name": "cpu_bound", "scale_param": "K", "params": [{"name": "K",
                                                                   "kind": "integer"}],
              "metrics": [], "timed": True}]
    server = {"name": "http_server", "scale_param": "C", "params": [{"name": "C",
                                                                     "kind": "integer"}],
              "timed": False,
              "metrics": [{"name": "req_per_s", "title": "requests per second",
                           "unit": "req/s", "lower_is_better": False, "chart": True},
                          {"name": "server_cpu_us_per_req", "title": "server CPU per request",
                           "unit": "µs", "lower_is_better": True, "chart": True}]}
    return timed + [server]


def make_run(stamp, commit="abc1234", probes=True, loads=True, seed=0.0):
    """A small run: every (workload, model, scale) cell ok, 3 quiet repetitions each (cv
    ≈ 1 %), probes in the fast band and a load of 0.3 unless the test plants otherwise.
    Returns the document; cells are found again by name with cell(doc, name)."""
    doc = {"context": {"date": f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T00:00:00+00:00",
                       "num_cpus": 2, "cmbench_cores": "2", "cmbench_commit": commit,
                       "cmbench_cpu_model": "AMD EPYC", "host_name": "vm",
                       "cmbench_kernel": "Linux 6.1.0 x86_64", "load_avg": [0.3, 0.3, 0.3]},
           "benchmarks": [],
           "cmbench": {"profile": "quick", "repetitions": 3, "min_time_s": 0.05,
                       "started": stamp, "workloads": workloads(),
                       "models": [{"name": m} for m in MODELS], "cells": []}}
    scales = {"sleep_fanout": ("N", ["100", "1000"], {"d": "10ms"}),
              "cpu_bound": ("K", ["1", "8"], {}), "http_server": ("C", ["10", "50"], {})}
    for workload, (scale, values, fixed) in scales.items():
        for i, model in enumerate(MODELS):
            for j, value in enumerate(values):
                params = {scale: value, **fixed}
                name = "/".join([workload, model] + [f"{k}:{v}" for k, v in params.items()])
                row = {"name": name, "workload": workload, "model": model, "label": model,
                       "params": params, "status": "ok", "repetitions": 3}
                if loads:
                    row["loadavg"] = 0.3
                if probes:
                    row["probe"] = {"before_s": FAST * (1 + 0.002 * j),
                                    "after_s": FAST * (1 + 0.002 * i)}
                doc["cmbench"]["cells"].append(row)
                base = (1 + i) * (1 + j) * 10.0 + seed
                for r, wobble in enumerate((0.99, 1.0, 1.01)):
                    entry = {"name": name + "/real_time", "run_name": name + "/real_time",
                             "run_type": "iteration", "repetition_index": r,
                             "real_time": base * wobble, "time_unit": "ms", "iterations": 1}
                    if workload == "http_server":
                        entry.update(req_per_s=20000 * wobble / (1 + i),
                                     server_cpu_us_per_req=(8 + i + seed) * wobble)
                    doc["benchmarks"].append(entry)
    return doc


def cell(doc, name):
    return next(c for c in doc["cmbench"]["cells"] if c["name"] == name)


def times(doc, name, values):
    """Set the repetitions' wall times (ms) of a cell."""
    entries = [e for e in doc["benchmarks"] if e["run_name"] == name + "/real_time"]
    for entry, value in zip(entries, values):
        entry["real_time"] = value


def write_run(parent, doc, name=None):
    run_dir = Path(parent) / (name or doc["cmbench"]["started"])
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    return run_dir


def render(run_dir, *flags):
    """report.py as the suite runs it; returns (exit status, report.md, stderr)."""
    done = subprocess.run([sys.executable, str(REPORT), str(run_dir), "--quiet", *flags],
                          capture_output=True, text=True, timeout=300)
    md = run_dir / "report.md"
    return done.returncode, md.read_text(encoding="utf-8") if md.exists() else "", done.stderr


def section(md, title):
    """The text of '## title' up to the next '## '."""
    start = md.find(f"\n## {title}\n")
    if start < 0:
        return ""
    end = md.find("\n## ", start + 1)
    return md[start:end if end > 0 else len(md)]


def fresh(name):
    path = Path(WORK.name) / name
    path.mkdir()
    return path


class Warnings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        doc = make_run("20260101-100000")
        # a noisy cell: 10, 10, 14 ms is a cv of 20 %
        times(doc, "cpu_bound/threads/K:1", [10.0, 10.2, 14.0])
        # a high load (over 1 on 2 CPUs) as one cell began
        cell(doc, "sleep_fanout/coroutines/N:1000/d:10ms")["loadavg"] = 1.8
        # the VM slows down part way: the http_server cells of coroutines run in the slow
        # band, and one cell straddles the change
        for name in ("http_server/coroutines/C:10", "http_server/coroutines/C:50",
                     "cpu_bound/coroutines/K:1", "cpu_bound/coroutines/K:8",
                     "cpu_bound/sequential/K:8", "sleep_fanout/threads/N:1000/d:10ms"):
            cell(doc, name)["probe"] = {"before_s": SLOW, "after_s": SLOW * 1.01}
        cell(doc, "http_server/threads/C:50")["probe"] = {"before_s": FAST, "after_s": SLOW}
        cls.status, cls.md, cls.stderr = render(write_run(fresh("warnings"), doc))
        cls.stability = section(cls.md, "Stability")

    def test_the_report_is_written(self):
        self.assertEqual(self.status, 0, self.stderr)
        self.assertTrue(self.stability, "no Stability section")

    def test_a_noisy_cell_is_named_with_its_cv(self):
        spread = self.stability.split("### Load")[0]
        self.assertIn("| cpu_bound/threads/K:1 | wall time | 19.", spread)
        self.assertNotIn("cpu_bound/threads/K:8", spread)  # a quiet cell is not named
        self.assertIn("1 of 18 verified cells have a coefficient of variation over 10 %", spread)

    def test_a_high_load_is_named(self):
        load = self.stability.split("### Load")[1].split("###")[0]
        self.assertIn("| sleep_fanout/coroutines/N:1000/d:10ms | 1.80 |", load)
        self.assertEqual(load.count("| sleep_fanout/"), 1, load)

    def test_other_tasks_that_could_take_every_cpu_are_named(self):
        doc = make_run("20260101-110000")
        for raw in doc["cmbench"]["cells"]:  # the suite's own load: over the limit everywhere
            raw["loadavg"], raw["others_running"] = 2.1, 0
        cell(doc, "cpu_bound/threads/K:8")["others_running"] = 2
        cell(doc, "cpu_bound/threads/K:1")["others_running"] = 1  # one CPU still free
        status, md, stderr = render(write_run(fresh("others"), doc))
        self.assertEqual(status, 0, stderr)
        load = section(md, "Stability").split("### Load")[1].split("###")[0]
        self.assertIn("| cpu_bound/threads/K:8 | 2 | 2.10 |", load)
        self.assertNotIn("cpu_bound/threads/K:1 |", load)
        self.assertIn("1 of 18 cells began so", load)

    def test_the_bands_are_found_and_the_straddling_cell_is_flagged(self):
        bands = self.stability.split("### Speed of the VM")[1]
        self.assertIn("2 bands: fast band: probe ≈ 20.0 ms, slow band: probe ≈ 26.", bands)
        self.assertIn("| http_server/threads/C:50 | 20.0 ms | 26.0 ms | +30 % |", bands)
        self.assertIn("| http_server/threads/C:50 | *straddled* | 20.0 ms | 26.0 ms |", bands)
        # a group whose cells ran in both bands is named, with which cells ran where
        self.assertIn("cpu_bound · all cells — fast: sequential K=1, threads K=1, "
                      "threads K=8; slow: sequential K=8, coroutines K=1, coroutines K=8",
                      bands)
        self.assertIn("http_server · all cells — fast: sequential C=10", bands)

    def test_the_banner_sits_under_the_title(self):
        lines = self.md.splitlines()
        self.assertTrue(lines[0].startswith("# cmbench report"), lines[0])
        self.assertTrue(lines[2].startswith("Stability: 3 of 18 cells are unstable (1 with a "
                                            "spread over 10 %, 1 began under load, 1 "
                                            "straddled a change of the VM's speed)."),
                        lines[2])
        self.assertIn("The VM ran at 2 speeds", lines[2])


class OldRun(unittest.TestCase):
    def test_a_run_without_the_fields_says_what_it_could_not_check(self):
        doc = make_run("20260101-110000", probes=False, loads=False)
        doc["context"]["load_avg"] = [4.19, 7.84, 6.79]
        status, md, stderr = render(write_run(fresh("old"), doc))
        self.assertEqual(status, 0, stderr)
        text = section(md, "Stability")
        self.assertIn("Not checked per cell: this run did not record the load average", text)
        self.assertIn("the 1-minute load average was 4.19, above the limit of 1", text)
        self.assertIn("Not checked: this run did not time the calibration probe", text)
        self.assertIn("Every verified cell's coefficient of variation is at most 10 %", text)
        self.assertIn("The load average was 4.19 on 2 CPUs when the run began.", md.splitlines()[2])

    def test_malformed_fields_count_as_absent(self):
        doc = make_run("20260101-120000")
        cell(doc, "cpu_bound/threads/K:1")["probe"] = {"before_s": "fast", "after_s": -1}
        cell(doc, "cpu_bound/threads/K:8")["probe"] = [0.02, 0.03]
        cell(doc, "cpu_bound/coroutines/K:8")["loadavg"] = "high"
        cell(doc, "cpu_bound/coroutines/K:1")["probe"] = {"before_s": 0.02}
        status, md, stderr = render(write_run(fresh("malformed"), doc))
        self.assertEqual(status, 0, stderr)
        self.assertNotIn("Traceback", stderr)
        self.assertIn("3 verified cells have no probe.", section(md, "Stability"))

    def test_one_band_of_noise_is_not_cut_in_two(self):
        """A wide single band, and a few slow outliers, make no second band; were the check
        to cut them, every run would warn."""
        spread = [FAST * (0.88 + 0.24 * i / 199) for i in range(200)]  # uniform, ±12 %
        self.assertEqual(len(stability.find_bands(spread)), 1)
        self.assertEqual(len(stability.find_bands(spread + [FAST * 2] * 3)), 1)
        three = [FAST] * 50 + [SLOW] * 50 + [0.040] * 50
        self.assertEqual([round(b, 3) for b in stability.find_bands(three)],
                         [0.020, 0.026, 0.040])


def history_lines(parent):
    path = Path(parent) / "history.jsonl"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def append_many(path, first, count, size):
    """A writer process: `count` runs of about `size` bytes each, stamps from `first`."""
    for i in range(count):
        entry = {"stamp": f"{first + i:08d}-000000", "profile": "quick",
                 "cells": [{"name": "x" * size}]}
        history.record_run(path, entry)


def rewrite_many(path, stamps, size):
    """A writer that re-records runs already in the file: each takes the replace path."""
    for stamp in stamps:
        history.record_run(path, {"stamp": stamp, "profile": "quick", "again": True,
                                  "cells": [{"name": "y" * size}]})


class History(unittest.TestCase):
    def test_renders_append_replace_and_leave_alone(self):
        parent = fresh("history")
        first = write_run(parent, make_run("20260102-090000", commit="aaaaaaa"))
        second = write_run(parent, make_run("20260103-090000", commit="bbbbbbb", seed=2.0))
        status, md, stderr = render(first)
        self.assertEqual(status, 0, stderr)
        self.assertEqual(len(history_lines(parent)), 1)
        self.assertEqual(section(md, "History"), "")  # one run: nothing to draw yet
        status, md, stderr = render(second)
        self.assertEqual(status, 0, stderr)
        lines = history_lines(parent)
        self.assertEqual([json.loads(x)["stamp"] for x in lines],
                         ["20260102-090000", "20260103-090000"])
        run = json.loads(lines[1])
        self.assertEqual((run["commit"], run["profile"], run["environment"]["cpus"]),
                         ("bbbbbbb", "quick", 2))
        rows = {(c["name"], c["cpu_budget"], c["figure"]): c for c in run["cells"]}
        self.assertEqual(rows[("cpu_bound/threads/K:8", "all", "wall_time")]["median"], 0.042)
        self.assertEqual(rows[("http_server/threads/C:10", "all", "req_per_s")]["unit"], "req/s")
        self.assertNotIn(("http_server/threads/C:10", "all", "wall_time"), rows)
        # the second report draws the history: two runs of one profile
        text = section(md, "History")
        self.assertIn("2 runs of the quick profile", text)
        for workload in ("sleep_fanout", "cpu_bound", "http_server"):
            png = second / "charts" / f"history-{workload}.png"
            self.assertTrue(png.read_bytes().startswith(b"\x89PNG"), png)
            self.assertIn(f"(charts/history-{workload}.png)", text)
        # rendered again, with a changed result: its line is replaced, not added
        doc = make_run("20260103-090000", commit="bbbbbbb", seed=2.0)
        times(doc, "cpu_bound/threads/K:8", [50.0, 50.0, 50.0])
        write_run(parent, doc)
        self.assertEqual(render(second)[0], 0)
        lines = history_lines(parent)
        self.assertEqual(len(lines), 2)
        rows = {(c["name"], c["figure"]): c for c in json.loads(lines[1])["cells"]}
        self.assertEqual(rows[("cpu_bound/threads/K:8", "wall_time")]["median"], 0.05)
        # --no-history: the file is not touched, even for a new run
        before = (parent / "history.jsonl").read_bytes()
        third = write_run(parent, make_run("20260104-090000"))
        status, md, stderr = render(third, "--no-history")
        self.assertEqual(status, 0, stderr)
        self.assertEqual((parent / "history.jsonl").read_bytes(), before)
        self.assertIn("not recorded (--no-history)", section(md, "History"))
        # scripts/history.py draws the same into the reports directory
        done = subprocess.run([sys.executable, str(HISTORY), str(parent)], capture_output=True,
                              text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr)
        page = (parent / "history.md").read_text(encoding="utf-8")
        self.assertIn("| 20260103-090000 | bbbbbbb | AMD EPYC, 2 CPUs, Linux 6.1.0 x86_64 | 18 |",
                      page)
        self.assertTrue((parent / "history" / "quick-cpu_bound.png").is_file())
        self.assertIn('<img src="data:image/png;base64,',
                      (parent / "history.html").read_text(encoding="utf-8"))

    def test_history_py_without_a_history_exits_1(self):
        done = subprocess.run([sys.executable, str(HISTORY), str(fresh("empty"))],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 1)
        self.assertIn("history.jsonl not found", done.stderr)

    def test_two_writers_never_interleave(self):
        """Two processes append 20 runs each, lines of 200 kB (many pages, more than one
        write of a pipe); a third keeps re-recording runs already there, which renames a
        new file over the old one. Every line must parse, and every run be there once."""
        path = fresh("concurrent") / "history.jsonl"
        seed = ["00000000-000000", "00000001-000000"]
        for stamp in seed:
            history.record_run(path, {"stamp": stamp, "profile": "quick", "cells": []})
        writers = [multiprocessing.Process(target=append_many, args=(path, 100, 20, 200_000)),
                   multiprocessing.Process(target=append_many, args=(path, 200, 20, 200_000)),
                   multiprocessing.Process(target=rewrite_many, args=(path, seed * 10, 1000))]
        for w in writers:
            w.start()
        for w in writers:
            w.join(120)
            self.assertEqual(w.exitcode, 0)
        stamps = [json.loads(line)["stamp"] for line in history_lines(path.parent)]
        self.assertEqual(len(stamps), 42)
        self.assertEqual(len(set(stamps)), 42)
        self.assertEqual(stamps[:2], seed)  # a replaced run keeps its place

    def test_a_broken_line_is_skipped_and_kept(self):
        parent = fresh("broken")
        (parent / "history.jsonl").write_text('{"stamp": "x", "cells": [], "profile": "q"}\n'
                                              '{"stamp": "cut sh', encoding="utf-8")
        history.record_run(parent / "history.jsonl", {"stamp": "y", "cells": [],
                                                      "profile": "q"})
        lines = history_lines(parent)
        self.assertEqual(len(lines), 3)
        self.assertEqual(lines[1], '{"stamp": "cut sh')  # kept as it was, on a line of its own
        self.assertEqual([r["stamp"] for r in history.read_history(parent / "history.jsonl")],
                         ["x", "y"])

    def test_the_chart_needs_two_runs(self):
        one = [history.run_entry(*entry_args(make_run("20260105-000000")))]
        self.assertIsNone(history.chart_history(one, "cpu_bound", history.WALL, "computing"))
        two = one + [history.run_entry(*entry_args(make_run("20260106-000000", seed=1.0)))]
        png = history.chart_history(two, "cpu_bound", history.WALL, "computing")
        self.assertTrue(png.startswith(b"\x89PNG"))
        picks = history.headline_cells(two, "cpu_bound", history.WALL)
        self.assertEqual(picks, [(m, f"cpu_bound/{m}/K:8") for m in MODELS])  # largest K


def entry_args(doc):
    """run_entry's arguments for a document, as main() builds them."""
    from cmbench_report.results import build_cells, workload_metrics
    doc = copy.deepcopy(doc)
    metrics = {w["name"]: workload_metrics(w) for w in doc["cmbench"]["workloads"]}
    untimed = {w["name"] for w in doc["cmbench"]["workloads"] if w.get("timed") is False}
    return doc, build_cells(doc, metrics), metrics, untimed, Path(WORK.name)


if __name__ == "__main__":
    unittest.main()
