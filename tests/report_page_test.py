#!/usr/bin/python3
"""The HTML report (scripts/report.py), opened in a real browser.

Run: /usr/bin/python3 tests/report_page_test.py   (CTest runs it as report_page)

A synthetic run is built in a temporary directory from tests/data/results_sample.json,
with what it takes to draw every kind of chart the report has: wall-time bars and scaling
against N, a workload's own figures as bars and against the scale, latency percentiles, a
Python row beside its twin, timelines (tests/data/make_timeline_fixtures.py), and the
newer runner's fields (one-CPU cells, load average, speed probe), so that the sections
drawn from those are opened too as they come. scripts/report.py renders it; headless
Chromium (tests/browser.py) opens report.html at 1280×800.

The check fails on any console error or uncaught exception, on any <img> that did not
load (naturalWidth 0), and on any chart report.md names that is missing on disk or is not
the image the page shows in its place (the HTML embeds the charts as data URIs, so the
page needs no script of its own to be checked). Copies of the report with one chart
deleted, one image emptied and a failing script must fail the same check: the check is
known to bite. The first screen is kept as report-first-screen.png in the working directory (CTest's
build directory) and its path printed. scripts/screenshot.py, which takes the README's
screenshot the same way, is run on the synthetic run and on bad input.

Chromium missing fails the test with the fix named (scripts/setup installs it).
"""

import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from browser import FIRST_SCREEN, Browser, png_size, require_chromium  # tests/browser.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "data"))
import make_timeline_fixtures as fixtures  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "results_sample.json"
REPORT = ROOT / "scripts" / "report.py"
SCREENSHOT_SCRIPT = ROOT / "scripts" / "screenshot.py"
WORK = tempfile.TemporaryDirectory(prefix="report_page_test.")
RUN = Path(WORK.name) / "run"
KEPT = Path.cwd() / "report-first-screen.png"
RENDERED = {}  # scripts/report.py on the synthetic run: returncode, stdout, stderr
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
# The cells run again on one CPU, as `cmbench suite --cpus both` records them, and how much
# longer each took: computing work shares the one core, waiting work hardly notices.
ONE_CPU = {"sleep_fanout": {}, "cpu_bound": {"threads": 2.0, "processes": 2.1}}
TIMELINES = ("sequential", "threads", "coroutines")  # fixtures <model>_231, sleep_fanout


