"""Numbers and statuses as the tables, the charts and the terminal print them."""

STATUS_TEXT = {"beyond_limit": "beyond model limit", "no_data": "no data",
               "unavailable": "not available here"}  # others as they are
STATUS_SHORT = {"beyond_limit": "limit", "no_data": "no data", "unavailable": "n/a here"}


def sig3(value):
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def time_unit(seconds):
    """The unit in which `seconds` reads as 1 to 999."""
    for unit, factor in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= factor:
            return unit, factor
    return "ns", 1e-9


def fmt_time(seconds):
    unit, factor = time_unit(seconds)
    return f"{sig3(seconds / factor)} {unit}"


def fmt_spread(cell):
    """min–max over repetitions, in the unit of the median."""
    if cell.low is None:
        return Note("n/a")
    unit, factor = time_unit(cell.median)
    return f"{sig3(cell.low / factor)}–{sig3(cell.high / factor)} {unit}"


def fmt_speedup(x):
    return f"{x:.0f}×" if x >= 100 else f"{x:.1f}×" if x >= 10 else f"{x:.2f}×"


def fmt_count(x):
    """Compact: 1k, 10k, 8.94k, 96.7."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= limit:
            return f"{x / limit:.3g}{suffix}"
    return f"{x:.3g}"


def fmt_duration(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s" if seconds >= 60 else f"{seconds:.1f} s"


def fmt_metric(value, metric):
    """A time in the unit that reads 1 to 999 ("7.80 µs", "200 ms"); anything else compact,
    its unit left to the column or axis title ("62.3k")."""
    if metric.seconds_per_unit:
        return fmt_time(value * metric.seconds_per_unit) if value > 0 else f"0 {metric.unit}"
    return ("-" + fmt_count(-value)) if value < 0 else fmt_count(value)


def fmt_metric_spread(cell, metric):
    """min–max over repetitions; a time in the unit of the median, as fmt_spread."""
    low, high = cell.metric_range(metric.name)
    if low is None:
        return Note("—")
    if metric.seconds_per_unit and low > 0:
        unit, factor = time_unit(cell.metric(metric.name) * metric.seconds_per_unit)
        low, high = (sig3(v * metric.seconds_per_unit / factor) for v in (low, high))
        return f"{low} {unit}" if low == high else f"{low}–{high} {unit}"
    low, high = fmt_metric(low, metric), fmt_metric(high, metric)
    return low if low == high else f"{low}–{high}"


def fmt_ratio(x, label):
    """'1.05× epoll': the cell's median over the reference row's, whichever way is better."""
    return f"{fmt_speedup(x)} {label}"


class Note(str):
    """Table text standing for a missing number (a status, a dash): dimmed in HTML,
    italic in Markdown."""


def why_not(cell):
    """The status and its reason, without saying 'timeout: timeout after 60 s'."""
    status = STATUS_TEXT.get(cell.status, cell.status)
    if not cell.reason or cell.reason.startswith(status):
        return cell.reason or status
    return f"{status}: {cell.reason}"


def status_note(cell):
    return Note("not run") if cell is None else Note(STATUS_TEXT.get(cell.status, cell.status))
