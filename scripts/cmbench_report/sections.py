"""The report's content as a list of blocks, rendered alike to Markdown and HTML.

A block is ("h", level, text), ("p", text), ("ul", [text]), ("table", header, rows,
numeric), ("img", path, alt) or ("details", summary, [blocks]).
"""

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cmbench_report.formatting import STATUS_TEXT, Note, fmt_duration, fmt_metric, \
    fmt_speedup, fmt_time, sig3, status_note, why_not
from cmbench_report.groups import twin_pairs
from cmbench_report.results import micro_costs, to_float


HOW_TO_READ = (
    "Each cell (a workload, a model, a set of parameters) ran in its own process. Times are "
    "the wall-clock time of one run of the cell: the median of the repetitions, with the "
    "spread given as min–max across repetitions. CPU utilisation is CPU time (user + system, "
    "reaped child processes included) divided by wall time: above 100 % means several cores "
    "worked at once (parallelism); far below 100 % with many tasks in flight means tasks "
    "overlapped while they waited (concurrency). Speed-up is the sequential median divided "
    "by the model's median at the same parameters, measured in the same run. Peak in flight "
    "is the largest number of tasks measured running at once. A cell without a verified "
    "result shows its status instead of numbers; the reasons are under Failures and limits.")
HOW_TO_READ_METRICS = (
    "A workload that runs for a fixed time (a server under load) has no meaningful wall time "
    "and no speed-up: it shows its own figures instead, each the median of the repetitions "
    "with its unit, one row per model and then the reference implementations, marked as "
    "such; a column headed × epoll divides a figure by epoll's at the same parameters.")


def environment_rows(context, suite):
    """The facts a reader needs to judge or reproduce the numbers; absent ones are left out."""
    def get(key):
        value = context.get(key)
        return "" if value is None or value == "" else str(value)
    cpu = ", ".join(x for x in (get("cmbench_cpu_model"),
                                f"{get('cmbench_cores') or get('num_cpus')} cores") if x.strip())
    repetitions = f"{suite.get('repetitions', '?')}, at least {suite.get('min_time_s', '?')} s each"
    duration = to_float(suite.get("duration_s"))
    slack = get("cmbench_timer_slack_ns")
    rows = [("commit", get("cmbench_commit")), ("CPU", cpu),
            ("compiler", get("cmbench_compiler")),
            ("build", " ".join(x for x in (get("cmbench_build_type"), get("cmbench_flags")) if x)),
            ("kernel", get("cmbench_kernel")), ("libraries", get("cmbench_libraries")),
            ("Python rows", get("cmbench_python")),
            ("timer slack", f"{slack} ns" if slack else ""),
            ("placement", get("cmbench_placement")),
            ("load average", get("cmbench_load_average")), ("host", get("host_name")),
            ("date", get("date") or str(suite.get("started", ""))),
            ("profile", str(suite.get("profile", ""))), ("repetitions", repetitions),
            ("total duration", fmt_duration(duration) if duration is not None else "")]
    if context.get("cpu_scaling_enabled") is True:
        rows.append(("warning", "CPU frequency scaling was enabled: timings are noisier"))
    return [[k, v] for k, v in rows if v]


def header_blocks(doc, cells):
    """The title and one sentence on what the run is: the model card follows, and the
    environment and the method close the report (closing_blocks)."""
    context, suite = doc["context"], doc["cmbench"]
    counts = {}
    for cell in cells:
        counts[cell.status] = counts.get(cell.status, 0) + 1
    tally = ", ".join(f"{n} {STATUS_TEXT.get(s, s)}" for s, n in sorted(counts.items()))
    title = f"cmbench report — {suite.get('profile', '?')} run"
    date = str(context.get("date") or "")[:10]  # the day; the environment table has the time
    cores = context.get("cmbench_cores") or context.get("num_cpus")
    kernel = " ".join(str(context.get("cmbench_kernel") or "").split()[:2])  # "Linux 6.1.0"
    facts = [str(context.get("cmbench_cpu_model") or ""), f"{cores} cores" if cores else "",
               kernel, f"commit {context['cmbench_commit']}" if context.get("cmbench_commit")
               else ""]
    where = f" on {', '.join(x for x in facts if x)}" if any(facts) else ""
    return [("h", 1, f"{title}, {date}" if date else title),
            ("p", f"A {suite.get('profile', '?')} run of {len(cells)} cells ({tally}){where}. "
                  "The environment and how to read the figures close the report.")]


