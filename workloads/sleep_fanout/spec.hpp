// sleep_fanout: N tasks each wait d. Run one after another they take N·d; run concurrently,
// about d. The workload measures what a waiting task costs in each model, and shows the
// source documents' first example: three tasks waiting 2, 3 and 1 units take 6 units
// sequentially and 3 units in every concurrent model.
//
// Parameters: N tasks; a unit wait d; weights w, so that task i waits d·w[i mod |w|]
// (w = 1: every task waits d; N = 3, w = 2-3-1: the source example).
// Result: one Span per task, in call order, recorded by the task around its wait.
// Verified: all N tasks completed; every task waited at least its d·w; the peak number of
// tasks waiting at once, measured from the spans, is 1 for sequential and at least 2 for a
// concurrent model (with N ≥ 2): the overlap really happened.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/span.hpp"

namespace cmbench::python {
struct Output;
}

namespace cmbench::sleep_fanout {

struct Params {
  std::vector<std::chrono::microseconds> waits;  // task i waits waits[i]
};
using Result = std::vector<Span>;

Workload describe();
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// One implementation per model, in workloads/sleep_fanout/<model>.cpp.
Result sequential(const Params& p);
Result threads(const Params& p);
Result processes(const Params& p);
Result callbacks(const Params& p);
Result futures(const Params& p);
Result coroutines(const Params& p);
Result coroutines_pooled(const Params& p);  // frames from the frame pool
Result fibers(const Params& p);
Result fibers_shared_stack(const Params& p);  // every greenlet on one shared stack

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);
// Its Python rows (workloads/sleep_fanout/python/), called by register_cells: what a row's
// program is given (the waits in µs) and how its output is read (a span per line).
void register_python(Catalog& catalog);
std::string python_args(const Params& p);
Result python_result(const python::Output& out);

}  // namespace cmbench::sleep_fanout
