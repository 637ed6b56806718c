// Recording one run of a cell as a timeline (docs/timelines.md).
//
// trace_cell prepares the cell, runs it once untimed and verified (the warm-up every timed
// cell gets), then records exactly one more run with the trace recorder on, verifies it
// too, and writes the Chrome Trace Event JSON. The recorded run is never a timing: the
// recorder costs ≈ 30 ns per event, which a cell of 10^6 tasks feels.
#pragma once

#include <string>
#include <vector>

#include "cells/registry.hpp"
#include "trace_json.hpp"

namespace cmbench {

struct TraceOutcome {
  bool ok = false;
  std::string why;  // when not ok: set-up, warm-up or verification failed, or beyond limit
  trace::Summary summary;
  std::uintmax_t bytes = 0;  // the JSON file's size
};

// Writes the trace to `path` (also when the traced run fails verification: the file shows
// what happened; `ok` says whether to trust it). Throws only if the file cannot be written.
TraceOutcome trace_cell(const Cell& cell, const std::string& path,
                        std::uint64_t capacity = trace::default_capacity);

// Draws the timelines in `jsons` into stem.png and stem.svg with scripts/timeline.py, one
// block per trace stacked on one time axis (titled `titles` when given). False when the
// script failed (it says why on stderr).
bool draw_timeline_chart(const std::vector<std::string>& jsons, const std::string& stem,
                         const std::vector<std::string>& titles = {});

// One line for a person: "3 tasks, 41 events, 12.3 KiB; concurrency 2.00x, parallelism 0.00x".
std::string describe(const TraceOutcome& t);

}  // namespace cmbench