def synthetic_run(run_dir):
    """results.json and timelines/ of a run that draws every kind of chart; returns it."""
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    suite = doc["cmbench"]
    for workload in suite["workloads"]:  # a figure drawn against the scale as well
        for metric in workload.get("metrics") or []:
            if metric["name"] == "req_per_s":
                metric["over_scale"] = True
    cells = suite["cells"]
    for i, cell in enumerate(cells):  # the VM's two speed bands, the second half slower
        probe = 0.030 if i < len(cells) // 2 else 0.041
        cell.update(cpu_budget="all", cpus=2, loadavg=round(0.4 + 0.02 * i, 2),
                    probe={"before_s": probe, "after_s": probe * 1.01})
    by_cell = {}
    for entry in doc["benchmarks"]:
        by_cell.setdefault(entry["run_name"].rsplit("/", 1)[0], []).append(entry)
    for cell in list(cells):
        slower = ONE_CPU.get(cell["workload"])
        if slower is None or cell["status"] != "ok":
            continue
        cells.append(dict(cell, cpu_budget="one", cpus=1))
        for entry in by_cell.get(cell["name"], []):
            factor = slower.get(cell["model"], 1.03)
            doc["benchmarks"].append(dict(entry, cpu_budget="one",
                                          real_time=entry["real_time"] * factor))
    twin = next(c for c in cells if c["name"] == "sleep_fanout/coroutines/N:100/d:10ms/w:1")
    py_name = twin["name"].replace("/coroutines/", "/py-asyncio/")
    cells.append(dict(twin, name=py_name, model="py-asyncio", label="py-asyncio",
                      twin="coroutines", log="logs/py-asyncio.log"))
    for entry in by_cell[twin["name"]]:
        renamed = {k: v.replace(twin["name"], py_name) if k in ("name", "run_name") else v
                   for k, v in entry.items()}
        doc["benchmarks"].append(dict(renamed, real_time=entry["real_time"] * 1.4))
    traces = fixtures.fixtures(fold_tasks=10)
    (run_dir / "timelines").mkdir(parents=True, exist_ok=True)
    suite["timelines"] = []
    for model in TIMELINES:
        trace = traces[f"{model}_231"]
        path = f"timelines/sleep_fanout-{model}.json"
        (run_dir / path).write_text(json.dumps(trace), encoding="utf-8")
        suite["timelines"].append({"cell": trace["otherData"]["cell"], "json": path,
                                   "label": model, "status": "ok", "reason": "",
                                   "workload": "sleep_fanout"})
    suite["timelines"].append({"cell": "sleep_fanout/fibers/N:3/d:100ms/w:2-3-1",
                               "json": "timelines/sleep_fanout-fibers.json", "label": "fibers",
                               "status": "failed", "reason": "the recorder stopped",
                               "workload": "sleep_fanout"})
    (run_dir / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    return run_dir


def setUpModule():
    require_chromium("the HTML report")
    synthetic_run(RUN)
    done = subprocess.run([sys.executable, str(REPORT), str(RUN), "--quiet"],
                          capture_output=True, text=True, timeout=240)
    RENDERED.update(returncode=done.returncode, stdout=done.stdout, stderr=done.stderr)


def markdown_charts(run_dir):
    """The images report.md shows, in order, as paths relative to the run."""
    return MARKDOWN_IMAGE.findall((run_dir / "report.md").read_text(encoding="utf-8"))


def image_bytes(run_dir, src):
    """What an <img src> holds: a data URI's bytes, or the file a relative src names."""
    if src.startswith("data:"):
        header, _, data = src.partition(",")
        return base64.b64decode(data) if header.endswith(";base64") else None
    path = run_dir / src
    return path.read_bytes() if path.is_file() else None


def check(run_dir, browser):
    """Opens run_dir/report.html at 1280×800. Returns (problems, session, images): every
    console error, every image that did not load, every chart of report.md missing on disk
    or not the image the page shows in its place; the tab; the page's images."""
    session = browser.open((run_dir / "report.html").resolve().as_uri(), viewport=FIRST_SCREEN)
    images = browser.images(session, full_src=True)
    problems = browser.problems(session, images)
    charts = markdown_charts(run_dir)
    for path in charts:
        if not (run_dir / path).is_file():
            problems.append(f"{path}: in report.md, missing on disk")
    if len(images) != len(charts):
        problems.append(f"report.html shows {len(images)} images, report.md {len(charts)}")
    for path, image in zip(charts, images):
        shown = image_bytes(run_dir, image["src"])
        on_disk = (run_dir / path).read_bytes() if (run_dir / path).is_file() else None
        if on_disk is not None and shown != on_disk:
            problems.append(f"{path}: the page shows another image in its place "
                            f"({image['alt']})")
    return problems, session, images


class ReportPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if RENDERED["returncode"] != 0:
            raise RuntimeError(f"report.py failed:\n{RENDERED['stderr'][-3000:]}")
        cls.browser = Browser(what="the HTML report")
        cls.problems, cls.session, cls.images = check(RUN, cls.browser)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()

    def test_the_report_is_written_without_a_word_on_stderr(self):
        self.assertEqual(RENDERED["stderr"], "")
        self.assertTrue((RUN / "report.html").is_file())

    def test_every_kind_of_chart_is_drawn(self):
        charts = markdown_charts(RUN)
        for kind in ("-bars.png", "-scaling.png", "-req_per_s.png", "-req_per_s_by_scale.png",
                     "-server_cpu_us_per_req.png", "-latency.png", "timeline-sleep_fanout.png"):
            self.assertTrue(any(c.endswith(kind) for c in charts), f"no chart *{kind}: {charts}")
        self.assertGreaterEqual(len(charts), 11)

    def test_the_page_shows_every_chart_with_no_error(self):
        self.assertEqual(self.problems, [])
        self.assertEqual(len(self.images), len(markdown_charts(RUN)))
        self.assertTrue(all(i["width"] > 300 and i["height"] > 100 for i in self.images),
                        [(i["alt"], i["width"], i["height"]) for i in self.images])

    def test_the_first_screen_is_kept(self):
        png = self.browser.screenshot(self.session)
        KEPT.write_bytes(png)
        print(f"\nthe report's first screen: {KEPT}", file=sys.stderr)
        self.assertEqual(png_size(png), FIRST_SCREEN)
        self.assertGreater(len(png), 20_000, "a blank screen compresses to almost nothing")
        heading = self.browser.evaluate(
            self.session, "document.querySelector('h1').getBoundingClientRect().top")
        self.assertLess(heading, FIRST_SCREEN[1], "the title is not on the first screen")

    def test_the_whole_page_can_be_taken_too(self):
        # A page three screens tall (the report's own is too long to encode in a test).
        page = "data:text/html,<body style='margin:0'><div style='height:2400px'></div></body>"
        session = self.browser.open(page, viewport=FIRST_SCREEN)
        png = self.browser.screenshot(session, full_page=True)
        self.assertEqual(png_size(png), (FIRST_SCREEN[0], 2400))


class TheCheckBites(unittest.TestCase):
    """Copies of the report, each broken one way, through the same check."""

    @classmethod
    def setUpClass(cls):
        if RENDERED["returncode"] != 0:
            raise RuntimeError(f"report.py failed:\n{RENDERED['stderr'][-3000:]}")
        cls.browser = Browser(what="the HTML report")

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()

    def broken_copy(self, name):
        copy_dir = Path(WORK.name) / name
        shutil.copytree(RUN, copy_dir)
        return copy_dir

    def test_a_deleted_chart_fails_it(self):
        broken = self.broken_copy("deleted_chart")
        victim = markdown_charts(broken)[1]
        (broken / victim).unlink()
        # The page points at the deleted file, as a report with relative images would.
        page = broken / "report.html"
        text = page.read_text(encoding="utf-8")
        embedded = base64.b64encode((RUN / victim).read_bytes()).decode("ascii")
        self.assertEqual(text.count(embedded), 1)
        page.write_text(text.replace(f"data:image/png;base64,{embedded}", victim),
                        encoding="utf-8")
        problems, _, _ = check(broken, self.browser)
        self.assertIn(f"{victim}: in report.md, missing on disk", problems)
        self.assertTrue(any(p.startswith("image 2 ") and victim in p for p in problems),
                        problems)
        self.assertTrue(any(p.startswith("console: ") and victim in p for p in problems),
                        problems)

    def test_an_emptied_image_fails_it(self):
        broken = self.broken_copy("emptied_image")
        victim = markdown_charts(broken)[0]
        page = broken / "report.html"
        embedded = base64.b64encode((RUN / victim).read_bytes()).decode("ascii")
        page.write_text(page.read_text(encoding="utf-8").replace(embedded, ""),
                        encoding="utf-8")
        problems, _, _ = check(broken, self.browser)
        self.assertTrue(any(p.startswith("image 1 ") for p in problems), problems)
        self.assertIn(f"{victim}: the page shows another image in its place", problems[-1])

    def test_a_script_error_fails_it(self):
        broken = self.broken_copy("script_error")
        page = broken / "report.html"
        script = "<script>console.error('drawn wrong'); no_such_function();</script>"
        page.write_text(page.read_text(encoding="utf-8").replace("</body>", script + "</body>"),
                        encoding="utf-8")
        problems, _, _ = check(broken, self.browser)
        self.assertIn("console: drawn wrong", problems)
        self.assertTrue(any("no_such_function is not defined" in p for p in problems), problems)


class ScreenshotScript(unittest.TestCase):
    """scripts/screenshot.py: the README's screenshot, taken the same way."""

    def run_script(self, *args):
        return subprocess.run([sys.executable, str(SCREENSHOT_SCRIPT), *map(str, args)],
                              capture_output=True, text=True, timeout=120)

    def test_it_takes_the_first_screen_and_says_where(self):
        if RENDERED["returncode"] != 0:
            self.skipTest("report.py failed")
        out = Path(WORK.name) / "shots" / "first.png"
        done = self.run_script(RUN, "--out", out)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(str(out), done.stdout)
        self.assertEqual(png_size(out.read_bytes()), FIRST_SCREEN)

    def test_bad_input_is_a_message_and_exit_1(self):
        empty = Path(WORK.name) / "empty"
        empty.mkdir(exist_ok=True)
        broken = Path(WORK.name) / "script_broken"
        shutil.copytree(RUN, broken)
        victim = markdown_charts(broken)[0]
        page = broken / "report.html"
        embedded = base64.b64encode((RUN / victim).read_bytes()).decode("ascii")
        page.write_text(page.read_text(encoding="utf-8").replace(embedded, ""), encoding="utf-8")
        cases = {Path(WORK.name) / "missing": "no such directory",
                 empty: "no report.html", broken: "did not load"}
        for run_dir, said in cases.items():
            with self.subTest(run_dir=run_dir.name):
                out = run_dir / "shot.png"
                done = self.run_script(run_dir, "--out", out)
                self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
                self.assertTrue(done.stderr.startswith("screenshot.py: "), done.stderr)
                self.assertIn(said, done.stderr)
                self.assertNotIn("Traceback", done.stderr)
                self.assertFalse(out.exists())


if __name__ == "__main__":
    unittest.main()
