// spawn_many: what one task costs, from its creation to its result being joined. Every
// model creates tasks that do (almost) nothing and waits for them, so all that is measured
// is the model's machinery: a thread or a process, a greenlet and its stack, a coroutine
// frame and its trip through the loop, a Deferred or a Future and a loop callback.
//
// Two shapes:
//  - flat: N tasks, task i returns i; the creator joins them all and keeps their results in
//    call order.
//  - skynet: the 10-ary tree with N leaves (N a power of 10): every inner node spawns its
//    ten children as tasks and returns the sum of their results; leaf i returns i, so the
//    root returns N(N-1)/2. With 10^6 leaves this is the classic "skynet" benchmark.
// Tasks created: N for flat; the tree's nodes for skynet, (10N - 1) / 9, the root included
// (1 111 111 for 10^6 leaves). The figure reported, ns_per_task, is the wall time of the run
// divided by that count.
// Verified: flat, every slot i holds i (each task ran and its result reached its slot);
// skynet, the root's sum is N(N-1)/2.
#pragma once

#include <cstdint>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/model.hpp"

namespace cmbench::spawn_many {

enum class Shape { flat, skynet };

struct Params {
  Shape shape = Shape::flat;
  std::int64_t n = 0;  // flat: tasks; skynet: leaves, 10^depth
  int depth = 0;       // skynet: the tree's depth (log10 n)
};

struct Result {
  std::vector<std::int64_t> values;  // flat: task i's result at index i
  std::int64_t sum = 0;              // skynet: the root's result
  std::int64_t elapsed_ns = 0;       // the run's wall time, measured around the model's code
};

// Tasks a run creates: N for flat, the tree's node count for skynet.
std::uint64_t tasks_created(const Params& p);

Workload describe();
Params make_params(const ParamValues& v);  // BadInput for a skynet N not a power of 10
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// One implementation per model, in workloads/spawn_many/<model>.cpp: each fills `values`
// (flat) or `sum` (skynet); the cell's wrapper measures elapsed_ns around it.
Result sequential(const Params& p);
Result threads(const Params& p);      // a std::jthread per task
Result threads_tbb(const Params& p);  // a tbb::task_group
Result processes(const Params& p);    // a forked Process per task
Result callbacks(const Params& p);
Result futures(const Params& p);
Result fibers(const Params& p);
Result fibers_eager(const Params& p);  // spawn runs the child at once
Result coroutines(const Params& p);
Result coroutines_eager(const Params& p);         // eager tasks (asyncio 3.12's factory)
Result coroutines_eager_pooled(const Params& p);  // eager, frames from the frame pool

// The reference rows (references/): TBB at its leanest, and bare lazy coroutines.
Result tbb_floor(const Params& p);
Result coroutine_floor(const Params& p);

// Its Python rows (workloads/spawn_many/python/), called by register_cells.
void register_python(Catalog& catalog);
// Its processes-mpi row (workloads/mpi/launch.hpp): registered by mpi/rows.cpp, run by
// mpi/ranks.cpp in the program cmbench-mpi. `args` are the shape (0 flat, 1 skynet), N and
// the depth; the one rank returns task i's value on line i (flat) or the root's sum
// (skynet), and adds its tasks' CPU time to `tasks_cpu_ns`. mpi_task is a spawned task's
// life (`args`: its command line after the program's name).
void register_mpi(Catalog& catalog);
std::vector<std::vector<std::int64_t>> mpi_ranks(const std::vector<std::int64_t>& args,
                                                 std::int64_t& tasks_cpu_ns);
int mpi_task(const std::vector<std::string>& args);

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);

}  // namespace cmbench::spawn_many