def closing_blocks(doc, with_metrics=False):
    """Where and how the figures were measured: the environment, how to read them, the
    models' catalog."""
    context, suite = doc["context"], doc["cmbench"]
    models = [[str(m["name"]) + (" (reference)" if m.get("reference") is True else ""),
               str(m.get("style", "")), str(m.get("idiom", "")),
               "yes" if m.get("concurrent") else "no", "yes" if m.get("parallel") else "no",
               f"{to_float(m['max_tasks']):,.0f}" if to_float(m.get("max_tasks")) else "no limit"]
              for m in suite["models"]]
    blocks = [("h", 2, "Environment"),
              ("table", ["environment", ""], environment_rows(context, suite), False),
              ("h", 2, "How to read this"), ("p", HOW_TO_READ)]
    if with_metrics:
        blocks.append(("p", HOW_TO_READ_METRICS))
    header = ["model", "style", "idiom", "concurrent", "parallel", "most tasks at once"]
    if models:
        blocks += [("h", 2, "Models"), ("table", header, models, False)]
    return blocks


TWINS_INTRO = (
    "Each row `py-<framework>` is the Python framework itself (CPython 3.11 and Debian's "
    "packages) running the same workload with the same parameters, in the same run, checked "
    "by the same verifier, beside the C++ model that reproduces its style. It is timed the "
    "same way, with one difference: every timed run gets an interpreter of its own, started "
    "and given its imports before the timer starts, so the timed region holds the row's own "
    "work and one pipe round trip to the interpreter. The Python rows are not traced: the "
    "timelines record the models' runtimes only. How each row maps to its twin: "
    "docs/python.md.")
TWINS_COMPARABLE = [
    "Comparable: the work done, its verification, the machine, the load generator, the "
    "placement, the timer, the repetitions.",
    "Not comparable, and part of every ratio: CPython interprets bytecode (one Python-level "
    "operation costs tens of nanoseconds where compiled C++ spends one), allocates an object "
    "for every task, Future, Deferred or greenlet, and its cyclic garbage collector walks "
    "those objects while many are alive.",
    "The GIL: one thread runs Python code at a time, so Python threads overlap their waits "
    "but never their computation (cpu_bound's threading rows), while the C++ threads model "
    "runs in parallel; multiprocessing escapes the GIL at the cost of a forked interpreter "
    "per task or worker.",
    "So a ratio says what the language and its runtime cost for this model; which model suits "
    "the work is read among the C++ rows, or among the Python rows, not across the two.",
]


def twin_blocks(workloads, metrics_by_workload, untimed, models):
    """Every Python row beside its C++ twin: the medians and their ratio, per workload."""
    order = {m: i for i, m in enumerate(models)}
    tables = []
    for name, groups, _ in workloads:
        figures = ([(m.title, m) for m in metrics_by_workload.get(name, []) if m.chart]
                   if name in untimed else [("wall time", None)])
        rows = []
        for group in groups:
            pairs = sorted(twin_pairs(group), key=lambda p: order.get(p[2].model, len(order)))
            for scale, cpp, py in pairs:
                where = f"{group.label}, {group.scale_label(scale)}"
                for title, metric in figures:
                    rows.append([where, title, py.model, *twin_figures(py, cpp, metric)])
        if rows:
            tables += [("h", 3, name),
                       ("table", ["cells", "figure", "Python row", "median", "C++ twin",
                                  "median", "C++ vs Python"], rows, True)]
    if not tables:
        return []
    return [("h", 2, "The Python twins"), ("p", TWINS_INTRO),
            ("p", "What is and is not comparable:"), ("ul", TWINS_COMPARABLE)] + tables


