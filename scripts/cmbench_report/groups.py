"""Grouping: a workload's cells in parameter groups, the unit of every table and chart."""

import re
from dataclasses import dataclass

from cmbench_report.results import value_key

BASELINE = "sequential"  # speed-up is measured against this model


@dataclass
class Group:
    """Cells of one workload that share every parameter but the scale one: the unit the
    report's tables, charts and summary lines are drawn from (views.py says how)."""
    workload: str
    scale_param: str
    label: str
    slug: str
    scales: list  # scale values as text, ascending
    cells: dict  # (model, scale) -> Cell

    def models(self, order):
        return [m for m in order if any((m, s) in self.cells for s in self.scales)]

    def scale_label(self, scale):
        return f"{self.scale_param}={scale}" if self.scale_param and scale else "one scale"


def ordered_names(declared, seen):
    """Declared order first (the runner's display order), then anything else in the data."""
    names = list(dict.fromkeys(declared))
    return names + [n for n in dict.fromkeys(seen) if n not in names]


def with_variants(declared, seen):
    """The declared models in order, each followed by its variants found in the data."""
    names = []
    for base in declared:
        names.append(base)
        names += [m for m in dict.fromkeys(seen) if m.startswith(base + "-")]
    return ordered_names(names, seen)


def param_label(name, value, kind):
    """'w=(2, 3, 1)' reads better than 'w=2-3-1' for a list parameter."""
    if kind == "list" and "-" in value:
        return f"{name}=({', '.join(value.split('-'))})"
    return f"{name}={value}"


def build_groups(workload, cells):
    """Split a workload's cells into parameter groups, ordered by their parameter values."""
    scale = str(workload.get("scale_param") or "")
    specs = [p for p in workload.get("params") or [] if isinstance(p, dict) and p.get("name")]
    kinds = {str(p["name"]): str(p.get("kind", "")) for p in specs}
    names = ordered_names(list(kinds), sorted({k for c in cells for k in c.params}))
    fixed = [n for n in names if n != scale]
    buckets = {}
    for cell in cells:
        buckets.setdefault(tuple(cell.params.get(n, "") for n in fixed), []).append(cell)
    groups, slugs = [], set()
    for key in sorted(buckets, key=lambda k: [value_key(v) for v in k]):
        members = buckets[key]
        pairs = [(n, v) for n, v in zip(fixed, key) if v]
        label = ", ".join(param_label(n, v, kinds.get(n)) for n, v in pairs) or "all cells"
        slug = re.sub(r"[^A-Za-z0-9.-]+", "_", "_".join(f"{n}{v}" for n, v in pairs)) or "all"
        while slug in slugs:
            slug += "_"
        slugs.add(slug)
        scales = sorted({c.params.get(scale, "") for c in members}, key=value_key)
        groups.append(Group(workload["name"], scale, label, slug, scales,
                            {(c.model, c.params.get(scale, "")): c for c in members}))
    return groups


def compute_speedups(group):
    """Speed-up = sequential median / model median, at the same parameters, in the same run."""
    for (_, scale), cell in group.cells.items():
        base = group.cells.get((BASELINE, scale))
        if cell.ok and base is not None and base.ok:
            cell.speedup = base.median / cell.median


def metric_ratio(group, cell, scale, metric):
    """The cell's median over the ratio_to row's in the same group and scale, or None."""
    base = group.cells.get((metric.ratio_to, scale)) if metric.ratio_to else None
    mine = cell.metric(metric.name) if cell is not None else None
    theirs = base.metric(metric.name) if base is not None else None
    return mine / theirs if mine is not None and theirs else None


def is_reference(label, references):
    """A reference's variants ("nginx-2workers") are references too."""
    return any(label == r or label.startswith(r + "-") for r in references)


def metric_rows_order(labels, references):
    """The models under study in catalog order, then the references, also in catalog order."""
    return [m for m in labels if not is_reference(m, references)] + \
        [m for m in labels if is_reference(m, references)]


def twin_pairs(group):
    """(scale, C++ model's cell or None, Python row's cell) for every row of another runtime
    in the group: each Python row beside the model that reproduces its framework."""
    return [(scale, group.cells.get((cell.twin, scale)), cell)
            for scale in group.scales for (label, at), cell in sorted(group.cells.items())
            if at == scale and cell.twin]
