#!/usr/bin/python3
"""The report's charts against their ideal (scripts/cmbench_report/charts_v2.py): speed-up
and parallel efficiency, the scaling chart's ideal line, memory per task, CPU utilisation and
the latency percentiles, each written, referenced from report.md and captioned.

Run: /usr/bin/python3 tests/report_charts_test.py   (CTest runs it as report_charts)

The runs are synthetic (written by synthetic_run() below into a temporary directory), with
figures planted so that the expected answer is known: a 2× speed-up on 2 CPUs is an
efficiency of 1.00. The last test renders a copy of reports/latest (when a run has made
one) and of reports/reference, and checks that every chart report.md names exists.
"""

import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "report.py"
sys.path.insert(0, str(ROOT / "scripts"))
from cmbench_report import charts_v2  # noqa: E402
from cmbench_report.results import Metric  # noqa: E402

WORK = tempfile.TemporaryDirectory(prefix="report_charts_test.")
DIR = Path(WORK.name)
IMAGE = re.compile(r"!\[[^\]]*\]\((charts/[^)]+\.png)\)")


def metric(name, title, unit, lower=True, chart=False, ratio_to="", over_scale=False):
    return {"name": name, "title": title, "unit": unit, "lower_is_better": lower,
            "chart": chart, "ratio_to": ratio_to, "over_scale": over_scale}


WORKLOADS = [
    {"name": "sleep_fanout", "title": "N tasks each wait d", "scale_param": "N", "timed": True,
     "metrics": [], "params": [{"name": "N", "kind": "integer"},
                               {"name": "d", "kind": "duration"}, {"name": "w", "kind": "list"}]},
    {"name": "cpu_bound", "title": "K chunks", "scale_param": "K", "timed": True, "metrics": [],
     "params": [{"name": "K", "kind": "integer"}, {"name": "width", "kind": "integer"}]},
    {"name": "http_server", "title": "server under load", "scale_param": "C", "timed": False,
     "params": [{"name": "C", "kind": "integer"}],
     "metrics": [metric("req_per_s", "requests per second", "req/s", False, True, "epoll"),
                 metric("p50_us", "latency p50", "µs"), metric("p90_us", "latency p90", "µs"),
                 metric("p99_us", "latency p99", "µs"),
                 metric("p999_us", "latency p99.9", "µs")]},
    {"name": "memory_per_task", "title": "memory per waiting task", "scale_param": "N",
     "timed": True, "params": [{"name": "N", "kind": "integer"}],
     "metrics": [metric("bytes_per_task", "memory per waiting task", "B", chart=True,
                        over_scale=True)]},
]


def cell(workload, model, params, times_ms, counters=None, metrics=None, **extra):
    """A cell row and its per-repetition Google Benchmark entries. `counters` and
    `metrics` map a name to one value or to one value per repetition."""
    name = "/".join([workload, model] + [f"{k}:{v}" for k, v in params.items()])
    row = {"name": name, "workload": workload, "model": model, "label": model,
           "params": params, "status": "ok", **extra}
    entries = []
    for i, t in enumerate(times_ms):
        entry = {"name": f"{name}/real_time", "run_name": f"{name}/real_time",
                 "run_type": "iteration", "repetition_index": i, "real_time": t,
                 "time_unit": "ms"}
        if "cpu_budget" in extra:  # a --cpus run marks its entries too
            entry["cpu_budget"] = extra["cpu_budget"]
        for k, v in {**(counters or {}), **(metrics or {})}.items():
            entry[k] = v[i] if isinstance(v, list) else v
        entries.append(entry)
    return row, entries


