#!/usr/bin/python3
"""scripts/timeline.py: the structure check, its failure paths, and the charts it draws.

Run: /usr/bin/python3 tests/timeline_chart_test.py   (CTest runs it as timeline_chart)

The traces are synthetic (tests/data/make_timeline_fixtures.py) and written to a temporary
directory: three tasks in four models, a loop stalled by a slow callback, a CPU-bound pool,
and two runs too large for a lane per task or per thread. The figures asserted are the ones a reader takes from the chart.
"""

import copy
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "timeline.py"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "data"))
import make_timeline_fixtures as fixtures  # noqa: E402
import timeline  # noqa: E402

WORK = tempfile.TemporaryDirectory(prefix="timeline_chart_test.")
DIR = Path(WORK.name)
PATHS = {}


def setUpModule():
    PATHS.update(fixtures.write(DIR / "traces"))


def run(*args):
    """The CLI as a user runs it: exit status and stderr."""
    done = subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=600)
    return done.returncode, done.stderr


def corrupt(stem, change):
    """A copy of a fixture with one thing broken by `change(doc)`; returns its path."""
    doc = json.loads(PATHS[stem].read_text(encoding="utf-8"))
    change(doc["traceEvents"])
    path = DIR / "broken" / f"{stem}_{change.__name__}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def first(events, test):
    return next(i for i, e in enumerate(events) if test(e))


def without_task_end(events):
    """The outer 'e' of a task's life goes missing: its 'b' is never closed."""
    del events[first(events, lambda e: e["ph"] == "e" and e["name"] == "main")]


def without_flow_end(events):
    del events[first(events, lambda e: e["ph"] == "f")]


def without_thread_name(events):
    del events[first(events, lambda e: e["ph"] == "M" and e["name"] == "thread_name")]


def slice_out_of_order(events):
    slices = [i for i, e in enumerate(events) if e["ph"] == "X"]
    events[slices[0]], events[slices[-1]] = events[slices[-1]], events[slices[0]]


def unnamed_task(events):
    events[first(events, lambda e: e["ph"] == "b" and e["cat"] == "task")]["name"] = ""


class CheckTest(unittest.TestCase):
    def test_every_fixture_is_sound(self):
        status, err = run("--check", *PATHS.values())
        self.assertEqual((status, err), (0, ""))

    def test_each_broken_trace_is_refused_with_its_reason(self):
        cases = {without_task_end: "never closed", without_flow_end: "no end",
                 without_thread_name: "no thread_name", slice_out_of_order: "before the slice",
                 unnamed_task: "non-empty name"}
        for change, reason in cases.items():
            with self.subTest(change.__name__):
                status, err = run("--check", corrupt("coroutines_231", change))
                self.assertEqual(status, 1, err)
                self.assertIn(reason, err)
                self.assertNotIn("Traceback", err)

    def test_a_file_that_is_not_a_trace_is_exit_2_without_a_traceback(self):
        (DIR / "not.json").write_text("this is not JSON", encoding="utf-8")
        (DIR / "list.json").write_text("[1, 2]", encoding="utf-8")
        for args in (("--check", DIR / "not.json"), ("--check", DIR / "missing.json"),
                     ("--check", DIR / "list.json"), (DIR / "not.json", "--out", DIR / "x")):
            with self.subTest(args=args):
                status, err = run(*args)
                self.assertEqual(status, 2, err)
                self.assertTrue(err.startswith("timeline.py: "), err)
                self.assertNotIn("Traceback", err)

    def test_the_api_raises_trace_error(self):
        with self.assertRaises(timeline.TraceError):
            timeline.load(DIR / "missing.json")
        with self.assertRaises(timeline.TraceError):
            timeline.summary({"events": []})


class SummaryTest(unittest.TestCase):
    def test_the_overlap_meter_tells_the_three_models_apart(self):
        sequential = timeline.summary(PATHS["sequential_231"])
        coroutines = timeline.summary(PATHS["coroutines_231"])
        cpu = timeline.summary(PATHS["threads_cpu"])
        self.assertAlmostEqual(sequential["concurrency"], 1.0, places=2)
        self.assertAlmostEqual(coroutines["concurrency"], 3.0, delta=0.05)  # main + 2 + 3 + 1
        self.assertLess(coroutines["parallelism"], 0.01)
        self.assertAlmostEqual(cpu["parallelism"], 2.0, delta=0.02)
        self.assertEqual((coroutines["threads"], cpu["threads"], cpu["peak_busy"]), (1, 3, 3))

    def test_figures_missing_from_other_data_come_from_the_events(self):
        doc = json.loads(PATHS["threads_cpu"].read_text(encoding="utf-8"))
        given = timeline.summary(doc)
        doc["otherData"] = {"t0_us": doc["otherData"]["t0_us"]}
        derived = timeline.summary(doc)
        for key in ("wall_ns", "cpu_ns", "task_lifetime_ns", "task_running_ns", "tasks"):
            self.assertAlmostEqual(derived[key], given[key], delta=max(1e3, given[key] * 1e-6),
                                   msg=key)

    def test_the_fold_counts_time_weighted(self):
        # Two tasks over [0, 10]: one for all of it, one for its first quarter.
        counts = timeline.mean_count(timeline.np.array([0.0, 0.0]),
                                     timeline.np.array([10.0, 2.5]),
                                     timeline.np.array([0.0, 5.0, 10.0]))
        self.assertEqual(counts.tolist(), [1.5, 1.0])


