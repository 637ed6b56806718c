#!/usr/bin/python3
"""The model card and the report's first screen (scripts/cmbench_report/model_card.py,
headline.py): the card's figures on a synthetic run, its dashes, old results, the order of
the report, and a real run.

Run: /usr/bin/python3 tests/report_card_test.py   (CTest runs it as report_card)

The synthetic run plants one figure per column (a speed-up of 2.00× for threads in the
cpu_bound cell with the most work, 12.5 µs of server CPU per request for coroutines at the
first scale of the paced hello group, ...) beside decoys the card must not take (the same
figures at another scale, another group, another variant), and has no memory_per_task
cell, so that column must read "—". The real run is reports/reference (kept in git) and
reports/latest when the checkout has one, copied to a temporary directory.
"""

import copy
import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "scripts" / "report.py"
sys.path.insert(0, str(ROOT / "scripts"))
from cmbench_report.formatting import Note  # noqa: E402
from cmbench_report.headline import headline_blocks  # noqa: E402
from cmbench_report.model_card import DASH, Entry, code_lines, model_card  # noqa: E402
from cmbench_report.results import build_cells, load_results, workload_metrics  # noqa: E402
from cmbench_report.style import model_styles  # noqa: E402

WORK = tempfile.TemporaryDirectory(prefix="report_card_test.")
DIR = Path(WORK.name)
MODELS = ["sequential", "threads", "processes", "callbacks", "futures", "fibers", "coroutines"]


# --- a synthetic run -----------------------------------------------------------------------

def model(name, reference=False):
    return {"name": name, "style": name, "idiom": "", "concurrent": name != "sequential",
            "parallel": name in ("threads", "processes"), "max_tasks": 10000,
            "limit_reason": "", "reference": reference}


def workload(name, scale, params, metrics=(), timed=True):
    return {"name": name, "title": name, "summary": "", "scale_param": scale,
            "params": [{"name": p, "kind": "integer", "default": "1", "help": ""}
                       for p in params],
            "metrics": [{"name": m, "title": m.replace("_", " "), "unit": unit,
                         "lower_is_better": True, "chart": True, "ratio_to": ratio,
                         "over_scale": False} for m, unit, ratio in metrics],
            "timed": timed}


class Run:
    """results.json built cell by cell: three repetitions each, spread ±5 %."""

    def __init__(self):
        self.cells, self.benchmarks = [], []

    def cell(self, workload, label, params, ms=10.0, status="ok", metrics=None, twin="",
             budget="all"):
        name = "/".join([workload, label] + [f"{k}:{v}" for k, v in params.items()])
        row = {"name": name, "workload": workload, "model": label.split("-")[0],
               "label": label, "params": dict(params), "status": status,
               "reason": "" if status == "ok" else f"{status} on purpose", "log": "",
               "cpus": 2 if budget == "all" else 1, "cpu_budget": budget, "loadavg": 0.5,
               "probe": {"before_s": 0.03, "after_s": 0.031}}
        if twin:
            row["twin"] = twin
        self.cells.append(row)
        if status != "ok":
            return
        for i, factor in enumerate((0.95, 1.0, 1.05)):
            entry = {"name": f"{name}/real_time", "run_name": f"{name}/real_time",
                     "run_type": "iteration", "repetitions": 3, "repetition_index": i,
                     "iterations": 1, "real_time": ms * factor, "time_unit": "ms",
                     "cpu_util": 0.9, "cpu_budget": budget}
            for metric, value in (metrics or {}).items():
                entry[metric] = value * factor
            self.benchmarks.append(entry)

    def doc(self, workloads, models):
        return {"context": {"date": "2026-12-06T11:16:44+00:00", "num_cpus": 2,
                            "cmbench_cores": "2", "cmbench_cpu_model": "Test CPU",
                            "cmbench_kernel": "Linux 6.1.0 x86_64",
                            "cmbench_commit": "abc1234"},
                "benchmarks": self.benchmarks,
                "cmbench": {"profile": "quick", "repetitions": 3, "min_time_s": 0.05,
                            "duration_s": 12.0, "models": models, "workloads": workloads,
                            "cells": self.cells, "micro": {"status": "ok"}}}


SPEEDUP_MS = {"sequential": 40.0, "threads": 20.0, "processes": 25.0, "callbacks": 22.0,
              "futures": 21.0, "fibers": 32.0, "coroutines": 40.0}
SERVER_US = {"sequential": 18.0, "threads": 19.0, "processes": 29.5, "callbacks": 18.5,
             "futures": 18.6, "fibers": 14.7, "coroutines": 12.5}
