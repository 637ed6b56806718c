// spawn_many's processes-mpi row (workloads/mpi/launch.hpp): one rank spawns the tasks with
// MPI_Comm_spawn (mpi/ranks.cpp) and hands back their values (flat) or the tree's sum
// (skynet), checked by verify(). The run's wall time is measured around the spawning, inside
// the rank, as the other models' is measured around their code.
#include "spawn_many/spec.hpp"
#include "workloads/mpi/launch.hpp"

namespace cmbench::spawn_many {
namespace {

// A spawned task is an MPI process: MPI_Init and a place in the job's runtime, ≈ 85 ms of
// this machine for each of 10 tasks spawned at once and ≈ 170 ms for each of 100 (17 s).
constexpr ModelInfo spawn_info = [] {
  ModelInfo m = mpi::info;
  m.max_tasks = 16;
  m.limit_reason =
      "a task spawned with MPI_Comm_spawn is an MPI process of its own (MPI_Init, a place in "
      "the job's runtime): 0.1-0.2 s of this 2-core machine each, so 100 tasks take 17 s a "
      "run; 16 keep a run within a few seconds";
  m.task_start_us = 150'000;
  return m;
}();

// One rank; the tasks it spawns share the CPUs, and are the job's only waiting ranks (for
// their parent's MPI_Comm_disconnect): Open MPI yields by itself once they outnumber the
// slots.
mpi::Ranks ranks(const Params&) {
  return {1};
}

std::vector<std::int64_t> args(const Params& p) {
  return {p.shape == Shape::skynet ? 1 : 0, p.n, p.depth};
}

// Flat: a line per task, its value; skynet: one line, the root's sum (verify() reads `values`
// for flat and `sum` for skynet).
Result read(const mpi::Output& out) {
  Result r;
  if (!out.lines.empty()) r.sum = out.at(0, 0);
  for (std::size_t i = 0; i < out.lines.size(); ++i) r.values.push_back(out.at(i, 0));
  r.elapsed_ns = out.wall_ns;
  return r;
}

// Every scale of the quick profile is beyond the row's limit: listed as such, never run.
bool quick(const ParamValues&) {
  return true;
}

}  // namespace

void register_mpi(Catalog& catalog) {
  mpi::add_row(catalog, "spawn_many",
               mpi::prepared_job("spawn_many", make_params, ranks, args, read, verify, spawn_info),
               spawn_info, quick);
}

}  // namespace cmbench::spawn_many