def synthetic_run():
    """A run with every chart's ingredients; its figures are planted, not measured."""
    parts = []
    for n in (10, 1000):  # d=10ms: the ideal is 10 ms whatever N
        parts.append(cell("sleep_fanout", "threads", {"N": n, "d": "10ms", "w": "1"},
                          [11, 12, 13], {"cpu_util": [0.05, 0.06, 0.07], "tasks": n,
                                         "peak_in_flight": n,
                                         "peak_rss_kib": [5000 + 40 * n] * 3}))
        parts.append(cell("sleep_fanout", "coroutines", {"N": n, "d": "10ms", "w": "1"},
                          [10.2, 10.4, 10.5], {"cpu_util": 0.01, "tasks": n,
                                               "peak_in_flight": n,
                                               "peak_rss_kib": [5000 + n, 5000 + n, 5100 + n]}))
    parts.append(cell("sleep_fanout", "sequential", {"N": 10, "d": "10ms", "w": "1"},
                      [100, 101, 102], {"cpu_util": 0.001, "tasks": 10, "peak_in_flight": 1,
                                        "peak_rss_kib": 5000}))
    every = {"cpu_budget": "all", "cpus": 2}  # recorded, as a --cpus run records them
    for k in (1, 2):  # the planted speed-up: 20 ms sequential, 10 ms with threads at K=2
        parts.append(cell("cpu_bound", "sequential", {"K": k, "width": 3000}, [10 * k] * 3,
                          {"cpu_util": 1.0, "tasks": k}, **every))
        parts.append(cell("cpu_bound", "threads", {"K": k, "width": 3000},
                          [10.0] * 3 if k == 2 else [10.5, 10.6, 10.7],
                          {"cpu_util": 2.0 if k == 2 else 1.0, "tasks": k}, **every))
        parts.append(cell("cpu_bound", "coroutines", {"K": k, "width": 3000},
                          [10.1 * k, 10.2 * k, 10.4 * k], {"cpu_util": 1.0, "tasks": k},
                          **every))
    # The same cells confined to one CPU: the workloads' sections must not mix them in.
    one = {"cpu_budget": "one", "cpus": 1}
    parts.append(cell("cpu_bound", "sequential", {"K": 2, "width": 3000}, [20] * 3,
                      {"cpu_util": 1.0, "tasks": 2}, **one))
    parts.append(cell("cpu_bound", "threads", {"K": 2, "width": 3000}, [21] * 3,
                      {"cpu_util": 1.0, "tasks": 2}, **one))
    for model, base in (("threads", 200.0), ("coroutines", 90.0), ("epoll", 60.0)):
        parts.append(cell("http_server", model, {"C": 10}, [200] * 3, {"cpu_util": 1.5}, {
            "req_per_s": [1e5, 1.1e5, 1.2e5], "p50_us": [base, base * 1.1, base * 1.2],
            "p90_us": base * 3, "p99_us": [base * 10, base * 12, base * 15],
            "p999_us": base * 40}))
    for n in (100, 1000):
        for model, size in (("threads", 40000.0), ("coroutines", 500.0)):
            parts.append(cell("memory_per_task", model, {"N": n}, [5, 5.5, 6],
                              {"cpu_util": 1.0, "tasks": n},
                              {"bytes_per_task": [size, size * 1.02, size * 1.05]}))
    models = [{"name": m} for m in ("sequential", "threads", "coroutines")]
    models.append({"name": "epoll", "reference": True})
    return {"context": {"date": "2026-12-06T10:00:00+00:00", "num_cpus": 2,
                        "cmbench_cores": "2"},
            "benchmarks": [e for _, entries in parts for e in entries],
            "cmbench": {"profile": "quick", "repetitions": 3, "models": models,
                        "workloads": copy.deepcopy(WORKLOADS),
                        "cells": [row for row, _ in parts]}}


def write_run(name, doc):
    run = DIR / name
    run.mkdir()
    (run / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    return run


RENDERS = {}  # run directory -> its report.py process, all started at once (setUpModule)


def start(run):
    command = [sys.executable, str(SCRIPT), str(run), "--quiet", "--no-history"]
    RENDERS[run] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True)
    return run