HANDOFF_NS = {"sequential": 0.4, "threads": 4200.0, "processes": 8700.0, "callbacks": 29.0,
              "futures": 30.0, "fibers": 88.0, "coroutines": 23.5}
SPAWN_NS = {"sequential": 3.0, "threads": 311000.0, "processes": 1790000.0, "callbacks": 148.0,
            "futures": 30.0, "fibers": 417.0, "coroutines": 77.0}


def synthetic_run(decoys=True):
    """Every column's workload but memory_per_task, with decoys around each planted figure
    (or without them, fewer charts for a report drawn whole)."""
    run = Run()
    for m in MODELS:
        for n in ("100", "100000"):
            limited = m in ("sequential", "threads", "processes") and n == "100000"
            run.cell("sleep_fanout", m, {"N": n, "d": "10ms", "w": "1"},
                     ms=1000.0 if m == "sequential" else 10.5,
                     status="beyond_limit" if limited else "ok")
        # the cell with the most work (width=3000, K=8) and a lighter decoy (width=100)
        run.cell("cpu_bound", m, {"K": "1", "width": "3000"}, ms=5.0)
        run.cell("cpu_bound", m, {"K": "8", "width": "3000"}, ms=SPEEDUP_MS[m])
        if decoys:
            run.cell("cpu_bound", m, {"K": "8", "width": "100"}, ms=4.0)
        # the paced hello group's first scale (C=50) holds the figure; the rest are decoys
        servers = [("hello", "50", "20000", SERVER_US[m])]
        if decoys:
            servers += [("hello", "200", "20000", 99.0), ("hello", "50", "0", 77.0),
                        ("slow", "50", "0", 55.0)]
        for variant, c, rate, us in servers:
            run.cell("http_server", m, {"variant": variant, "C": c, "rate": rate},
                     ms=200.0, metrics={"server_cpu_us_per_req": us, "req_per_s": 20000.0})
        run.cell("ping_pong", m, {"R": "1000", "place": "same"}, ms=1.0,
                 metrics={"ns_per_handoff": HANDOFF_NS[m]})
        run.cell("spawn_many", m, {"shape": "flat", "N": "100"}, ms=1.0,
                 metrics={"ns_per_task": SPAWN_NS[m]})
        if decoys:
            run.cell("ping_pong", m, {"R": "1000", "place": "split"}, ms=30.0,
                     metrics={"ns_per_handoff": 15000.0})
            run.cell("spawn_many", m, {"shape": "skynet", "N": "10000"}, ms=1.0,
                     metrics={"ns_per_task": 5.0})
    for label in ("epoll",):
        run.cell("http_server", label, {"variant": "hello", "C": "50", "rate": "20000"},
                 ms=200.0, metrics={"server_cpu_us_per_req": 11.8, "req_per_s": 20000.0})
    # Python rows: asyncio (coroutines' namesake) 3× slower at N=100; uvloop, a decoy at a
    # larger N; gevent failed.
    run.cell("sleep_fanout", "py-asyncio", {"N": "100", "d": "10ms", "w": "1"}, ms=31.5,
             twin="coroutines")
    run.cell("sleep_fanout", "py-uvloop", {"N": "100000", "d": "10ms", "w": "1"}, ms=105.0,
             twin="coroutines")
    run.cell("sleep_fanout", "py-gevent", {"N": "100", "d": "10ms", "w": "1"}, status="failed",
             twin="fibers")
    workloads = [workload("sleep_fanout", "N", ["N", "d", "w"]),
                 workload("cpu_bound", "K", ["K", "width"]),
                 workload("http_server", "C", ["variant", "C", "rate"],
                          [("req_per_s", "req/s", "epoll"),
                           ("server_cpu_us_per_req", "µs", "epoll")], timed=False),
                 workload("ping_pong", "R", ["R", "place"], [("ns_per_handoff", "ns", "")]),
                 workload("spawn_many", "N", ["shape", "N"], [("ns_per_task", "ns", "")])]
    models = [model(m) for m in MODELS] + [model("epoll", True), model("py", True)]
    return run.doc(workloads, models)


