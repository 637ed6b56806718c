"""Warnings about the run itself, pyperf-style: cells whose numbers may not mean what they say.

Three checks, each on the verified cells:
  spread   the repetitions disagree: coefficient of variation over CV_LIMIT (of the wall
           time, or of the workload's first charted figure when the wall time is no result);
  load     the machine was busy when the cell began: its 1-minute load average over
           LOAD_SHARE of the CPUs;
  speed    the VM's speed changed. A fixed amount of arithmetic (the probe) is timed just
           before and just after every cell; this VM runs in "bands" whose probe times are
           about 1.3x apart and switches between them over minutes. The run's probe times
           are clustered into bands; a cell whose two probes differ by more than
           PROBE_CHANGE straddled a change, and a parameter group whose cells ran in
           different bands is named, since its rows are then compared across bands.

Results written before the suite recorded `loadavg` and `probe` lack them: the section says
which check it could not make, and falls back to the load average of the whole run where
the context has it. The checks only warn; no number is changed or hidden.
"""

import math
import statistics

from cmbench_report.formatting import Note, fmt_time
from cmbench_report.groups import build_groups
from cmbench_report.results import to_float

CV_LIMIT = 0.10  # pyperf warns from 10 %; a difference smaller than the spread is noise
LOAD_SHARE = 0.5  # load average above half the CPUs: other work shared the machine
PROBE_CHANGE = 0.20  # before and after probes further apart than this: the speed changed
BAND_RATIO = 1.15  # two clusters of probe times this far apart (medians) are distinct bands
BAND_EXPLAINED = 0.8  # ... when the split explains this share of the probes' variance
MIN_BAND_SHARE = 0.05  # a band holds at least this share of the probes (and at least 3)


def percent(share):
    return f"{share * 100:.0f} %"


def cell_label(cell):
    return f"{cell.name} (1 CPU)" if cell.cpu_budget == "one" else cell.name