def twin_figures(py, cpp, metric):
    """[Python median, C++ label, C++ median, ratio in words] for one figure."""
    def median(cell):
        if cell is None or not cell.ok:
            return None
        return cell.median if metric is None else cell.metric(metric.name)

    def text(cell, value):
        if value is None:
            return status_note(cell)
        return fmt_time(value) if metric is None else fmt_metric(value, metric)

    mine, theirs = median(py), median(cpp)
    label = cpp.model if cpp is not None else py.twin
    ratio = Note("—")
    if mine and theirs:
        lower_is_better = metric is None or metric.lower_is_better
        cpp_ahead = mine / theirs if lower_is_better else theirs / mine
        word = "faster" if metric is None else "better"
        ratio = (f"C++ {fmt_speedup(cpp_ahead)} {word}" if cpp_ahead >= 1
                 else f"Python {fmt_speedup(1 / cpp_ahead)} {word}")
    return [text(py, mine), label, text(cpp, theirs), ratio]


def group_blocks(group, view, charts):
    """One parameter group, whatever its workload measures: heading, tables, the yardstick
    it lacks, what was not measured and why, charts (kept in `charts` by path), details."""
    rows = view.rows(group)
    blocks = [("h", 3, f"{group.workload} · {group.label}")]
    blocks += view.tables(group, rows)
    blocks += view.notes(group, rows)
    missing = {}  # why -> labels, so seven identical timeouts make one line
    for s in group.scales:
        for m in rows:
            if (c := group.cells.get((m, s))) is not None and not c.ok:
                missing.setdefault((s, why_not(c)), []).append(m)
    if missing:
        blocks += [("p", "Not measured:"), ("ul", [f"{', '.join(ms)} at {group.scale_label(s)}: "
                                                   f"{why}" for (s, why), ms in missing.items()])]
    for kind, title, png, *after in view.charts(group, rows):
        if png is not None:
            path = f"charts/{group.workload}-{group.slug}-{kind}.png"
            charts[path] = png
            blocks.append(("img", path, f"{group.workload} {group.label}: {title}"))
        for extra in after:  # its caption and table, or the note on why it is missing
            blocks += extra
    return blocks + view.details(group, rows)


def workload_blocks(workload, groups, view, charts):
    name = workload["name"]
    blocks = [("h", 2, f"{name} — {workload['title']}" if workload.get("title") else name)]
    if workload.get("summary"):
        blocks.append(("p", str(workload["summary"])))
    params = [f"{p['name']} ({p.get('kind', '?')}, default {p.get('default', '?')})"
              + (f": {p['help']}" if p.get("help") else "")
              + (" — the scale" if p["name"] == workload.get("scale_param") else "")
              for p in workload.get("params") or [] if isinstance(p, dict) and p.get("name")]
    if params:
        blocks.append(("ul", params))
    blocks += view.intro()
    for group in groups:
        blocks += group_blocks(group, view, charts)
    return blocks


def micro_blocks(doc):
    """The runtimes' costs: ns per operation, each beside its reference in the same run.

    The reference of a topic is its `floor` (the least any implementation could do) or its
    `raw_*` row (a structure without the loop around it)."""
    topics = micro_costs(doc)
    if not topics:
        return []
    blocks = [("h", 2, "Runtime costs (micro-benchmarks)"),
              ("p", "Nanoseconds per operation, median of the repetitions, measured in this run "
                    "(`cmbench micro`). The ratio is against the topic's reference row: its floor "
                    "(the least any implementation could do) or the raw structure alone.")]
    for topic, rows in topics.items():
        ref = next((v for r, v, _ in rows if r == "floor" or r.startswith("raw")), None)
        table = [[row, f"{sig3(v)} ns", f"{v / ref:.2f}×" if ref else Note("—"), str(n)]
                 for row, v, n in rows]
        blocks += [("h", 3, topic), ("table", ["row", "per operation", "vs reference", "reps"],
                                     table, True)]
    return blocks


