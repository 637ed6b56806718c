#!/usr/bin/python3
"""Build the lesson page from a real run of the teaching demos.

Usage:
  /usr/bin/python3 scripts/lesson.py DIR [SCENARIO ...]

`cmbench lesson` runs the scenarios into DIR and then calls this script; it can also be
run again on a folder of `cmbench demo --out DIR` runs. It reads, per scenario (the ones
named, in that order; every DIR/*.transcript.json, by name, when none is):
  DIR/<scenario>.transcript.json  what each model printed, its wall time, and the lesson
                                  (bench/harness/demo_run.cpp, transcript())
  DIR/<scenario>.png              the models' timelines stacked (referenced, not read)
  <source tree>/<run's source>    each model's file, as it was built (the tree is this
                                  script's parent folder's parent)
and writes two twins into DIR:
  lesson.html  one offline page: no network, no script library, the charts as relative
               files beside it; per scenario what it teaches, the lesson line, the chart,
               the printed output of every model, and the model files side by side (two
               panes, each with a tab per model, that work without JavaScript)
  lesson.md    the same content in Markdown (code in fenced blocks, the charts linked)
Nothing on the page is written by hand except the models' legend and how to read a line;
every output, time and lesson comes from the transcripts. The page's one inline script
only marks <body> with data-images-ok (or data-images-broken) once it has loaded, for the
browser check (tests/lesson_page_test.py).
Exit status: 0 when both pages were written; 1 with a message when a transcript or a
source file is missing or malformed.
"""

import datetime
import html
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What each model is, in the words of the tutorials it stands for.
MODELS = {
    "sequential": "one call after another, no concurrency",
    "threads": "an OS thread per task (Python's threading)",
    "processes": "a forked process per task (multiprocessing)",
    "callbacks": "Deferreds on a reactor (Twisted)",
    "futures": "futures on an IOLoop (Tornado)",
    "fibers": "greenlets on a hub (gevent)",
    "coroutines": "co_await on an event loop (asyncio)",
}


class LessonError(Exception):
    pass


# ---------------------------------------------------------------------------------------
# Reading the run


def load(out_dir, names):
    """The transcripts, in the order asked for, each with its models' source text."""
    if names:
        paths = [out_dir / f"{n}.transcript.json" for n in names]
    else:
        paths = sorted(out_dir.glob("*.transcript.json"))
        if not paths:
            raise LessonError(f"no *.transcript.json in {out_dir}: run `cmbench lesson` "
                              "(or `cmbench demo SCENARIO --out DIR`) first")
    scenarios = []
    for path in paths:
        if not path.is_file():
            raise LessonError(f"{path} is missing: the scenario has not been run into "
                              f"{out_dir}")
        try:
            t = json.loads(path.read_text(encoding="utf-8"))
            for key in ("scenario", "title", "teaches", "unit_ms", "lesson", "runs"):
                if key not in t:
                    raise LessonError(f"{path} has no '{key}'")
            for run in t["runs"]:
                for key in ("model", "source", "wall_ns", "lines", "error"):
                    if key not in run:
                        raise LessonError(f"{path}: a run has no '{key}'")
        except json.JSONDecodeError as e:
            raise LessonError(f"{path} is not JSON: {e}") from e
        for run in t["runs"]:
            source = ROOT / run["source"]
            if not source.is_file():
                raise LessonError(f"{path}: {run['model']}'s file {run['source']} is not in "
                                  f"the source tree {ROOT}")
            run["code"] = source.read_text(encoding="utf-8")
        t["chart"] = f"{t['scenario']}.png"
        t["ran_at"] = datetime.datetime.fromtimestamp(path.stat().st_mtime)
        if not (out_dir / t["chart"]).is_file():
            print(f"lesson.py: warning: {out_dir / t['chart']} is missing (drawn without "
                  "--no-chart?); the page links it anyway", file=sys.stderr)
        scenarios.append(t)
    return scenarios


def seconds(ns):
    """How the lessons print a wall time (demos::seconds): '6.0 s', '0.35 s'."""
    s = ns / 1e9
    return f"{s:.2f} s" if s < 1.0 else f"{s:.1f} s"


