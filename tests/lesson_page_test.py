#!/usr/bin/python3
"""The lesson page (`cmbench lesson`, scripts/lesson.py), opened in a real browser.

Run: /usr/bin/python3 tests/lesson_page_test.py PATH/TO/cmbench
     (CTest runs it as lesson_page, with the cmbench it built)

One real run of every scenario at a unit of 50 ms is built into a page, which headless
Chromium then opens over its DevTools protocol (--remote-debugging-pipe: no network, no
Python package beyond the standard library). The page must render every scenario's
heading, lesson and output and every model's file; every image must load (the page's own
script marks <body> with data-images-ok once they have); the tabs must switch with no
script of ours; and the console must stay free of errors. A copy of the page with one
chart deleted must fail the same check, so the check is known to bite. The Markdown twin
must carry the same content. Chromium missing fails the test with the fix named
(scripts/setup installs it).
"""

import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from browser import Browser, require_chromium  # tests/browser.py: headless Chromium

ROOT = Path(__file__).resolve().parent.parent
CMBENCH = None  # from argv
WORK = tempfile.TemporaryDirectory(prefix="lesson_page_test.")
OUT = Path(WORK.name) / "lesson"
RUN = {}  # the cmbench lesson run: returncode, stdout


def setUpModule():
    require_chromium("the lesson page")
    done = subprocess.run([CMBENCH, "lesson", "--unit", "50ms", "--out", str(OUT)],
                          capture_output=True, text=True, timeout=480)
    RUN.update(returncode=done.returncode, stdout=done.stdout, stderr=done.stderr)


def registry_order():
    """The scenarios' names in the order `cmbench demo --list` gives them: the page's."""
    listed = subprocess.run([CMBENCH, "demo", "--list"], capture_output=True, text=True,
                            timeout=60, check=True).stdout
    return [line.split()[0] for line in listed.splitlines() if line and not line[0].isspace()]


def transcripts(folder=OUT):
    """The transcripts written into `folder`, in the page's order."""
    found = {p.name.removesuffix(".transcript.json"): json.loads(p.read_text(encoding="utf-8"))
             for p in folder.glob("*.transcript.json")}
    return [found[name] for name in registry_order() if name in found]


# What the page shows, read back from the live DOM in one go.
PAGE_STATE = """
(async () => {
  // the page's own marker is set on 'load'; give the event loop a turn to run it
  for (let i = 0; i < 50 && !document.body.dataset.imagesOk &&
       !document.body.dataset.imagesBroken; i++) await new Promise(r => setTimeout(r, 100));
  const text = e => e.textContent.replace(/\\s+/g, ' ').trim();
  return {
    h1: [...document.querySelectorAll('h1')].map(text),
    sections: [...document.querySelectorAll('section.scenario')].map(s => ({
      id: s.id,
      h2: text(s.querySelector('h2')),
      lesson: text(s.querySelector('.lesson')),
      teaches: text(s.querySelector('.teaches')),
      outputs: [...s.querySelectorAll('.outputs .run')].map(r => ({
        model: text(r.querySelector('.model')), text: r.querySelector('pre').textContent})),
      labels: [...s.querySelectorAll('.pane.left .tabs label')].map(text),
      files: [...s.querySelectorAll('.pane.left .file')].map(f => ({
        path: f.querySelector('.path').textContent.split(' · ')[0],
        code: [...f.querySelectorAll('pre.code .l')].map(l => l.textContent)})),
    })),
    imagesOk: document.body.dataset.imagesOk || null,
    imagesBroken: document.body.dataset.imagesBroken || null,
    images: [...document.images].map(i => ({src: i.getAttribute('src'), w: i.naturalWidth})),
  };
})()
"""

# Which file each pane shows: the one whose display is not none.
SHOWN = """
[...document.querySelectorAll('section.scenario')].map(s => ({
  left: [...s.querySelectorAll('.pane.left .file')].filter(f =>
      getComputedStyle(f).display !== 'none').map(f => f.querySelector('.path').textContent),
  right: [...s.querySelectorAll('.pane.right .file')].filter(f =>
      getComputedStyle(f).display !== 'none').map(f => f.querySelector('.path').textContent)}))
"""


def check_page(folder):
    """Opens folder/lesson.html; returns (state, console errors, browser, session)."""
    browser = Browser()
    session = browser.open((folder / "lesson.html").resolve().as_uri())
    state = browser.evaluate(session, PAGE_STATE)
    return state, browser.console_errors(), browser, session


class LessonPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.transcripts = transcripts()
        cls.state, cls.errors, cls.browser, cls.session = check_page(OUT)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()

    def test_the_run_succeeded_and_says_where_the_pages_are(self):
        self.assertEqual(RUN["returncode"], 0, RUN["stdout"][-3000:] + RUN["stderr"][-3000:])
        self.assertIn(f"lesson page {OUT / 'lesson.html'}", RUN["stdout"])
        self.assertIn(f"its Markdown twin {OUT / 'lesson.md'}", RUN["stdout"])
        self.assertTrue(self.transcripts, "no transcript written")
        self.assertIn("three_tasks", [t["scenario"] for t in self.transcripts])

    def test_every_scenario_renders_its_heading_lesson_and_outputs(self):
        self.assertEqual(self.state["h1"], ["Concurrency, seen in seven models"])
        sections = {s["id"]: s for s in self.state["sections"]}
        self.assertEqual(len(sections), len(self.transcripts))
        for t in self.transcripts:
            s = sections.get(t["scenario"])
            self.assertIsNotNone(s, f"no section for {t['scenario']}")
            self.assertTrue(s["h2"].endswith(t["title"]), s["h2"])
            self.assertEqual(s["lesson"], "Lesson" + " ".join(t["lesson"].split()))
            self.assertEqual(s["teaches"], " ".join(t["teaches"].split()))
            self.assertEqual([o["model"] for o in s["outputs"]], [r["model"] for r in t["runs"]])
            self.assertEqual(len(t["runs"]), 7, f"{t['scenario']}: not all seven models ran")
            for run, out in zip(t["runs"], s["outputs"]):
                self.assertTrue(run["lines"], f"{t['scenario']}/{run['model']} printed nothing")
                for line in run["lines"]:  # what the terminal printed, on the page
                    printed = f"[+{line['t_ns'] / 1e9:.3f} s  {line['lane']:<9}]  {line['text']}"
                    self.assertIn(printed, out["text"])

    def test_every_model_file_is_the_real_source(self):
        sections = {s["id"]: s for s in self.state["sections"]}
        for t in self.transcripts:
            s = sections[t["scenario"]]
            self.assertEqual(s["labels"], [r["model"] for r in t["runs"]])
            for run, f in zip(t["runs"], s["files"]):
                self.assertEqual(f["path"], run["source"])
                source = (ROOT / run["source"]).read_text(encoding="utf-8").splitlines()
                self.assertEqual(f["code"], source, run["source"])

    def test_every_image_loads(self):
        self.assertIsNone(self.state["imagesBroken"], self.state["images"])
        self.assertEqual(self.state["imagesOk"], str(len(self.transcripts)))
        srcs = sorted(i["src"] for i in self.state["images"])
        self.assertEqual(srcs, sorted(f"{t['scenario']}.png" for t in self.transcripts))
        self.assertTrue(all(i["w"] > 0 for i in self.state["images"]))

    def test_no_console_error(self):
        self.assertEqual(self.errors, [])

    def test_tabs_switch_without_a_script_of_ours(self):
        shown = self.browser.evaluate(self.session, SHOWN)
        for t, panes in zip(self.transcripts, shown):
            runs = t["runs"]
            self.assertEqual(len(panes["left"]), 1)
            self.assertTrue(panes["left"][0].startswith(runs[0]["source"] + " · "))
            self.assertEqual(len(panes["right"]), 1)
            self.assertTrue(panes["right"][0].startswith(runs[-1]["source"] + " · "))
        # A click on a tab is the browser's own radio button: no script of the page runs.
        first = self.transcripts[0]
        model = first["runs"][3]["model"]
        self.browser.evaluate(
            self.session, f"document.querySelector('label[for=\"tab-{first['scenario']}-left-"
                          f"{model}\"]').click()")
        shown = self.browser.evaluate(self.session, SHOWN)
        self.assertEqual(len(shown[0]["left"]), 1)
        self.assertTrue(shown[0]["left"][0].startswith(first["runs"][3]["source"] + " · "))


class BrokenImage(unittest.TestCase):
    def test_a_missing_chart_fails_the_check(self):
        copy = Path(WORK.name) / "broken"
        shutil.copytree(OUT, copy)
        victim = f"{transcripts(copy)[0]['scenario']}.png"
        (copy / victim).unlink()
        state, errors, browser, _ = check_page(copy)
        browser.close()
        self.assertIsNone(state["imagesOk"])
        self.assertEqual(state["imagesBroken"], victim)
        self.assertTrue(any(victim in e for e in errors), errors)


class MarkdownTwin(unittest.TestCase):
    def test_it_carries_the_same_content(self):
        md = (OUT / "lesson.md").read_text(encoding="utf-8")
        self.assertTrue(md.startswith("# Concurrency, seen in seven models\n"))
        for n, t in enumerate(transcripts(), 1):
            self.assertIn(f"\n## {n}. {t['title']}\n", md)
            self.assertIn(f"> **Lesson:** {t['lesson']}\n", md)
            self.assertIn(f"]({t['scenario']}.png)", md)
            self.assertTrue((OUT / f"{t['scenario']}.png").is_file())
            for run in t["runs"]:
                code = (ROOT / run["source"]).read_text(encoding="utf-8").rstrip("\n")
                self.assertIn(f"```cpp\n{code}\n```\n", md)
                for line in run["lines"]:
                    self.assertIn(f"  {line['text']}\n", md)


class BadInput(unittest.TestCase):
    def test_an_unknown_scenario_is_refused_before_anything_runs(self):
        out = Path(WORK.name) / "unknown"
        done = subprocess.run([CMBENCH, "lesson", "-s", "no_such", "--out", str(out)],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2)
        self.assertIn("three_tasks", done.stderr + done.stdout)
        self.assertFalse(out.exists())

    def test_the_script_names_a_missing_transcript(self):
        empty = Path(WORK.name) / "empty"
        empty.mkdir()
        script = ROOT / "scripts" / "lesson.py"
        done = subprocess.run([sys.executable, str(script), str(empty)], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(done.returncode, 1)
        self.assertIn("no *.transcript.json", done.stderr)
        done = subprocess.run([sys.executable, str(script), str(empty), "three_tasks"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 1)
        self.assertIn("three_tasks.transcript.json is missing", done.stderr)
        self.assertFalse((empty / "lesson.html").exists())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: lesson_page_test.py PATH/TO/cmbench")
    CMBENCH = sys.argv.pop(1)
    unittest.main()