def report(run):
    """report.py as a user runs it: (exit status, stderr, report.md or "")."""
    process = RENDERS[run if run in RENDERS else start(run)]
    _, stderr = process.communicate(timeout=600)
    md = run / "report.md"
    return process.returncode, stderr, md.read_text(encoding="utf-8") if md.exists() else ""


def missing_charts(run, md):
    """The charts report.md names that are not on disk."""
    return [p for p in IMAGE.findall(md) if not (run / p).is_file()]


def without(doc, workload):
    doc["cmbench"]["workloads"] = [w for w in doc["cmbench"]["workloads"]
                                   if w["name"] != workload]
    doc["cmbench"]["cells"] = [c for c in doc["cmbench"]["cells"] if c["workload"] != workload]
    doc["benchmarks"] = [e for e in doc["benchmarks"]
                         if not e["run_name"].startswith(workload + "/")]
    return doc


def partial_run():
    """No memory_per_task cells, and a server whose cells recorded no percentiles."""
    doc = without(synthetic_run(), "memory_per_task")
    for entry in doc["benchmarks"]:
        for name in ("p50_us", "p90_us", "p99_us", "p999_us"):
            entry.pop(name, None)
    return doc


def old_run():
    """Results from before the counters and --cpus: no counter, no CPU count anywhere."""
    doc = synthetic_run()
    doc["context"] = {}
    doc["cmbench"]["cells"] = [c for c in doc["cmbench"]["cells"]
                               if c.pop("cpu_budget", "all") == "all"]
    doc["benchmarks"] = [e for e in doc["benchmarks"] if e.get("cpu_budget", "all") == "all"]
    for entry in doc["benchmarks"] + doc["cmbench"]["cells"]:
        for name in ("cpu_util", "peak_rss_kib", "tasks", "peak_in_flight", "cpu_budget",
                     "cpus"):
            entry.pop(name, None)
    return doc


def real_copy(name):
    """A copy of reports/<name>'s results.json, never the run itself, or None. Its
    timelines are left out: timeline.py draws them (tests/timeline_chart_test.py), and they
    take most of a report's time."""
    source = ROOT / "reports" / name / "results.json"
    if not source.is_file():
        return None
    doc = json.loads(source.read_text(encoding="utf-8"))
    if isinstance(doc.get("cmbench"), dict):
        doc["cmbench"]["timelines"] = []
    return write_run(f"real-{name}", doc)


def setUpModule():
    """Every run is written and its report started here, all at once: the reports render
    side by side on the machine's cores, and each test waits for the one it reads."""
    start(write_run("full", synthetic_run()))
    start(write_run("partial", partial_run()))
    start(write_run("old", old_run()))
    start(write_run("broken", without(synthetic_run(), "http_server")))
    for name in ("latest", "reference"):
        if (run := real_copy(name)) is not None:
            start(run)


class FullRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_dir = DIR / "full"
        cls.status, cls.stderr, cls.md = report(cls.run_dir)

    def test_report_is_written(self):
        self.assertEqual(self.status, 0, self.stderr)
        self.assertNotIn("Traceback", self.stderr)

    def test_each_new_chart_is_written_and_referenced(self):
        for path in ("charts/cpu_bound-width3000-speedup.png",
                     "charts/cpu_bound-width3000-scaling.png",
                     "charts/cpu_bound-width3000-cpu_util.png",
                     "charts/sleep_fanout-d10ms_w1-scaling.png",
                     "charts/sleep_fanout-d10ms_w1-memory.png",
                     "charts/sleep_fanout-d10ms_w1-cpu_util.png",
                     "charts/memory_per_task-all-bytes_per_task_by_scale.png",
                     "charts/http_server-all-latency.png"):
            with self.subTest(path=path):
                self.assertTrue((self.run_dir / path).is_file())
                self.assertGreater((self.run_dir / path).stat().st_size, 10_000)
                self.assertIn(f"]({path})", self.md)
        self.assertEqual(missing_charts(self.run_dir, self.md), [])

    def test_planted_speedup_is_efficiency_one(self):
        """20 ms sequential, 10 ms with threads, 2 CPUs: 2.00× and an efficiency of 1.00,
        in the table and in the caption (the best efficiency of the group)."""
        self.assertIn("| threads | 0.94× · 0.47 | 2.00× · 1.00 |", self.md)
        self.assertIn("Best: threads at K=2, 2.00×, efficiency 1.00.", self.md)

    def test_every_new_chart_has_a_caption_naming_its_ideal(self):
        """The paragraph right under each chart says what its dashed line is, or that it
        has none and why."""
        sections = {"cpu_bound-width3000-scaling": "Dashed: the ideal, the sequential time",
                    "sleep_fanout-d10ms_w1-scaling": "Dashed: the ideal, d·max(w)",
                    "cpu_bound-width3000-speedup": "the ideal, a speed-up of min(K, 2 CPUs)",
                    "cpu_bound-width3000-cpu_util": "Dashed: the ideal of computing work, all 2",
                    "sleep_fanout-d10ms_w1-memory": "Dashed: the leanest process of the group",
                    "memory_per_task-all-bytes_per_task_by_scale": "No ideal line: a flat line",
                    "http_server-all-latency": "Log axis: p50 is the median; p90 the slowest"}
        for stem, text in sections.items():
            with self.subTest(chart=stem):
                after = self.md.split(f"(charts/{stem}.png)", 1)
                self.assertEqual(len(after), 2)
                under = after[1].lstrip().split("\n\n", 1)[0]
                self.assertIn(text, under)

    def test_memory_caption_names_the_base(self):
        # the leanest process: sequential's and coroutines' 5000 KiB = 4.9 MiB
        self.assertIn("the leanest process of the group (4.9 MiB peak RSS)", self.md)
        self.assertIn("in this run, memory_per_task measures the growth", self.md)


class AcrossLinks(unittest.TestCase):
    """The section of cells across links (cmbench_report/links.py): each beside its loopback
    twin, with the ratio; a host that was not there said as such."""

    def blocks(self, parts):
        from cmbench_report.links import links_blocks
        from cmbench_report.results import build_cells, workload_metrics
        doc = synthetic_run()
        doc["benchmarks"] += [e for _, entries in parts for e in entries]
        doc["cmbench"]["cells"] += [row for row, _ in parts]
        meta = {w["name"]: w for w in doc["cmbench"]["workloads"]}
        metrics = {name: workload_metrics(w) for name, w in meta.items()}
        every = build_cells(doc, metrics)
        untimed = {name for name, w in meta.items() if not w.get("timed", True)}
        return links_blocks(every, meta, metrics, untimed)

    def test_a_run_without_links_has_no_section(self):
        self.assertEqual(self.blocks([]), [])

    def test_each_cell_is_set_beside_loopback_with_its_ratio(self):
        def server(client, cpu_us, status="ok"):
            params = {"C": 50, "server": "loopback" if client == "loopback" else "cmbench-a",
                      "client": client}
            row, entries = cell("http_server", "epoll", params, [200] * 3, {"cpu_util": 1.0},
                                {"server_cpu_us_per_req": cpu_us, "req_per_s": 2e4})
            if status != "ok":
                row.update(status=status, reason="not available here: no network namespace")
                entries = []
            return row, entries
        def fetch(client, ms):  # a timed workload: its wall time is the figure
            params = {"N": 1000, "d": "1ms", "server": "loopback" if client == "loopback"
                      else "cmbench-a", "client": client}
            return cell("sleep_fanout", "threads", params, [ms] * 3, {"cpu_util": 0.5})
        workloads = synthetic_run()["cmbench"]["workloads"]
        self.assertTrue(any(w["name"] == "http_server" for w in workloads))
        WORKLOADS[2]["metrics"].append(metric("server_cpu_us_per_req", "server CPU per request",
                                              "µs"))
        try:
            blocks = self.blocks([server("loopback", 20.0), server("cmbench-b", 22.0),
                                  server("cmbench-d", 0, "unavailable"), fetch("loopback", 40),
                                  fetch("cmbench-c", 50)])
        finally:
            WORKLOADS[2]["metrics"].pop()
        self.assertEqual(blocks[0], ("h", 2, "Across links"))
        rows = [b[2] for b in blocks if b[0] == "table"]
        served = next(r for r in rows if r[0][1] == "epoll")
        self.assertEqual(served[0][2], "20.0 µs")
        self.assertEqual(served[0][3], "22.0 µs (1.10×)")
        self.assertIn("not available here", str(served[0][4]))
        fetched = next(r for r in rows if r[0][1] == "threads")
        self.assertEqual(fetched[0][2:], ["40.0 ms", "50.0 ms (1.25×)"])