def where_it_ran(run):
    """'one thread', '4 lanes (threads)': as `cmbench demo` prints it."""
    lanes = {line["lane"] for line in run["lines"]}
    if len(lanes) <= 1:
        return "one thread"
    processes = any(lane.startswith("process") for lane in lanes)
    return f"{len(lanes)} lanes ({'the main thread and the processes' if processes else 'threads'})"


def printed(line):
    """The line as the terminal showed it (demos/say.cpp)."""
    return f"[+{line['t_ns'] / 1e9:.3f} s  {line['lane']:<9}]  {line['text']}"


def unit_text(ms, flag=False):
    """'1 s', '50 ms'; as the --unit flag takes it with flag: '1s', '50ms'."""
    sep = "" if flag else " "
    return f"{ms // 1000}{sep}s" if ms % 1000 == 0 else f"{ms}{sep}ms"


# ---------------------------------------------------------------------------------------
# C++ highlighting: a handful of token kinds, enough to read by; no library.

KEYWORDS = set("""alignas alignof auto bool break case catch char class const consteval constexpr
constinit const_cast continue co_await co_return co_yield decltype default delete do double
dynamic_cast else enum explicit export extern false float for friend goto if inline int long
mutable namespace new noexcept nullptr operator private protected public register
reinterpret_cast requires return short signed sizeof static static_assert static_cast struct
switch template this thread_local throw true try typedef typeid typename union unsigned using
virtual void volatile while""".split())

