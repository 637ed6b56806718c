"""The model card: one table that opens the report, a row per model under study.

A reader opens a report to choose a model, and the choice turns on a handful of figures
that the workloads measure one at a time: what a switch between tasks costs, what a task
costs to start and to keep waiting, how many can wait at once, whether computing goes faster
on every CPU, what serving a request costs, how much code a workload takes, and how far the
Python framework the model is named after lands from it. The card gathers them, each from
the cells of this run (the median of its repetitions), and its footnotes name those cells.

What the card guarantees:
- a figure only from this run's own cells (and the lines of code, from this checkout);
- "—" where this run has no cell that measures it (a quick run, a run of some workloads),
  and the cell's status ("beyond model limit", "failed") where it ran without a result;
- one choice of cells per column, the same for every model where possible: the scale at
  which the most models have the figure, the largest of those on a tie. A model without it
  there takes it from the largest scale it reached, and the footnote says so.
What it does not: compare runs (a figure means something beside the others of its column,
measured together), nor weigh the figures into a verdict.
Cost: a pass over the run's cells per column, and reading the models' workload files once.
"""

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from cmbench_report.formatting import STATUS_SHORT, Note, fmt_count, fmt_metric, fmt_speedup, \
    fmt_time, status_note
from cmbench_report.groups import BASELINE, build_groups, compute_speedups, ordered_names, \
    twin_pairs, with_variants
from cmbench_report.results import micro_costs, numeric_value, to_float, workload_metrics

ROOT = Path(__file__).resolve().parents[2]  # the checkout whose workloads/ are counted
DASH = Note("—")


@dataclass
class Entry:
    """One figure of the card: its text, its number (in the column's unit) and the cells it
    was read from, as the footnote names them."""
    text: str
    value: float
    source: str


@dataclass
class Column:
    """A column: its title, what its figure is (for the footnote), and per model an Entry,
    or a Note (a status, "—") where there is no figure. `group` and `scale` are the cells
    most of its figures came from, for a chart to draw the same ones (None if none)."""
    key: str  # "switch", "spawn", "memory", "reach", "speedup", "server", "lines", "twin"
    title: str
    what: str
    entries: dict
    group: object = None
    scale: str = None

    def footnote(self, models):
        """'title — what. From: A (m1, m2); B (m3)', or with a single source, no names."""
        sources = {}
        for m in models:
            entry = self.entries.get(m)
            if isinstance(entry, Entry):
                sources.setdefault(entry.source, []).append(m)
        if not sources:
            return f"{self.title} — {self.what}. This run has no cell that measures it."
        if len(sources) == 1:
            return f"{self.title} — {self.what}. From: {next(iter(sources))}."
        parts = [f"{source} ({', '.join(ms)})" for source, ms in sources.items()]
        return f"{self.title} — {self.what}. From: {'; '.join(parts)}."


@dataclass
class Card:
    """The columns, and what they were read from, for the headline charts to draw alike."""
    models: list
    columns: list = field(default_factory=list)
    groups: dict = field(default_factory=dict)  # workload -> its parameter groups
    metrics: dict = field(default_factory=dict)  # workload -> {metric name: Metric}
    cpus: int = None  # how many CPUs the cells could use, where known

    def column(self, key):
        return next(c for c in self.columns if c.key == key)

    def blocks(self):
        def text(entry):
            return entry.text if isinstance(entry, Entry) else entry if entry else DASH
        header = ["model"] + [c.title for c in self.columns]
        rows = [[m] + [text(c.entries.get(m)) for c in self.columns] for m in self.models]
        notes = [c.footnote(self.models) for c in self.columns]
        return [("h", 2, "Model card"),
                ("p", "One row per model, each figure from this run's own cells (the median "
                      "of their repetitions; the spread is in the workload's section). "
                      "— means this run has no cell that measures it."),
                ("table", header, rows, True),
                ("details", "Where each column comes from", [("ul", notes)])]