def cv_of(values):
    """Sample standard deviation over mean, as Google Benchmark's cv aggregate; None for
    fewer than two values or a mean of zero or less."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.stdev(values) / mean if mean > 0 else None


def spread_figure(cell, metrics_by_workload, untimed):
    """(what the spread is of, CV) of a verified cell: its wall time, or the first charted
    figure of a workload that runs for a fixed time (its wall time is set by parameters)."""
    if cell.workload in untimed:
        metrics = metrics_by_workload.get(cell.workload) or []
        metric = next((m for m in metrics if m.chart), metrics[0] if metrics else None)
        if metric is None:
            return None, None
        return metric.title, cv_of(cell.metrics.get(metric.name) or [])
    return "wall time", cell.cv


def run_cpus(context, cells):
    """The machine's CPU count from the context (as the environment table reads it), or the
    largest a cell recorded."""
    for key in ("cmbench_cores", "num_cpus"):
        number = to_float(context.get(key))
        if number and number > 0:
            return int(number)
    recorded = [c.cpus for c in cells if c.cpus]
    return max(recorded) if recorded else None


# --- speed bands -------------------------------------------------------------------------

MAX_BANDS = 4  # more would be noise read as structure


def sse(values):
    """Sum of squared deviations from the mean."""
    mean = statistics.fmean(values)
    return sum((x - mean) ** 2 for x in values)


def best_cut(logs, least):
    """Where to cut sorted values in two to leave the least sum of squares, each side
    holding at least `least`; None when too few. Prefix sums keep it linear."""
    n = len(logs)
    if n < 2 * least:
        return None
    prefix, squares = [0.0], [0.0]
    for x in logs:
        prefix.append(prefix[-1] + x)
        squares.append(squares[-1] + x * x)

    def part(i, j):
        total = prefix[j] - prefix[i]
        return squares[j] - squares[i] - total * total / (j - i)
    return min(range(least, n - least + 1), key=lambda i: part(0, i) + part(i, n))


def distinct(low, high):
    """Are two neighbouring clusters of sorted log-times two bands rather than one?

    Their medians are BAND_RATIO apart or more, and cutting their union between them
    explains BAND_EXPLAINED of its variance: one unimodal cluster cut in two still keeps
    25-36 % of it (uniform, normal), a real pair of bands little."""
    if math.exp(statistics.median(high) - statistics.median(low)) < BAND_RATIO:
        return False
    whole = sse(low + high)
    return whole > 0 and 1 - (sse(low) + sse(high)) / whole >= BAND_EXPLAINED


def find_bands(times):
    """The medians of the VM's speed bands among these probe times (seconds), fastest first.

    In log time (a band's noise is a ratio): cut the widest cluster in two, up to MAX_BANDS
    clusters of at least MIN_BAND_SHARE of the probes (a few preempted probes make no band),
    then merge the neighbours that are not distinct bands until every pair is."""
    logs = sorted(math.log(t) for t in times if t and t > 0)
    if not logs:
        return []
    least = max(3, math.ceil(MIN_BAND_SHARE * len(logs)))
    clusters = [logs]
    while len(clusters) < MAX_BANDS:
        cuts = [(sse(c), i, best_cut(c, least)) for i, c in enumerate(clusters)]
        cuts = [x for x in cuts if x[2] is not None and x[0] > 0]
        if not cuts:
            break
        _, i, cut = max(cuts)
        clusters[i:i + 1] = [clusters[i][:cut], clusters[i][cut:]]
    while True:
        joins = [i for i in range(len(clusters) - 1)
                 if not distinct(clusters[i], clusters[i + 1])]
        if not joins:
            break
        # the closest pair first: its union is the most alike
        i = min(joins, key=lambda j: statistics.median(clusters[j + 1])
                - statistics.median(clusters[j]))
        clusters[i:i + 2] = [clusters[i] + clusters[i + 1]]
    return [math.exp(statistics.median(c)) for c in clusters]


def key(cell):
    return cell.name, cell.cpu_budget


def band_of(seconds, bands):
    """The index of the band whose median is nearest (as a ratio) to this probe time."""
    return min(range(len(bands)), key=lambda i: abs(math.log(seconds / bands[i])))


def band_names(bands):
    if len(bands) == 2:
        return ["fast", "slow"]
    return [f"band {i + 1}" for i in range(len(bands))]


class Stability:
    """The three checks' findings for one run; banner() and blocks() say them."""

    def __init__(self, cells, context, metrics_by_workload, untimed, workloads):
        ok = [c for c in cells if c.ok]
        self.checked = len(ok)
        # spread
        self.noisy, self.single = [], 0
        for cell in ok:
            what, cv = spread_figure(cell, metrics_by_workload, untimed)
            if cv is None:
                self.single += 1
            elif cv > CV_LIMIT:
                self.noisy.append((cell, what, cv))
        # load
        self.cpus = run_cpus(context, cells)
        self.limit = self.cpus * LOAD_SHARE if self.cpus else None
        # Where recorded, the tasks other than the suite's that were ready to run as the cell
        # began: the load average counts the suite's own earlier cells too, so on its own it
        # flags every cell of a busy suite.
        self.with_others = [c for c in ok if c.others_running is not None]
        self.crowded = [c for c in self.with_others
                        if self.cpus and c.others_running >= self.cpus]
        self.with_load = [] if self.with_others else [c for c in ok if c.loadavg is not None]
        self.loaded = [c for c in self.with_load
                       if self.limit is not None and c.loadavg > self.limit]
        run_load = context.get("load_avg")
        self.run_load = to_float(run_load[0]) if isinstance(run_load, list) and run_load \
            else None
        # speed bands: every probe of the run, verified cell or not, says what the VM did
        probed = [c for c in cells if c.probe]
        self.bands = find_bands([t for c in probed for t in c.probe])
        self.with_probe = [c for c in ok if c.probe]
        self.straddled, self.band = [], {}
        for cell in self.with_probe:
            before, after = cell.probe
            if max(before, after) / min(before, after) - 1 > PROBE_CHANGE:
                self.straddled.append(cell)
            elif self.bands:
                self.band[key(cell)] = band_of(math.sqrt(before * after), self.bands)
        self.mixed = self.mixed_groups(workloads) if len(self.bands) > 1 else []

    def mixed_groups(self, workloads):
        """[(group heading, {band: [row text]})] for every parameter group whose cells ran
        in more than one band: its rows are compared across bands."""
        mixed = []
        for meta in workloads:
            for budget, suffix in (("all", ""), ("one", " (1 CPU)")):
                members = [c for c in self.with_probe if c.workload == meta["name"]
                           and c.cpu_budget == budget and key(c) in self.band]
                for group in build_groups(meta, members) if members else []:
                    by_band = {}
                    for (model, scale), cell in group.cells.items():
                        row = model if len(group.scales) < 2 else \
                            f"{model} {group.scale_label(scale)}"
                        by_band.setdefault(self.band[key(cell)], []).append(row)
                    if len(by_band) > 1:
                        mixed.append((f"{group.workload} · {group.label}{suffix}", by_band))
        return mixed

    @property
    def unstable(self):
        """The verified cells with at least one warning, each once."""
        flagged = {}
        for cell in [c for c, _, _ in self.noisy] + self.loaded + self.crowded + self.straddled:
            flagged[key(cell)] = cell
        return list(flagged.values())

    def banner(self):
        """One paragraph for the top of the report, or nothing when there is no warning."""
        parts = []
        if self.unstable:
            kinds = [f"{len(self.noisy)} with a spread over {percent(CV_LIMIT)}" if self.noisy
                     else "", f"{len(self.loaded)} began under load" if self.loaded else "",
                     f"{len(self.crowded)} began with every CPU wanted by other tasks"
                     if self.crowded else "",
                     f"{len(self.straddled)} straddled a change of the VM's speed"
                     if self.straddled else ""]
            count = len(self.unstable)
            parts.append(f"{count} of {self.checked} cells {'is' if count == 1 else 'are'} "
                         f"unstable ({', '.join(k for k in kinds if k)}).")
        if len(self.bands) > 1:
            groups = len(self.mixed)
            across = (f"{groups} parameter group{'s' if groups > 1 else ''} compare"
                      f"{'' if groups > 1 else 's'} cells across them" if groups else
                      "every parameter group ran within one")
            parts.append(f"The VM ran at {len(self.bands)} speeds ({self.bands_text()}): "
                         f"{across}.")
        if not self.with_load and not self.with_others and self.high_run_load():
            parts.append(f"The load average was {self.run_load:.2f} on {self.cpus} CPUs when "
                         "the run began.")
        if not parts:
            return []
        return [("p", "Stability: " + " ".join(parts) + " See Stability, near the end.")]

    def high_run_load(self):
        return self.run_load is not None and self.limit is not None \
            and self.run_load > self.limit

    def bands_text(self):
        if len(self.bands) == 1:
            return f"probe ≈ {fmt_time(self.bands[0])}"
        names = band_names(self.bands)
        return ", ".join(f"{n} band: probe ≈ {fmt_time(b)}" for n, b in zip(names, self.bands))

    def blocks(self):
        blocks = [("h", 2, "Stability"), ("p", INTRO)]
        blocks += self.spread_blocks() + self.load_blocks() + self.band_blocks()
        return blocks

    def spread_blocks(self):
        blocks = [("h", 3, "Spread")]
        if self.checked == 0:
            return blocks + [("p", "No verified cell: nothing to check.")]
        if self.single == self.checked:
            return blocks + [("p", "Not checked: every cell has a single repetition, so no "
                                   "spread.")]
        text = (f"{len(self.noisy)} of {self.checked} verified cells have a coefficient of "
                f"variation over {percent(CV_LIMIT)}" if self.noisy else
                f"Every verified cell's coefficient of variation is at most {percent(CV_LIMIT)}")
        if self.single:
            text += f" ({self.single} with a single repetition could not be checked)"
        blocks.append(("p", text + "."))
        if self.noisy:
            rows = [[cell_label(c), what, f"{cv * 100:.1f} %", str(c.repetitions)]
                    for c, what, cv in sorted(self.noisy, key=lambda x: -x[2])]
            blocks.append(("table", ["cell", "spread of", "cv", "reps"], rows, True))
        return blocks

    def limit_text(self):
        return f"{self.limit:g} ({percent(LOAD_SHARE)} of {self.cpus} CPUs)"

    def load_blocks(self):
        blocks = [("h", 3, "Load")]
        if self.limit is None:
            return blocks + [("p", "Not checked: the run records no CPU count.")]
        if self.with_others:
            most = max(c.others_running for c in self.with_others)
            text = (f"As each cell began the suite counted the tasks other than its own that "
                    f"were ready to run (`/proc/stat`); a cell is flagged when they could have "
                    f"taken all {self.cpus} CPUs. ")
            if not self.crowded:
                return blocks + [("p", text + f"None was: at most {most} at once.")]
            rows = [[cell_label(c), str(c.others_running), f"{c.loadavg:.2f}"
                     if c.loadavg is not None else "—"]
                    for c in sorted(self.crowded, key=lambda c: -c.others_running)]
            return blocks + [
                ("p", text + f"{len(self.crowded)} of {len(self.with_others)} cells began so."),
                ("table", ["cell", "other tasks ready", "load average"], rows, True)]
        if not self.with_load:
            text = ("Not checked per cell: this run did not record the load average as each "
                    "cell began (results written before the suite recorded it).")
            if self.run_load is not None:
                state = "above" if self.high_run_load() else "within"
                text += (f" When the run began, the 1-minute load average was "
                         f"{self.run_load:.2f}, {state} the limit of "
                         f"{self.limit_text()}.")
            return blocks + [("p", text)]
        if not self.loaded:
            high = max(c.loadavg for c in self.with_load)
            return blocks + [("p", f"Every cell began with a 1-minute load average of at most "
                                   f"{self.limit_text()}; "
                                   f"the highest was {high:.2f}.")]
        rows = [[cell_label(c), f"{c.loadavg:.2f}"]
                for c in sorted(self.loaded, key=lambda c: -c.loadavg)]
        return blocks + [
            ("p", f"{len(self.loaded)} of {len(self.with_load)} cells began with a 1-minute "
                  f"load average over {self.limit_text()}. "
                  "The load average also counts the suite's own earlier cells (it decays over "
                  "about a minute), so a warning right after a computing workload may be the "
                  "suite's own work."),
            ("table", ["cell", "load average"], rows, True)]

    def band_blocks(self):
        blocks = [("h", 3, "Speed of the VM")]
        if not self.with_probe:
            return blocks + [("p", "Not checked: this run did not time the calibration probe "
                                   "around each cell (results written before the suite "
                                   "recorded it), so a change of the VM's speed cannot be "
                                   "told from a change of the code.")]
        missing = self.checked - len(self.with_probe)
        count = f"{len(self.bands)} bands" if len(self.bands) > 1 else "one band"
        text = (f"The probe (the same arithmetic, timed before and after each cell) ran in "
                f"{count}: {self.bands_text()}.")
        if len(self.bands) > 1:
            slow = self.bands[-1] / self.bands[0]
            text += (f" The slowest band's probe takes {slow:.2f}× the fastest's: a figure "
                     "measured in one band is not comparable with one measured in another.")
        if missing:
            text += f" {missing} verified cells have no probe."
        blocks.append(("p", text))
        if self.straddled:
            rows = []
            for c in sorted(self.straddled, key=lambda c: -abs(math.log(c.probe[1] / c.probe[0]))):
                before, after = c.probe
                rows.append([cell_label(c), fmt_time(before), fmt_time(after),
                             f"{(after / before - 1) * 100:+.0f} %"])
            many = len(self.straddled) > 1
            blocks += [("p", f"{len(self.straddled)} {'cells' if many else 'cell'} straddled a "
                             f"change (probes before and after differ by more than "
                             f"{percent(PROBE_CHANGE)}): the VM's speed changed while "
                             f"{'they' if many else 'it'} ran."),
                       ("table", ["cell", "probe before", "after", "change"], rows, True)]
        else:
            blocks.append(("p", f"No cell's probes differ by more than {percent(PROBE_CHANGE)}: "
                                "the speed held during each cell."))
        if len(self.bands) > 1:
            names = band_names(self.bands)
            if self.mixed:
                blocks += [("p", "Parameter groups whose cells ran in different bands (read "
                                 "their rows within a band):"),
                           ("ul", [f"{heading} — " + "; ".join(
                               f"{names[b]}: {', '.join(rows)}" for b, rows in
                               sorted(by_band.items())) for heading, by_band in self.mixed])]
            else:
                blocks.append(("p", "Every parameter group ran within one band."))
            table = [[cell_label(c), names[self.band[key(c)]] if key(c) in self.band
                      else Note("straddled"), fmt_time(c.probe[0]), fmt_time(c.probe[1])]
                     for c in self.with_probe]
            blocks.append(("details", "Every cell's band",
                           [("table", ["cell", "band", "probe before", "after"], table, True)]))
        return blocks


INTRO = (
    f"Warnings about the run itself, not about a model. A cell is unstable when its "
    f"repetitions disagree (coefficient of variation, standard deviation over mean, above "
    f"{percent(CV_LIMIT)}: then a difference smaller than that is noise), when the machine was "
    f"busy as it began (1-minute load average above {percent(LOAD_SHARE)} of the CPUs), or when "
    f"the VM's speed changed while it ran (the calibration probe timed before and after it "
    f"differs by more than {percent(PROBE_CHANGE)}). The numbers are shown as measured; these "
    "say which to read with care. Why these thresholds: docs/methodology.md, \"Stability "
    "warnings\".")


def stability_blocks(cells, doc, metrics_by_workload, untimed):
    """(banner, section): a paragraph for the top of the report (empty without a warning)
    and the full section for its end."""
    workloads = [w for w in doc["cmbench"]["workloads"] if isinstance(w, dict)]
    check = Stability(cells, doc["context"], metrics_by_workload, untimed, workloads)
    return check.banner(), check.blocks()


def under_title(blocks, banner):
    """The blocks with the banner just under the report's title (its first heading)."""
    at = 1 if blocks and blocks[0][0] == "h" else 0
    return blocks[:at] + banner + blocks[at:]