class Figures(unittest.TestCase):
    """The figures behind the charts, computed from the report's own cells."""

    def cells(self, doc):
        from cmbench_report.groups import build_groups
        from cmbench_report.results import build_cells, workload_metrics
        metrics = {w["name"]: workload_metrics(w) for w in doc["cmbench"]["workloads"]}
        cells = [c for c in build_cells(doc, metrics) if c.cpu_budget == "all"]  # as main.py
        meta = {w["name"]: w for w in doc["cmbench"]["workloads"]}
        return cells, {name: build_groups(meta[name], [c for c in cells if c.workload == name])
                       for name in meta}

    def test_efficiency_uses_the_cells_own_cpus_where_recorded(self):
        doc = synthetic_run()
        cells, groups = self.cells(doc)
        facts = charts_v2.run_facts(doc, cells)
        [group] = groups["cpu_bound"]
        found = charts_v2.speedups(group, ["threads"], facts)
        ratio, low, high, cpus, fill = found[("threads", "2")]
        self.assertAlmostEqual(ratio, 2.0)
        self.assertEqual((cpus, fill), (2, 2))
        self.assertAlmostEqual(ratio / cpus, 1.0)
        self.assertEqual(found[("threads", "1")][4], 1)  # one chunk fills one CPU
        # the same cell recorded as confined to 4 CPUs: the efficiency halves
        for row in doc["cmbench"]["cells"]:
            if row["name"] == "cpu_bound/threads/K:2/width:3000" and row["cpus"] == 2:
                row["cpus"] = 4
        cells, groups = self.cells(doc)
        [group] = groups["cpu_bound"]
        ratio, _, _, cpus, _ = charts_v2.speedups(group, ["threads"], facts)[("threads", "2")]
        self.assertEqual(cpus, 4)
        self.assertAlmostEqual(ratio / cpus, 0.5)

    def test_spread_comes_from_both_cells(self):
        doc = synthetic_run()
        cells, groups = self.cells(doc)
        [group] = groups["cpu_bound"]
        found = charts_v2.speedups(group, ["coroutines"], charts_v2.run_facts(doc, cells))
        ratio, low, high, _, _ = found[("coroutines", "2")]
        self.assertAlmostEqual(low, 20 / 20.8)  # sequential's 20 ms over coroutines' slowest
        self.assertAlmostEqual(high, 20 / 20.2)
        self.assertLess(low, ratio)
        self.assertLess(ratio, high)

    def test_ideal_lines(self):
        doc = synthetic_run()
        cells, groups = self.cells(doc)
        facts = charts_v2.run_facts(doc, cells)
        [sleep] = groups["sleep_fanout"]
        ideal, _ = charts_v2.scaling_ideal(sleep, facts)
        self.assertEqual(ideal, {"10": 0.01, "1000": 0.01})  # flat at d
        [compute] = groups["cpu_bound"]
        ideal, _ = charts_v2.scaling_ideal(compute, facts)
        self.assertAlmostEqual(ideal["1"], 0.010)  # one chunk: sequential's own time
        self.assertAlmostEqual(ideal["2"], 0.010)  # 20 ms on 2 CPUs
        self.assertEqual(charts_v2.sleep_fanout_ideal({"d": "1ms", "w": "2-3-1"}, 6), 0.003)
        self.assertAlmostEqual(charts_v2.http_fetch_ideal({"d": "10ms", "M": "10"}, 100), 0.1)
        self.assertIsNone(charts_v2.sleep_fanout_ideal({"d": "1ms", "w": "2-x"}, 6))

    def test_latency_sets(self):
        def m(name):
            return Metric(name, name, "µs", True, False, "")
        sets = charts_v2.latency_sets([m("p99_us"), m("p50_us"), m("fetch_p50_us"),
                                       m("fetch_p99_us"), m("p90_us"), m("stop_us"),
                                       m("p999_us"), m("lonely_p50_us")])
        self.assertEqual([(prefix, [short for _, short in found]) for prefix, found in sets],
                         [("", ["p50", "p90", "p99", "p99.9"]), ("fetch_", ["p50", "p99"])])