def model_card(doc, cells, root=ROOT):
    """The card of a run: `doc` as load_results gives it, `cells` as build_cells does (only
    those that could use every CPU are read)."""
    suite = doc["cmbench"]
    cells = [c for c in cells if c.cpu_budget == "all"]
    declared = [str(m["name"]) for m in suite["models"]]
    under_study = [str(m["name"]) for m in suite["models"] if m.get("reference") is not True
                   and not str(m["name"]).startswith("py")]
    seen = {c.model for c in cells}
    models = [m for m in under_study if m in seen]
    order = with_variants(declared, [c.model for c in cells])
    meta = {str(w["name"]): w for w in suite["workloads"]}
    groups = {}
    for name in ordered_names(list(meta), [c.workload for c in cells]):
        members = [c for c in cells if c.workload == name]
        if members:
            groups[name] = build_groups(meta.get(name, {"name": name}), members)
    metrics = {name: {m.name: m for m in workload_metrics(w)} for name, w in meta.items()}
    micro = micro_costs(doc)
    card = Card(models, groups=groups, metrics=metrics, cpus=cpu_count(doc, cells))
    card.columns = [
        switch_column(groups, metrics, micro, models),
        spawn_column(groups, metrics, micro, models),
        memory_column(groups, metrics, models),
        reach_column(groups, models),
        speedup_column(groups, models, card.cpus),
        server_column(groups, metrics, models),
        lines_column(models, root),
        twin_column(groups, models, order),
    ]
    return card


# --- choosing the cells --------------------------------------------------------------------

def where(group, scale):
    """'ping_pong, place=same, R=1000': the cells a figure was read from."""
    parts = [group.workload] + ([group.label] if group.label != "all cells" else [])
    if scale:
        parts.append(group.scale_label(scale))
    return ", ".join(parts)


def common_scale(group, models, value):
    """The scale at which the most models have a value; the largest such on a tie."""
    counts = [(sum(1 for m in models if value_at(group, m, s, value) is not None), i)
              for i, s in enumerate(group.scales)]
    best = max(counts)
    return group.scales[best[1]] if best[0] else None


def value_at(group, model, scale, value):
    cell = group.cells.get((model, scale))
    return value(cell) if cell is not None and cell.ok else None


def read_column(column, groups, models, value, text, first_scale=False):
    """Fill `column` from `groups` (in order of preference): each model's figure at the
    group's chosen scale (the common one, or the first), else at the largest scale it
    reached in that group, else from the next group; a model whose cells all lack it shows
    the status of its first cell."""
    for group in groups:
        scale = group.scales[0] if first_scale else common_scale(group, models, value)
        if scale is None:
            continue
        if column.group is None:
            column.group, column.scale = group, scale
        for m in models:
            if isinstance(column.entries.get(m), Entry):
                continue
            tried = [scale] + [s for s in reversed(group.scales) if s != scale]
            for s in tried:
                v = value_at(group, m, s, value)
                if v is not None:
                    column.entries[m] = Entry(text(v), v, where(group, s))
                    break
    for m in models:
        if m not in column.entries:
            cell = next((g.cells.get((m, s)) for g in groups for s in g.scales
                         if (m, s) in g.cells), None)
            column.entries[m] = status_note(cell) if cell is not None else DASH
    return column


def metric_value(name):
    return lambda cell: cell.metric(name)


def with_param(groups, name, value):
    """The groups whose cells have name=value (all of them if no cell has `name`)."""
    def param(group):
        return next(iter(group.cells.values())).params.get(name)
    if all(param(g) is None for g in groups):
        return list(groups)
    return [g for g in groups if param(g) == value]


def from_micro(column, micro, topics, models):
    """A model the workload left without a figure takes the micro-benchmark row of its own
    name, if the run has one: the same operation measured alone (`cmbench micro`)."""
    for m in models:
        if isinstance(column.entries.get(m), Entry):
            continue
        for topic in topics:
            for row, ns, _ in micro.get(topic, []):
                if row == m:
                    column.entries[m] = Entry(fmt_time(ns * 1e-9), ns, f"micro/{topic}/{row}")
    return column


def fmt_bytes(value):
    """'338 B', '2.7 KiB', '40 KiB', '1.2 MiB'."""
    for limit, suffix in ((1 << 20, "MiB"), (1 << 10, "KiB")):
        if value >= limit:
            shown = value / limit
            return f"{shown:.1f} {suffix}" if shown < 10 else f"{shown:.0f} {suffix}"
    return f"{value:.0f} B"


# --- the columns ---------------------------------------------------------------------------