def timeline_blocks(suite, run_dir, charts):
    """Each workload's timelines, one traced run per implementation stacked on one time axis
    (drawn by timeline.py); the JSON files stay beside the report, for Perfetto."""
    rows = [r for r in suite.get("timelines") or [] if isinstance(r, dict)]
    if not rows:
        return []
    blocks = [("h", 2, "Timelines"),
              ("p", "One more run of each workload per implementation, recorded after the "
                    "timed cells and never timed itself. Top of each block: what each OS thread "
                    "or process ran (a gap is idle or blocked) and how many cores were busy; "
                    "below: each task's states (running, ready, waiting on a timer, I/O, a "
                    "lock, a join, the pool) with its spawn and wake-up arrows. The caption's "
                    "overlap meter reads concurrency as Σ task time ÷ wall and parallelism as "
                    "CPU ÷ wall. Open any `timelines/*.json` in ui.perfetto.dev for the same "
                    "run, zoomable. How to read them: docs/timelines.md.")]
    workloads = {}
    for row in rows:
        workloads.setdefault(str(row.get("workload", "?")), []).append(row)
    jobs = {workload: ([Path(run_dir) / str(r["json"]) for r in members
                        if r.get("status") == "ok"],
                       Path(run_dir) / "charts" / f"timeline-{workload}")
            for workload, members in workloads.items()}
    drawn = draw_timelines({w: job for w, job in jobs.items() if job[0]})
    for workload, members in workloads.items():
        blocks.append(("h", 3, f"{workload}: {members[0].get('cell', '').split('/', 2)[-1]}"))
        ok = [r for r in members if r.get("status") == "ok"]
        if ok:
            png, error = drawn[workload]
            if png is not None:
                path = f"charts/timeline-{workload}.png"
                charts[path] = Path(png).read_bytes()
                blocks.append(("img", path, f"{workload}: timelines of every model"))
            else:
                blocks.append(("p", f"The timelines could not be drawn: {error}"))
            blocks.append(("ul", [f"{r.get('label')}: {r.get('json')}" for r in ok]))
        failed = [r for r in members if r.get("status") != "ok"]
        if failed:
            blocks += [("p", "Not recorded:"),
                       ("ul", [f"{r.get('label')}: {r.get('reason') or r.get('status')}"
                               for r in failed])]
    return blocks


def draw_one_timeline(job):
    """(PNG path, None), or (None, why) when the traces cannot be drawn."""
    import timeline  # scripts/timeline.py, beside this package
    traces, stem = job
    try:
        [png] = timeline.draw(traces, stem, formats=(".png",))  # the report shows the PNG
        return png, None
    except (timeline.TraceError, OSError) as e:
        return None, str(e)


def draw_timelines(jobs):
    """{name: (traces, stem)} -> {name: (PNG path or None, why)}. The timelines are most of
    the report's time and independent of each other: one process draws each, as many at
    once as there are CPUs."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers <= 1:
        return {name: draw_one_timeline(job) for name, job in jobs.items()}
    with ProcessPoolExecutor(workers) as pool:
        return dict(zip(jobs, pool.map(draw_one_timeline, jobs.values())))


def failure_blocks(cells, micro):
    """Every cell without a verified time, and the micro-benchmarks' process if it failed."""
    rows = [[c.name, STATUS_TEXT.get(c.status, c.status), c.reason or Note("—"),
             c.log or Note("—")] for c in cells if not c.ok]
    if isinstance(micro, dict) and micro.get("status") not in (None, "ok", "not run"):
        rows.append(["micro-benchmarks", str(micro["status"]), str(micro.get("reason") or "—"),
                     str(micro.get("log") or "—")])
    if not rows:
        return [("h", 2, "Failures and limits"), ("p", "Every cell ran and verified its result.")]
    return [("h", 2, "Failures and limits"),
            ("table", ["cell", "status", "reason", "log"], rows, False)]