class PartialRuns(unittest.TestCase):
    def test_without_memory_per_task_or_latencies(self):
        """No memory_per_task cells, and a server that recorded no percentiles: those
        charts are skipped with a note saying why, and the report is written."""
        run = DIR / "partial"
        status, stderr, md = report(run)
        self.assertEqual(status, 0, stderr)
        self.assertNotIn("Traceback", stderr)
        self.assertFalse((run / "charts/http_server-all-latency.png").exists())
        self.assertIn("No latency percentiles in these cells", md)
        self.assertIn("this run has no memory_per_task cells", md)
        self.assertFalse(any(p.name.startswith("memory_per_task")
                             for p in (run / "charts").iterdir()))
        self.assertEqual(missing_charts(run, md), [])

    def test_old_results_without_counters_or_cpus(self):
        """No counters at all, no CPU count in the context: no CPU or memory chart, a
        speed-up without efficiency, and notes instead of the rest."""
        run = DIR / "old"
        status, stderr, md = report(run)
        self.assertEqual(status, 0, stderr)
        self.assertIn("No CPU utilisation recorded in these cells", md)
        self.assertIn("The CPU count is not recorded, so no efficiency.", md)
        self.assertIn("| threads | 0.94× | 2.00× |", md)
        self.assertIn("no peak RSS recorded at two N", md)
        self.assertEqual(missing_charts(run, md), [])

    def test_a_missing_chart_is_caught(self):
        """The check used on the real runs below does find a chart that is not there."""
        run = DIR / "broken"
        status, stderr, md = report(run)
        self.assertEqual(status, 0, stderr)
        (run / "charts/cpu_bound-width3000-speedup.png").unlink()
        self.assertEqual(missing_charts(run, md), ["charts/cpu_bound-width3000-speedup.png"])

    def test_no_run_directory(self):
        status, stderr, _ = report(DIR / "nowhere")
        self.assertEqual(status, 1)
        self.assertIn("not found", stderr)
        self.assertNotIn("Traceback", stderr)


class RealRuns(unittest.TestCase):
    """A copy of a real run directory (real_copy): every chart report.md names exists."""

    def render_copy(self, name):
        run = DIR / f"real-{name}"
        if run not in RENDERS:
            self.skipTest(f"no reports/{name}/results.json: ./scripts/run makes one")
        status, stderr, md = report(run)
        self.assertEqual(status, 0, stderr)
        self.assertNotIn("Traceback", stderr)
        self.assertEqual(missing_charts(run, md), [])
        return run, md

    def test_latest(self):
        run, md = self.render_copy("latest")
        if "cpu_bound" in md:
            self.assertIn("speed-up and parallel efficiency", md)

    def test_reference(self):
        run, md = self.render_copy("reference")
        self.assertTrue(list((run / "charts").glob("*-cpu_util.png")))


def tearDownModule():
    shutil.rmtree(DIR, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