TOKEN = re.compile(r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<preproc>^[ \t]*\#[ \t]*\w+)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])+')
  | (?P<number>\b\d[\d']*(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*\b)
  | (?P<word>[A-Za-z_]\w*)(?P<call>\s*\()?
""", re.VERBOSE | re.DOTALL | re.MULTILINE)


def highlight(code):
    """The code as HTML lines: a list of strings, one per source line, spans never crossing
    a line (so each line can be a block of its own)."""
    pieces = []  # (css class or None, text)
    pos = 0
    for m in TOKEN.finditer(code):
        if m.start() > pos:
            pieces.append((None, code[pos:m.start()]))
        kind = m.lastgroup if m.lastgroup != "call" else "word"
        if m.group("word"):
            word = m.group("word")
            cls = "k" if word in KEYWORDS else ("f" if m.group("call") else None)
            pieces.append((cls, word))
            if m.group("call"):
                pieces.append((None, m.group("call")))
        else:
            cls = {"comment": "c", "preproc": "p", "string": "s", "number": "n"}[kind]
            pieces.append((cls, m.group(0)))
        pos = m.end()
    pieces.append((None, code[pos:]))

    lines, current = [], []
    for cls, text in pieces:
        for i, part in enumerate(text.split("\n")):
            if i:
                lines.append("".join(current))
                current = []
            if part:
                esc = html.escape(part, quote=False)
                current.append(f'<span class="{cls}">{esc}</span>' if cls else esc)
    lines.append("".join(current))
    if lines and lines[-1] == "":
        lines.pop()  # the file's final newline
    return lines


# ---------------------------------------------------------------------------------------
# The page

CSS = """
:root { --ink: #1d232b; --muted: #5b6573; --line: #d8dde4; --paper: #ffffff;
  --wash: #f4f6f9; --accent: #1f5fbf; --lesson: #fff6d6; --lesson-edge: #e0a800;
  --bad: #b3261e; --code-font: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas,
  monospace; }
* { box-sizing: border-box; }
html { font-size: 17px; }
body { margin: 0; color: var(--ink); background: var(--wash);
  font-family: "DejaVu Sans", "Liberation Sans", "Segoe UI", Helvetica, Arial, sans-serif;
  line-height: 1.5; }
main { max-width: 1760px; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
header.page { background: var(--ink); color: #fff; padding: 1.6rem 2rem 1.3rem; }
header.page .inner { max-width: 1760px; margin: 0 auto; }
header.page h1 { margin: 0 0 .3rem; font-size: 2.1rem; letter-spacing: -.01em; }
header.page p { margin: .2rem 0; color: #c9d1dc; }
header.page nav { margin-top: .8rem; display: flex; flex-wrap: wrap; gap: .5rem; }
header.page nav a { color: #fff; text-decoration: none; border: 1px solid #56606d;
  border-radius: 999px; padding: .15rem .8rem; font-size: .95rem; }
header.page nav a:hover { background: #333c48; }
.intro { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  gap: 1rem; margin: 0 0 1.5rem; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 10px;
  padding: 1rem 1.2rem; }
.card h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
dl.models { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
  margin: 0; }
dl.models dt { font-weight: bold; font-family: var(--code-font); font-size: .95rem; }
dl.models dd { margin: 0; color: var(--muted); }
section.scenario { background: var(--paper); border: 1px solid var(--line);
  border-radius: 12px; padding: 1.4rem 1.8rem 1.8rem; margin: 0 0 2.2rem; }
section.scenario > h2 { font-size: 1.9rem; margin: 0 0 .2rem; }
section.scenario > h2 .num { color: var(--accent); }
.meta { color: var(--muted); margin: 0 0 .8rem; font-size: .95rem; }
.meta code { font-family: var(--code-font); }
p.teaches { font-size: 1.15rem; max-width: 70rem; margin: .4rem 0 1rem; }
.lesson { background: var(--lesson); border-left: 6px solid var(--lesson-edge);
  padding: .8rem 1.1rem; font-size: 1.2rem; border-radius: 0 8px 8px 0; margin: 0 0 1.3rem; }
.lesson b { margin-right: .4rem; }
.story { display: grid; grid-template-columns: minmax(0, 1.3fr) minmax(0, 1fr); gap: 1.5rem;
  align-items: start; }
@media (max-width: 1100px) { .story { grid-template-columns: minmax(0, 1fr); } }
.story h3 { margin-top: 0; }
figure.chart { margin: 0; text-align: center; }
figure.chart img { max-width: 100%; height: auto; border: 1px solid var(--line);
  border-radius: 6px; background: #fff; }
figure.chart figcaption { color: var(--muted); font-size: .9rem; }
h3 { font-size: 1.35rem; margin: 1.4rem 0 .6rem; }
.outputs { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr));
  gap: .7rem; }
.run { border: 1px solid var(--line); border-radius: 8px; overflow: hidden;
  background: #fbfcfd; }
.run h4 { margin: 0; padding: .4rem .8rem; background: #eef1f5; font-size: 1.05rem;
  display: flex; justify-content: space-between; gap: 1rem; }
.run h4 .model { font-family: var(--code-font); }
.run h4 .wall { font-weight: normal; color: var(--muted); }
pre.out { margin: 0; padding: .6rem .8rem; font-family: var(--code-font); font-size: .9rem;
  line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.out .t { color: var(--muted); }
pre.out .lane { font-weight: bold; }
.lane0 { color: #1f5fbf; } .lane1 { color: #c2410c; } .lane2 { color: #15803d; }
.lane3 { color: #9333ea; } .lane4 { color: #b91c1c; } .lane5 { color: #0e7490; }
.lane6 { color: #a16207; } .lane7 { color: #be185d; }
.error { color: var(--bad); font-weight: bold; padding: .4rem .8rem; }
.compare { position: relative; }
.compare > input { position: absolute; opacity: 0; pointer-events: none; }
.panes { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr));
  gap: 1rem; }
.pane { border: 1px solid var(--line); border-radius: 8px; overflow: hidden;
  background: #fff; min-width: 0; }
.tabs { display: grid; grid-auto-flow: column; grid-auto-columns: auto;
  background: #eef1f5; border-bottom: 1px solid var(--line); }
.tabs label { text-align: center; padding: .45rem .3rem; cursor: pointer;
  white-space: nowrap; font-family: var(--code-font); font-size: .82rem; color: var(--muted);
  border-right: 1px solid var(--line); }
.tabs label:hover { background: #e2e7ee; color: var(--ink); }
.file { display: none; }
.file .path { padding: .4rem .9rem; font-family: var(--code-font); font-size: .9rem;
  color: var(--muted); border-bottom: 1px solid var(--line); background: #fafbfc; }
pre.code { margin: 0; padding: .6rem 0; font-family: var(--code-font); font-size: .92rem;
  line-height: 1.45; counter-reset: line; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.code .l { display: grid; grid-template-columns: 3.2em 1fr; }
pre.code .l::before { counter-increment: line; content: counter(line); color: #a3acb8;
  text-align: right; padding-right: 1em; user-select: none; }
pre.code .c { color: #4f7d3a; font-style: italic; }
pre.code .k { color: #8a2be2; font-weight: bold; }
pre.code .s { color: #b35900; }
pre.code .n { color: #0b7285; }
pre.code .p { color: #a1003a; }
pre.code .f { color: #1f5fbf; }
.file .printed { border-top: 1px solid var(--line); background: #fbfcfd; }
.file .printed .caption { padding: .3rem .9rem 0; font-size: .85rem; color: var(--muted); }
footer { color: var(--muted); text-align: center; font-size: .9rem; }
img.broken { outline: 4px solid var(--bad); }
@media print {
  body { background: #fff; }
  .tabs { display: none; }
  .file { display: block !important; break-inside: avoid; }
  .pane.right { display: none; }
}
"""

# Marks <body> once everything has loaded: data-images-ok="N" when all N images decoded,
# data-images-broken="a.png b.png" otherwise (and outlines those in red for the teacher).
CHECK_SCRIPT = """
window.addEventListener('load', function () {
  var bad = [];
  for (var i = 0; i < document.images.length; i++) {
    var img = document.images[i];
    if (!img.complete || img.naturalWidth === 0) {
      bad.push(img.getAttribute('src'));
      img.classList.add('broken');
    }
  }
  if (bad.length) document.body.setAttribute('data-images-broken', bad.join(' '));
  else document.body.setAttribute('data-images-ok', String(document.images.length));
});
"""


def esc(text):
    return html.escape(str(text), quote=True)


def ident(*parts):
    return "-".join(re.sub(r"[^A-Za-z0-9_]", "_", p) for p in parts)


def output_html(run, lane_index):
    rows = []
    for line in run["lines"]:
        lane = line["lane"]
        n = lane_index.setdefault(lane, len(lane_index)) % 8
        rows.append(f'<span class="t">[+{line["t_ns"] / 1e9:.3f} s  </span>'
                    f'<span class="lane lane{n}">{esc(f"{lane:<9}")}</span>'
                    f'<span class="t">]</span>  {esc(line["text"])}')
    out = f'<pre class="out">{chr(10).join(rows)}</pre>' if rows else \
        '<pre class="out">(it printed nothing)</pre>'
    if run["error"]:
        out += f'<div class="error">failed: {esc(run["error"])}</div>'
    return out


def scenario_html(number, t):
    name = t["scenario"]
    runs = t["runs"]
    lane_index = {}
    parts = [f'<section class="scenario" id="{esc(ident(name))}">',
             f'<h2><span class="num">{number}.</span> {esc(t["title"])}</h2>',
             f'<p class="meta"><code>cmbench demo {esc(name)} --unit '
             f'{esc(unit_text(t["unit_ms"], True))}'
             f'</code> · one unit = {esc(unit_text(t["unit_ms"]))} · run '
             f'{t["ran_at"]:%Y-%m-%d %H:%M}</p>',
             f'<p class="teaches">{esc(t["teaches"])}</p>',
             f'<p class="lesson"><b>Lesson</b>{esc(t["lesson"])}</p>',
             '<div class="story">',
             f'<figure class="chart"><a href="{esc(t["chart"])}"><img src="{esc(t["chart"])}" '
             f'alt="the timelines of {esc(name)} in every model, stacked on one time axis">'
             '</a><figcaption>Each model\'s run, top to bottom on one time axis: its OS '
             'threads above, its tasks below (light bands: waiting; solid: running). Click '
             'for the full size.</figcaption></figure>',
             '<div class="printed-all"><h3>What each model printed</h3><div class="outputs">']
    for run in runs:
        parts.append(f'<article class="run"><h4><span class="model">{esc(run["model"])}</span>'
                     f'<span class="wall">{esc(seconds(run["wall_ns"]))} · '
                     f'{esc(where_it_ran(run))}</span></h4>{output_html(run, lane_index)}'
                     '</article>')
    parts.append('</div></div></div>')

    # Two panes, a radio group each: pick any two models and read their files side by side.
    parts.append('<h3>The code, side by side</h3>')
    parts.append('<p class="meta">Pick a model in each pane: the file as it was built, and '
                 'what it printed.</p>')
    panes = [("left", 0), ("right", len(runs) - 1)] if len(runs) > 1 else [("left", 0)]
    parts.append('<div class="compare">')
    for side, default in panes:
        for i, run in enumerate(runs):
            checked = " checked" if i == default else ""
            parts.append(f'<input type="radio" name="{esc(ident("tab", name, side))}" '
                         f'id="{esc(ident("tab", name, side, run["model"]))}"{checked}>')
    parts.append('<div class="panes">')
    for side, _ in panes:
        parts.append(f'<div class="pane {side}"><div class="tabs">')
        for run in runs:
            parts.append(f'<label for="{esc(ident("tab", name, side, run["model"]))}">'
                         f'{esc(run["model"])}</label>')
        parts.append('</div>')
        for run in runs:
            code = "".join(f'<span class="l"><span>{line}</span></span>'
                           for line in highlight(run["code"]))
            parts.append(f'<div class="file {esc(ident("m", run["model"]))}">'
                         f'<div class="path">{esc(run["source"])} · '
                         f'{len(run["code"].splitlines())} lines</div>'
                         f'<pre class="code">{code}</pre>'
                         f'<div class="printed"><div class="caption">printed, '
                         f'{esc(seconds(run["wall_ns"]))}:</div>'
                         f'{output_html(run, lane_index)}</div></div>')
        parts.append('</div>')
    parts.append('</div></div></section>')

    # The rules that show the checked tab's file and highlight its label.
    rules = []
    for side, _ in panes:
        for run in runs:
            rid = ident("tab", name, side, run["model"])
            rules.append(f'#{rid}:checked ~ .panes .{side} .{ident("m", run["model"])} '
                         '{ display: block; }')
            rules.append(f'#{rid}:checked ~ .panes .{side} label[for="{rid}"] '
                         '{ background: #fff; color: var(--ink); font-weight: bold; '
                         'box-shadow: inset 0 -3px 0 var(--accent); }')
            rules.append(f'#{rid}:focus-visible ~ .panes .{side} label[for="{rid}"] '
                         '{ outline: 2px solid var(--accent); }')
    return "\n".join(parts), "\n".join(rules)


def models_legend(scenarios):
    seen = []
    for t in scenarios:
        for run in t["runs"]:
            if run["model"] not in seen:
                seen.append(run["model"])
    rows = "".join(f'<dt>{esc(m)}</dt><dd>{esc(MODELS.get(m, ""))}</dd>' for m in seen)
    return f'<dl class="models">{rows}</dl>'


def page_html(scenarios):
    sections, rules = [], []
    for number, t in enumerate(scenarios, 1):
        section, rule = scenario_html(number, t)
        sections.append(section)
        rules.append(rule)
    nav = "".join(f'<a href="#{esc(ident(t["scenario"]))}">{n}. {esc(t["title"])}</a>'
                  for n, t in enumerate(scenarios, 1))
    units = sorted({unit_text(t["unit_ms"]) for t in scenarios})
    ran = max(t["ran_at"] for t in scenarios)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cmbench · the lessons, seen in seven models</title>
<style>{CSS}
{chr(10).join(rules)}
</style>
</head>
<body>
<header class="page"><div class="inner">
<h1>Concurrency, seen in seven models</h1>
<p>The tutorials' examples, each written once per model and run for real by
<code>cmbench lesson</code> on {ran:%Y-%m-%d %H:%M}; one unit of time = {esc(", ".join(units))}.</p>
<nav>{nav}</nav>
</div></header>
<main>
<div class="intro">
<div class="card"><h2>The models</h2>{models_legend(scenarios)}</div>
<div class="card"><h2>How to read a printed line</h2>
<pre class="out"><span class="t">[+1.001 s  </span><span class="lane lane0">thread A </span>\
<span class="t">]</span>  Task 3 finished</pre>
<p>The time since the model's run began; the lane that spoke (<b>thread A</b> started the
run, <b>B</b>, <b>C</b> … are other OS threads, <b>process B</b> a forked child); what
happened. Tasks speaking from one lane took turns on one thread: that is concurrency.
Tasks on lanes of their own may run at the same moment: that is parallelism.</p>
<p>The chart under each lesson draws the same runs: one block per model, OS threads on top,
tasks below, one time axis for all.</p></div>
</div>
{chr(10).join(sections)}
<footer>Generated by scripts/lesson.py from the run's transcripts, charts and the models'
source files.</footer>
</main>
<script>{CHECK_SCRIPT}</script>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------
# The Markdown twin


def fence(text, info=""):
    """A fenced block longer than any run of backticks inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    f = "`" * max(3, longest + 1)
    return f"{f}{info}\n{text.rstrip(chr(10))}\n{f}\n"


def slug(heading):
    """The anchor Markdown renderers give a heading: '1. Three tasks' -> '1-three-tasks'."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def page_md(scenarios):
    units = sorted({unit_text(t["unit_ms"]) for t in scenarios})
    ran = max(t["ran_at"] for t in scenarios)
    out = ["# Concurrency, seen in seven models\n",
           "The tutorials' examples, each written once per model and run for real by "
           f"`cmbench lesson` on {ran:%Y-%m-%d %H:%M}; one unit of time = {', '.join(units)}.\n",
           "A printed line reads `[+time  lane]  what happened`: the time since the model's run "
           "began, and the lane that spoke (`thread A` started the run, `B`, `C` … are other OS "
           "threads, `process B` a forked child). Tasks on one lane took turns on one thread "
           "(concurrency); tasks on lanes of their own may run at the same moment "
           "(parallelism).\n"]
    for n, t in enumerate(scenarios, 1):
        out.append(f"- [{n}. {t['title']}](#{slug(f'{n}. ' + t['title'])})")
    out.append("")
    for n, t in enumerate(scenarios, 1):
        name = t["scenario"]
        out.append(f"## {n}. {t['title']}\n")
        out.append(f"`cmbench demo {name} --unit {unit_text(t['unit_ms'], True)}`\n")
        out.append(f"{t['teaches']}\n")
        out.append(f"> **Lesson:** {t['lesson']}\n")
        out.append(f"![the timelines of {name} in every model]({t['chart']})\n")
        out.append("| model | wall time | where |\n|---|---:|---|")
        for run in t["runs"]:
            failed = " (failed)" if run["error"] else ""
            out.append(f"| `{run['model']}`{failed} | {seconds(run['wall_ns'])} | "
                       f"{where_it_ran(run)} |")
        out.append("")
        for run in t["runs"]:
            label = MODELS.get(run["model"], "")
            out.append(f"### {name} · {run['model']}" + (f" — {label}" if label else "") + "\n")
            out.append(f"`{run['source']}`\n")
            out.append(fence(run["code"], "cpp"))
            out.append(f"Printed ({seconds(run['wall_ns'])} on {where_it_ran(run)}):\n")
            text = "\n".join(printed(line) for line in run["lines"]) or "(it printed nothing)"
            if run["error"]:
                text += f"\nfailed: {run['error']}"
            out.append(fence(text, "text"))
    return "\n".join(out)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    out_dir = Path(argv[1])
    if not out_dir.is_dir():
        print(f"lesson.py: {out_dir} is not a folder", file=sys.stderr)
        return 1
    try:
        scenarios = load(out_dir, argv[2:])
    except LessonError as e:
        print(f"lesson.py: {e}", file=sys.stderr)
        return 1
    (out_dir / "lesson.html").write_text(page_html(scenarios), encoding="utf-8")
    (out_dir / "lesson.md").write_text(page_md(scenarios), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