def switch_column(groups, metrics, micro, models):
    """ping_pong's time per hand-off with both ends on one CPU: a switch from one task to
    another through the model's own channel. Else the micro-benchmarks' ping-pong rows."""
    column = Column("switch", "switch cost",
                    "ping_pong's time per hand-off, both tasks on one CPU (else the "
                    "micro-benchmark ping-pong row named after the model)", {})
    metric = metrics.get("ping_pong", {}).get("ns_per_handoff")
    found = groups.get("ping_pong", []) if metric is not None else []
    read_column(column, with_param(found, "place", "same"), models,
                metric_value("ns_per_handoff"), lambda v: fmt_metric(v, metric))
    return from_micro(column, micro, ("task_pingpong", "fiber_pingpong"), models)


def spawn_column(groups, metrics, micro, models):
    """spawn_many's time per task created and joined, N empty tasks (flat) first."""
    column = Column("spawn", "spawn cost",
                    "spawn_many's time to create and join a task that does nothing (else the "
                    "micro-benchmark create row named after the model)", {})
    metric = metrics.get("spawn_many", {}).get("ns_per_task")
    found = groups.get("spawn_many", []) if metric is not None else []
    flat = with_param(found, "shape", "flat")
    read_column(column, flat + [g for g in found if g not in flat], models,
                metric_value("ns_per_task"), lambda v: fmt_metric(v, metric))
    return from_micro(column, micro, ("create_task", "fiber_spawn"), models)


def memory_column(groups, metrics, models):
    column = Column("memory", "memory per waiting task",
                    "memory_per_task's growth of the process per task while N tasks wait on "
                    "one event", {})
    metric = metrics.get("memory_per_task", {}).get("bytes_per_task")
    found = groups.get("memory_per_task", []) if metric is not None else []
    return read_column(column, found, models, metric_value("bytes_per_task"), fmt_bytes)


def reach_column(groups, models):
    """The largest N of sleep_fanout with a verified time, and what stopped the next one."""
    column = Column("reach", "most tasks waiting",
                    "sleep_fanout's largest N (tasks waiting at once) with a verified time; in "
                    "brackets, what stopped a larger N", {})
    cells = [c for g in groups.get("sleep_fanout", []) for c in g.cells.values()]
    tried = sorted({v for c in cells if (v := numeric_value(c.params.get("N", ""))) is not None})
    if tried:
        column.what += f"; this run tried N up to {fmt_count(tried[-1])}"
    for m in models:
        mine = [(numeric_value(c.params.get("N", "")), c) for c in cells if c.model == m]
        mine = [(n, c) for n, c in mine if n is not None]
        if not mine:
            column.entries[m] = DASH
            continue
        reached = [n for n, c in mine if c.ok]
        if not reached:
            column.entries[m] = status_note(min(mine, key=lambda p: p[0])[1])
            continue
        best = max(reached)
        text = f"{best:,.0f}"
        beyond = [(n, c) for n, c in mine if n > best and not c.ok]
        if beyond:
            n, c = min(beyond, key=lambda p: p[0])
            text += f" ({STATUS_SHORT.get(c.status, c.status)} at {fmt_count(n)})"
        column.entries[m] = Entry(text, best, "sleep_fanout")
    return column


def speedup_column(groups, models, cpus):
    """cpu_bound's speed-up over sequential in the largest cell: the one whose sequential
    run took longest, at the scale where the most models have a speed-up."""
    title = f"cpu_bound speed-up on {cpus} CPUs" if cpus else "cpu_bound speed-up"
    column = Column("speedup", title,
                    "sequential's median ÷ the model's, in the cpu_bound cell with the most "
                    "work that could use every CPU; the ideal is the CPU count", {})
    found = groups.get("cpu_bound", [])
    for group in found:
        compute_speedups(group)

    def work(group):
        return max((c.median for (m, _), c in group.cells.items() if m == BASELINE and c.ok),
                   default=0.0)
    return read_column(column, sorted(found, key=work, reverse=True), models,
                       lambda c: c.speedup, fmt_speedup)


