// spawn_many's Python rows (workloads/python/rows.hpp): each program gets the shape, N and
// the tree's depth, and hands back, for flat, one line per task with its result in call
// order, for skynet one line `sum <root's sum>`, checked by verify(). The run's wall time,
// measured by the interpreter around the row's main, is the elapsed time that ns_per_task
// divides.
#include "workloads/python/rows.hpp"
#include "spawn_many/spec.hpp"

namespace cmbench::spawn_many {
namespace {

std::string args(const Params& p) {
  return python::Args()
      .text("shape", p.shape == Shape::skynet ? "skynet" : "flat")
      .integer("n", p.n)
      .integer("depth", p.depth)
      .json();
}

Result read(const python::Output& out) {
  Result r;
  if (!out.lines.empty() && !out.lines[0].empty() && out.lines[0][0] == "sum") {
    r.sum = out.integer(0, 1);
  } else {
    r.values.resize(out.lines.size());
    for (std::size_t i = 0; i < r.values.size(); ++i) r.values[i] = out.integer(i, 0);
  }
  r.elapsed_ns = out.wall_ns;
  return r;
}

// In the quick profile, asyncio at skynet's 11 111 tasks (≈ 0.3 to 0.8 s a run),
// where a task's cost shows above the loop's set-up; the other rows, and 100 flat tasks (a
// run of a few milliseconds after an interpreter's 0.3 s start), in the full profile only.
bool tree_only(const ParamValues& v) {
  return v.text("shape") == "skynet";
}

// A framework's ModelInfo with what one task of this workload costs it here, for the time
// estimates (spec.cpp's cost_per_task_us reads a Python row's task_start_us): measured at
// 10^4 tasks on a loaded 2-core machine, rounded up.
constexpr ModelInfo costing(const ModelInfo& framework, double us_per_task) {
  ModelInfo m = framework;
  m.task_start_us = us_per_task;
  return m;
}

constexpr ModelInfo py_sequential = costing(python::sequential, 0.3);
constexpr ModelInfo py_asyncio = costing(python::asyncio, 40);
constexpr ModelInfo py_uvloop = costing(python::uvloop, 30);
constexpr ModelInfo py_twisted = costing(python::twisted, 100);
constexpr ModelInfo py_tornado = costing(python::tornado, 40);
constexpr ModelInfo py_gevent = costing(python::gevent, 80);
// An OS thread per task, whose start waits for the new thread to take the GIL: ≈ 1 ms each
// when other threads want it too.
constexpr ModelInfo py_threading = costing(python::threading, 1'000);
constexpr ModelInfo py_threading_pool = costing(python::threading, 120);
// A forked interpreter per task, started and reaped: ≈ 25 to 50 ms here. 1 000 of them (50 s
// a run) is as far as the full profile goes.
constexpr ModelInfo py_multiprocessing = costing(python::multiprocessing, 50'000);

}  // namespace

void register_python(Catalog& catalog) {
  python::Rows<Params, Result> rows(catalog, "spawn_many", make_params, verify, args, read,
                                    python::full_only);
  rows.add(py_sequential, "sequential");
  rows.add(py_asyncio, "asyncio", tree_only);
  rows.add(py_uvloop, "uvloop");
  rows.add(py_twisted, "twisted");
  rows.add(py_tornado, "tornado");
  rows.add(py_gevent, "gevent");
  rows.add(py_threading, "threading", python::full_only);
  rows.add(py_threading_pool, "threading-pool");
  rows.add(py_multiprocessing, "multiprocessing");
}

}  // namespace cmbench::spawn_many