def write_run(name, doc):
    path = DIR / name
    path.mkdir(parents=True, exist_ok=True)
    (path / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    return path


def card_of(doc):
    """The card as the report builds it, from a document as json.load gives it."""
    path = write_run(f"card-{id(doc)}", doc)
    doc = load_results(path)
    metrics = {w["name"]: workload_metrics(w) for w in doc["cmbench"]["workloads"]}
    return model_card(doc, build_cells(doc, metrics))


def report(path):
    done = subprocess.run([sys.executable, str(REPORT), str(path), "--quiet"],
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stderr


def old_style(doc):
    """The same run as an older runner wrote it: no CPU budget, CPU count, load average,
    probe or twin, and no ping_pong, spawn_many or Python rows at all."""
    doc = copy.deepcopy(doc)
    suite = doc["cmbench"]
    suite["workloads"] = [w for w in suite["workloads"]
                          if w["name"] not in ("ping_pong", "spawn_many")]
    suite["cells"] = [c for c in suite["cells"] if c["workload"] not in ("ping_pong",
                                                                         "spawn_many")
                      and not c["label"].startswith("py-")]
    for c in suite["cells"]:
        for key in ("cpus", "cpu_budget", "loadavg", "probe", "twin"):
            c.pop(key, None)
    return doc


# --- the tests -----------------------------------------------------------------------------

class CardFigures(unittest.TestCase):
    """Each column reads the planted figure, not a decoy."""

    @classmethod
    def setUpClass(cls):
        cls.card = card_of(synthetic_run())

    def entry(self, key, m):
        return self.card.column(key).entries[m]

    def test_a_row_per_model_under_study(self):
        self.assertEqual(self.card.models, MODELS)  # no reference, no Python row
        [table] = [b for b in self.card.blocks() if b[0] == "table"]
        self.assertEqual([row[0] for row in table[2]], MODELS)
        self.assertEqual(len(table[1]), 1 + len(self.card.columns))

    def test_speedup_from_the_cell_with_the_most_work(self):
        column = self.card.column("speedup")
        self.assertEqual(column.title, "cpu_bound speed-up on 2 CPUs")
        self.assertAlmostEqual(self.entry("speedup", "threads").value, 2.0)
        self.assertEqual(self.entry("speedup", "threads").text, "2.00×")
        self.assertAlmostEqual(self.entry("speedup", "fibers").value, 1.25)
        self.assertEqual(self.entry("speedup", "threads").source, "cpu_bound, width=3000, K=8")

    def test_server_cpu_at_the_first_scale_of_the_paced_hello_group(self):
        for m in MODELS:
            self.assertAlmostEqual(self.entry("server", m).value, SERVER_US[m], msg=m)
        self.assertEqual(self.entry("server", "coroutines").text, "12.5 µs")
        self.assertNotIn("epoll", self.card.column("server").entries)  # a reference

    def test_switch_and_spawn_from_their_workloads(self):
        for m in MODELS:
            self.assertAlmostEqual(self.entry("switch", m).value, HANDOFF_NS[m], msg=m)
            self.assertAlmostEqual(self.entry("spawn", m).value, SPAWN_NS[m], msg=m)
        self.assertEqual(self.entry("switch", "threads").text, "4.20 µs")
        self.assertIn("place=same", self.card.column("switch").footnote(MODELS))

    def test_dash_where_the_run_lacks_the_workload(self):
        for m in MODELS:
            self.assertEqual(self.entry("memory", m), DASH, m)
        self.assertIn("no cell that measures it", self.card.column("memory").footnote(MODELS))

    def test_most_tasks_waiting_and_what_stopped_more(self):
        self.assertEqual(self.entry("reach", "callbacks").value, 100000)
        self.assertEqual(self.entry("reach", "threads").value, 100)
        self.assertIn("limit at 100k", self.entry("reach", "threads").text)

    def test_python_twin_is_the_namesake(self):
        twin = self.entry("twin", "coroutines")
        self.assertIsInstance(twin, Entry)
        self.assertEqual(twin.text, "py-asyncio 3.00× slower")  # not py-uvloop's 10×
        self.assertIsInstance(self.entry("twin", "fibers"), Note)
        self.assertIn("failed", self.entry("twin", "fibers"))
        self.assertEqual(self.entry("twin", "threads"), DASH)

    def test_lines_of_code_from_the_checkout(self):
        for m in MODELS:
            entry = self.entry("lines", m)
            self.assertIsInstance(entry, Entry, m)
            files = list((ROOT / "workloads").glob(f"*/{m}.cpp"))
            self.assertIn(f"in {len(files)} files", entry.text)
            self.assertLess(entry.value, sum(len(f.read_text().splitlines()) for f in files))

    def test_one_cpu_cells_stay_out_of_the_card(self):
        """The same cpu_bound cells confined to one CPU (--cpus 1): the card reads the
        cells that could use every CPU, and says 2 CPUs."""
        doc = synthetic_run()
        run = Run()
        for m in MODELS:
            run.cell("cpu_bound", m, {"K": "8", "width": "3000"}, ms=80.0 if m == "threads"
                     else 40.0, budget="one")
        doc["cmbench"]["cells"] += run.cells
        doc["benchmarks"] += run.benchmarks
        card = card_of(doc)
        self.assertEqual(card.column("speedup").title, "cpu_bound speed-up on 2 CPUs")
        self.assertAlmostEqual(card.column("speedup").entries["threads"].value, 2.0)

    def test_a_changed_figure_changes_the_card(self):
        """The card reads the data, not a constant: slow threads down and its speed-up
        falls."""
        doc = synthetic_run()
        for entry in doc["benchmarks"]:
            if entry["name"].startswith("cpu_bound/threads/K:8/width:3000"):
                entry["real_time"] *= 2
        self.assertAlmostEqual(card_of(doc).column("speedup").entries["threads"].value, 1.0)


class CodeLines(unittest.TestCase):
    def test_comments_and_blanks_do_not_count(self):
        text = ('int a;  // trailing\n'
                '/* a block\n   over lines */\n'
                '\n'
                '  // only a comment\n'
                'auto url = "http://x";  /* not a comment inside a string */\n'
                'char c = \'/\';\n'
                'x /* mid */ = 1\'000;\n')
        self.assertEqual(code_lines(text), 4)


class ReportOrder(unittest.TestCase):
    """The first screen: title, one sentence, the card, the headline charts; the
    environment and the method last."""

    @classmethod
    def setUpClass(cls):
        cls.path = write_run("report", synthetic_run(decoys=False))
        cls.status, cls.stderr = report(cls.path)
        cls.md = (cls.path / "report.md").read_text(encoding="utf-8")

    def headings(self, level):
        return [line for line in self.md.splitlines() if line.startswith("#" * level + " ")]

    def test_card_first_environment_last(self):
        self.assertEqual(self.status, 0, self.stderr)
        lines = [x for x in self.md.splitlines() if x.strip()]
        self.assertTrue(lines[0].startswith("# cmbench report — quick run"))
        self.assertTrue(lines[1].startswith("A quick run of "), lines[1])
        self.assertIn("Test CPU, 2 cores", lines[1])
        sections = self.headings(2)
        self.assertEqual(sections[0], "## Model card")
        self.assertEqual(sections[1], "## At a glance")
        self.assertEqual(sections[-3:], ["## Environment", "## How to read this", "## Models"])
        self.assertLess(sections.index("## Failures and limits"), sections.index("## Environment"))

    def test_headline_charts_and_the_card_file(self):
        for name in ("waiting", "computing", "serving", "spawning"):
            self.assertTrue((self.path / "charts" / f"headline-{name}.png").is_file(), name)
            self.assertIn(f"charts/headline-{name}.png", self.md)
        card = (self.path / "model_card.md").read_text(encoding="utf-8")
        self.assertIn("## Model card", card)
        self.assertIn("| coroutines | 23.5 ns |", card)
        self.assertNotIn("## Environment", card)

    def test_html_opens_with_the_card(self):
        html = (self.path / "report.html").read_text(encoding="utf-8")
        self.assertLess(html.index("<h2>Model card</h2>"), html.index("<h2>At a glance</h2>"))
        self.assertLess(html.index("<h2>At a glance</h2>"), html.index("<h2>Environment</h2>"))


class OldAndBrokenRuns(unittest.TestCase):
    def test_old_results_render_with_dashes(self):
        doc = old_style(synthetic_run(decoys=False))
        card = card_of(doc)
        for m in MODELS:
            for key in ("switch", "spawn", "memory", "twin"):
                self.assertEqual(card.column(key).entries[m], DASH, (key, m))
        self.assertAlmostEqual(card.column("speedup").entries["threads"].value, 2.0)
        path = write_run("old", doc)
        status, stderr = report(path)
        self.assertEqual(status, 0, stderr)
        md = (path / "report.md").read_text(encoding="utf-8")
        self.assertIn("Spawning: this run has no spawn_many cells.", md)
        self.assertFalse((path / "charts" / "headline-spawning.png").exists())
        self.assertTrue((path / "model_card.md").is_file())

    def test_a_run_of_one_workload(self):
        """Only ping_pong ran: its column is filled, every other is "—" or a note, and each
        headline chart is a line saying what the run lacks."""
        doc = synthetic_run()
        doc["cmbench"]["cells"] = [c for c in doc["cmbench"]["cells"]
                                   if c["workload"] == "ping_pong"]
        card = card_of(doc)
        self.assertEqual(card.models, MODELS)
        self.assertAlmostEqual(card.column("switch").entries["fibers"].value, 88.0)
        for key in ("spawn", "memory", "reach", "speedup", "server", "twin"):
            self.assertEqual(set(card.column(key).entries.values()), {DASH}, key)
        charts = {}
        blocks = headline_blocks(card, MODELS, ["epoll", "py"], model_styles(MODELS), charts)
        self.assertEqual(charts, {})
        self.assertEqual(sum(1 for b in blocks if b[0] == "p" and "this run has no" in b[1]), 4)

    def test_broken_results_are_refused_with_a_message(self):
        path = DIR / "broken"
        path.mkdir()
        (path / "results.json").write_text("{not json", encoding="utf-8")
        status, stderr = report(path)
        self.assertEqual(status, 1)
        self.assertIn("not readable JSON", stderr)
        self.assertNotIn("Traceback", stderr)


def has_figure(doc, cells, key, model):
    """Whether the run measured `key` for `model`, judged from the data alone."""
    ok = [c for c in cells if c.model == model and c.ok and c.cpu_budget == "all"]

    def measured(workload, metric):
        return any(c.workload == workload and c.metric(metric) is not None for c in ok)

    def in_micro(*topics):
        return any(e.get("run_type", "iteration") == "iteration"
                   and e.get("name", "").split("/")[1:3] in ([t, model] for t in topics)
                   for e in doc["benchmarks"])
    if key == "switch":
        return measured("ping_pong", "ns_per_handoff") or in_micro("task_pingpong",
                                                                    "fiber_pingpong")
    if key == "spawn":
        return measured("spawn_many", "ns_per_task") or in_micro("create_task", "fiber_spawn")
    if key == "memory":
        return measured("memory_per_task", "bytes_per_task")
    if key == "reach":
        return any(c.workload == "sleep_fanout" for c in ok)
    if key == "speedup":
        base = {c.name.replace("/sequential/", "/", 1) for c in cells
                if c.workload == "cpu_bound" and c.model == "sequential" and c.ok}
        return any(c.workload == "cpu_bound" and c.name.replace(f"/{model}/", "/", 1) in base
                   for c in ok)
    if key == "server":
        return any(c.workload == "http_server" and c.params.get("variant", "hello") == "hello"
                   and c.metric("server_cpu_us_per_req") is not None for c in ok)
    if key == "lines":
        return any((ROOT / "workloads").glob(f"*/{model}.cpp"))
    if key == "twin":
        return any(c.workload == "sleep_fanout" and c.twin == model and c.ok and any(
            t.model == model and t.params == c.params for t in ok) for c in cells)
    raise AssertionError(f"no oracle for the column {key}")


def mismatches(doc, cells, card):
    """Where the card and the data disagree: a blank where the run measured the figure, or
    a figure where it did not."""
    wrong = []
    for column in card.columns:
        for m in card.models:
            entry = column.entries[m]
            if has_figure(doc, cells, column.key, m) != isinstance(entry, Entry):
                wrong.append(f"{column.key} of {m}: {entry}")
    return wrong


def read_run(path):
    doc = load_results(path)
    metrics = {w["name"]: workload_metrics(w) for w in doc["cmbench"]["workloads"]}
    return doc, build_cells(doc, metrics)


class RealRuns(unittest.TestCase):
    """A real run's card has a figure wherever the run measured one, and only there."""

    def check(self, name):
        source = ROOT / "reports" / name / "results.json"
        if not source.is_file():
            self.skipTest(f"{source} is not in this checkout")
        path = DIR / f"real-{name}"
        path.mkdir()
        shutil.copy(source, path / "results.json")
        doc, cells = read_run(path)
        card = model_card(doc, cells)
        self.assertEqual(card.models, MODELS)
        self.assertEqual(mismatches(doc, cells, card), [])

    def test_reference_run(self):
        self.check("reference")

    def test_latest_run(self):
        self.check("latest")

    def test_a_blank_is_caught(self):
        """The check can fail: a card with one figure blanked out, or one invented."""
        doc, cells = read_run(write_run("oracle", synthetic_run()))
        card = model_card(doc, cells)
        self.assertEqual(mismatches(doc, cells, card), [])
        card.column("server").entries["fibers"] = DASH
        card.column("memory").entries["threads"] = Entry("1 KiB", 1024.0, "nowhere")
        self.assertEqual(mismatches(doc, cells, card),
                         ["memory of threads: Entry(text='1 KiB', value=1024.0, "
                          "source='nowhere')", "server of fibers: —"])


if __name__ == "__main__":
    unittest.main()
