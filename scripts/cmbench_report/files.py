"""The files a report leaves beside results.json, each written whole or not at all
(timeline.py writes its pictures the same way, with write_atomic)."""

import csv
import io
import os
import tempfile
from pathlib import Path

from cmbench_report.results import COUNTERS


def write_atomic(path, data):
    """Write to a temporary file beside `path`, then rename it over `path` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(cells, param_names, metric_names=()):
    """One row per cell, ok or not, with raw numbers (seconds, ratios) for other tools.

    The workloads' metrics come last, one column each (the median, in the metric's unit)."""
    fixed = ["workload", "model", "cpu_budget", "status", "reason", "repetitions", "median_s", "min_s",
             "max_s", "cv", *COUNTERS, "speedup_vs_sequential"]
    params = [(n, f"param_{n}" if n in fixed else n) for n in param_names]
    taken = set(fixed) | {column for _, column in params}
    metrics = [(n, f"metric_{n}" if n in taken else n) for n in metric_names]
    fields = fixed[:3] + [column for _, column in params] + fixed[3:] + \
        [column for _, column in metrics]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()

    def number(x):
        return "" if x is None else f"{x:.6g}"
    for c in cells:
        row = {"workload": c.workload, "model": c.model, "cpu_budget": c.cpu_budget,
               "status": c.status, "reason": c.reason,
               "repetitions": c.repetitions or "", "median_s": number(c.median),
               "min_s": number(c.low), "max_s": number(c.high), "cv": number(c.cv),
               "speedup_vs_sequential": number(c.speedup)}
        row.update({column: c.params.get(n, "") for n, column in params})
        row.update({k: number(c.counters.get(k)) for k in COUNTERS})
        row.update({column: number(c.metric(n)) for n, column in metrics})
        writer.writerow(row)
    return buffer.getvalue()