def server_column(groups, metrics, models):
    """http_server's server CPU per request, hello variant, at a fixed rate where the run has
    one (the client holds fast servers to its own rate, so their CPU is what tells them
    apart), at the group's first scale."""
    column = Column("server", "server CPU per request",
                    "http_server's server CPU time per request, hello variant, at a fixed rate "
                    "where the run has one, first scale", {})
    metric = metrics.get("http_server", {}).get("server_cpu_us_per_req")
    found = groups.get("http_server", []) if metric is not None else []
    hello = with_param(found, "variant", "hello")

    def rate(group):
        values = [numeric_value(c.params.get("rate", "0")) or 0.0 for c in group.cells.values()]
        r = max(values, default=0.0)
        return (r == 0, r)  # paced groups first, the gentlest rate first
    return read_column(column, sorted(hello, key=rate), models,
                       metric_value("server_cpu_us_per_req"), lambda v: fmt_metric(v, metric),
                       first_scale=True)


def lines_column(models, root):
    column = Column("lines", "lines of workload code", "non-blank, non-comment lines of "
                    "workloads/*/<model>.cpp in this checkout (not necessarily the run's "
                    "commit): a rough proxy for what a learner reads", {})
    for m in models:
        files = sorted((Path(root) / "workloads").glob(f"*/{m}.cpp"))
        if not files:
            column.entries[m] = DASH
            continue
        total = sum(code_lines(f.read_text(encoding="utf-8", errors="replace")) for f in files)
        column.entries[m] = Entry(f"{total:,} in {len(files)} files", total,
                                  "workloads/*/<model>.cpp")
    return column


def code_lines(text):
    """Lines that hold code: neither blank nor only comment (// and /* */), with the
    comment markers inside string and character literals left alone."""
    count, state, code = 0, "code", False  # state: code, block, string, char
    i = 0
    while i < len(text):
        ch, nxt = text[i], text[i + 1:i + 2]
        if ch == "\n":
            count += code
            code = False
            if state in ("string", "char"):  # an unterminated literal ends with its line
                state = "code"
        elif state == "block":
            if ch == "*" and nxt == "/":
                state, i = "code", i + 1
        elif state in ("string", "char"):
            code = True
            if ch == "\\":
                i += 1  # an escaped quote does not close the literal
            elif ch == ('"' if state == "string" else "'"):
                state = "code"
        elif ch == "/" and nxt == "/":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif ch == "/" and nxt == "*":
            state, i = "block", i + 1
        elif not ch.isspace():
            code = True
            if ch == '"':
                state = "string"
            elif ch == "'" and not (i and text[i - 1].isalnum()):  # not a digit separator
                state = "char"
        i += 1
    return count + code


def twin_column(groups, models, order):
    """The Python framework's row beside its C++ twin on sleep_fanout: how many times longer
    it took, at the largest N where both have a verified time."""
    column = Column("twin", "Python twin on sleep_fanout",
                    "the Python framework's median wall time ÷ the model's, same parameters, "
                    "the largest N where both ran (the framework the model is named after: "
                    "py-asyncio rather than py-uvloop)", {})
    rank = {m: i for i, m in enumerate(order)}
    pairs = [(g, scale, cpp, py) for g in groups.get("sleep_fanout", [])
             for scale, cpp, py in twin_pairs(g)]
    for m in models:
        mine = [p for p in pairs if p[3].twin == m]
        if not mine:
            column.entries[m] = DASH
            continue
        first = min(rank.get(p[3].model, len(rank)) for p in mine)
        mine = [p for p in mine if rank.get(p[3].model, len(rank)) == first]
        both = [p for p in mine if p[2] is not None and p[2].ok and p[3].ok]
        if not both:
            py = mine[0][3]
            why = status_note(py) if not py.ok else "no C++ cell"
            column.entries[m] = Note(f"{py.model}: {why}")
            continue
        group, scale, cpp, py = max(both, key=lambda p: numeric_value(p[1]) or 0.0)
        ratio = py.median / cpp.median
        words = f"{fmt_speedup(ratio)} slower" if ratio >= 1 else \
            f"{fmt_speedup(1 / ratio)} faster"
        column.entries[m] = Entry(f"{py.model} {words}", ratio, where(group, scale))
    return column


def cpu_count(doc, cells):
    """How many CPUs the cells could use: as the cells record it, else the machine's."""
    counts = [c.cpus for c in cells if c.cpus and c.workload == "cpu_bound"]
    if counts:
        return int(statistics.median(counts))
    context = doc["context"]
    number = to_float(context.get("cmbench_cores")) or to_float(context.get("num_cpus"))
    return int(number) if number else None