class StallTest(unittest.TestCase):
    """A stall a slow-callback detector recorded (a "slow" pair) is drawn red."""

    def test_the_stall_is_read_on_its_lane_and_counted(self):
        tl = timeline.read(PATHS["coroutines_stall"])
        self.assertEqual(len(tl.stalls), 1)
        lane, start, end, name = tl.stalls[0]
        self.assertEqual(tl.lanes[lane].label, "loop")
        self.assertAlmostEqual(start, 150.0, places=3)
        self.assertAlmostEqual(end, 250.0, places=3)
        self.assertIn("slow", name)
        facts = timeline.summary(PATHS["coroutines_stall"])
        self.assertEqual(facts["stalls"], 1)
        self.assertAlmostEqual(facts["stalled_ns"], 100e6, delta=1e3)
        line, colour, _ = timeline.caption_lines(facts)[-1]
        self.assertIn("1 stall of the loop", line)
        self.assertEqual(colour, timeline.STALL_COLOUR)
        # The stall is no OS thread's work: the figures are those of the run without it.
        plain = timeline.summary(PATHS["coroutines_231"])
        self.assertEqual(plain["stalls"], 0)
        for key in ("cpu_ns", "threads", "peak_busy"):
            self.assertEqual(facts[key], plain[key], key)

    def test_the_chart_draws_it_red_with_a_legend_entry(self):
        paths = timeline.draw([PATHS["coroutines_231"], PATHS["coroutines_stall"]],
                              DIR / "charts" / "stall")
        svg = paths[1].read_text(encoding="utf-8").lower()
        red = timeline.STALL_COLOUR.lower()
        self.assertIn(f"fill: {red}", svg)  # the box on the lane, the band, the legend chip
        self.assertIn("loop stalled: a slow callback", svg)
        self.assertIn("stalled 100 ms", svg)
        plain = timeline.draw([PATHS["coroutines_231"]], DIR / "charts" / "no_stall")
        self.assertNotIn(red, plain[1].read_text(encoding="utf-8").lower())

    def test_an_unclosed_stall_is_refused_by_the_check(self):
        def without_stall_end(events):
            del events[first(events, lambda e: e.get("cat") == "slow" and e["ph"] == "e")]
        status, err = run("--check", corrupt("coroutines_stall", without_stall_end))
        self.assertEqual(status, 1, err)
        self.assertIn("never closed", err)


class DrawTest(unittest.TestCase):
    def assert_pictures(self, paths, stem):
        self.assertEqual([p.name for p in paths], [f"{stem}.png", f"{stem}.svg"])
        png, svg = paths
        self.assertEqual(png.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(png.stat().st_size, 30_000)
        self.assertIn(b"<svg", svg.read_bytes()[:2000])
        self.assertGreater(svg.stat().st_size, 30_000)

    def test_one_trace_from_the_command_line(self):
        status, err = run(PATHS["coroutines_231"], "--out", DIR / "charts" / "single")
        self.assertEqual((status, err), (0, ""))
        self.assert_pictures([DIR / "charts" / "single.png", DIR / "charts" / "single.svg"],
                             "single")

    def test_stacked_traces_with_titles(self):
        stems = ["sequential_231", "threads_231", "processes_231", "coroutines_231",
                 "threads_cpu"]
        titles = [s.replace("_", " ") for s in stems]
        paths = timeline.draw([PATHS[s] for s in stems], DIR / "charts" / "stacked", titles)
        self.assert_pictures(paths, "stacked")

    def test_folded_lanes_for_many_tasks_and_many_threads(self):
        paths = timeline.draw([PATHS["coroutines_fold"], PATHS["threads_fold"]],
                              DIR / "charts" / "fold")
        self.assert_pictures(paths, "fold")

    def test_a_loaded_document_with_lost_events(self):
        doc = timeline.load(PATHS["threads_cpu"])
        lossy = copy.deepcopy(doc)
        lossy["otherData"]["dropped"] = 12
        lines = timeline.caption_lines(timeline.summary(lossy))
        self.assertIn("12 events lost", lines[-1][0])
        self.assert_pictures(timeline.draw([lossy], DIR / "charts" / "lossy"), "lossy")


if __name__ == "__main__":
    try:
        unittest.main(verbosity=2)
    finally:
        WORK.cleanup()
