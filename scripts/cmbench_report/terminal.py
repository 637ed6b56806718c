"""The short table printed after a run, one line per parameter group."""

from cmbench_report.formatting import STATUS_SHORT


def terminal_summary(cells, workloads, models, width=120):
    """Per parameter group, every model at the largest scale where anything ran.

    `workloads` is [(name, groups, view)]: the view says what a verified cell shows (its
    wall time and speed-up, or the workload's first charted metric and that metric's
    ratio). Columns that would not fit in `width` go to a second block below, as a
    terminal would otherwise wrap every line and scramble the table."""
    present = [m for m in models if any(c.model == m for c in cells)]
    ok = sum(c.ok for c in cells)
    head = [f"{len(cells)} cells, {ok} with a verified time."]
    legends = [view.legend(name) for name, _, view in workloads]
    if any(legend is None for legend in legends) or not cells:
        head[0] += " Median wall time at the largest scale that ran; × = speed-up vs sequential"
    head += [legend for legend in legends if legend is not None]
    if not present:
        return head[0]
    rows = [["", *present]]
    for name, groups, view in workloads:
        rows.append([name] + [""] * len(present))
        for g in groups:
            timed = [s for s in g.scales if any(c.ok for (m, x), c in g.cells.items() if x == s)]
            scale = (timed or g.scales)[-1]
            line = [f"  {g.label}  {g.scale_label(scale)}"]
            for m in present:
                c = g.cells.get((m, scale))
                if c is not None and c.ok:
                    line.append(view.brief(g, c, m, scale))
                else:
                    line.append("—" if c is None else STATUS_SHORT.get(c.status, c.status))
            rows.append(line)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    blocks, used = [[]], widths[0]
    for i in range(1, len(widths)):
        if blocks[-1] and used + 2 + widths[i] > width:
            blocks.append([])
            used = widths[0]
        blocks[-1].append(i)
        used += 2 + widths[i]
    for columns in blocks:
        head.append("")
        head += ["  ".join(r[i].ljust(widths[i]) for i in [0, *columns]).rstrip() for r in rows]
    return "\n".join(head)
