"""Across links: every cell that ran with its server and client on other hosts (network
namespaces of scripts/hosts, or machines: docs/multi-host.md), beside the same cell over
loopback in the same run.

On loopback the kernel does both sides' work on the same cores; across a link each packet
goes through a device, and a shaped link can be full. The ratio to loopback says what the
link cost each model: about 1× for a link the model's traffic never notices.
"""

from cmbench_report.formatting import Note, fmt_metric, fmt_speedup, fmt_time, status_note

HOSTS = ("server", "client")

INTRO = (
    "These cells ran with their server and client on two hosts, across a link: a veth pair "
    "between network namespaces (cmbench-b: plain; cmbench-c: shaped by tbf; cmbench-d: "
    "netem's delay, where the kernel has it) or two machines. Each is set beside the same "
    "cell over loopback in this run; the ratio divides the link's figure by loopback's, so "
    "about 1× means the link cost this model nothing it could measure.")


def crosses(cell):
    return any(cell.params.get(h, "loopback") != "loopback" for h in HOSTS)


def figure(cell, metric):
    """The cell's figure: its wall-time median, or `metric`'s median (untimed workloads)."""
    if not cell.ok:
        return None
    return cell.metric(metric.name) if metric else cell.median


def shown(cell, metric, base):
    """"17.5 µs (1.01×)": the figure, and its ratio to the loopback cell's where both ran."""
    if cell is None:
        return Note("—")
    value = figure(cell, metric)
    if value is None:
        return status_note(cell)
    text = fmt_metric(value, metric) if metric else fmt_time(value)
    base_value = figure(base, metric) if base is not None else None
    return f"{text} ({fmt_speedup(value / base_value)})" if base_value else text


def link_metric(metrics):
    """An untimed workload's figure across a link: its server's CPU per answer, which a
    link could change, else its first figure."""
    for m in metrics or []:
        if m.name.startswith("server_cpu_us_per_"):
            return m
    return (metrics or [None])[0]


def links_blocks(every, meta, metrics_by_workload, untimed):
    """The section, or nothing when no cell of the run crossed a link."""
    across = [c for c in every if c.cpu_budget == "all" and crosses(c)]
    if not across:
        return []
    by_key = {}
    for c in every:
        if c.cpu_budget == "all":
            rest = tuple(sorted((k, v) for k, v in c.params.items() if k not in HOSTS))
            host = (c.params.get("server", "loopback"), c.params.get("client", "loopback"))
            by_key[(c.workload, c.model, rest, host)] = c
    blocks = [("h", 2, "Across links"), ("p", INTRO)]
    for workload in dict.fromkeys(c.workload for c in across):
        cells = [c for c in across if c.workload == workload]
        metric = link_metric(metrics_by_workload.get(workload)) if workload in untimed else None
        hosts = sorted({(c.params["server"], c.params["client"]) for c in cells})
        rows = []
        for model, rest in dict.fromkeys((c.model, tuple(sorted(
                (k, v) for k, v in c.params.items() if k not in HOSTS))) for c in cells):
            base = by_key.get((workload, model, rest, ("loopback", "loopback")))
            rows.append([", ".join(f"{k}={v}" for k, v in rest), model,
                         shown(base, metric, None)] +
                        [shown(by_key.get((workload, model, rest, h)), metric, base)
                         for h in hosts])
        what = f"{metric.title} ({metric.unit})" if metric else "median wall time"
        blocks += [("h", 3, workload), ("p", f"{what}; the ratio is to loopback."),
                   ("table", ["cells", "model", "loopback"] +
                    [f"{s} → {c}" if s != c else s for s, c in hosts], rows, True)]
    return blocks
