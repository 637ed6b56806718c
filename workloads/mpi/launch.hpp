// The processes model across machines: a workload's ranks, run by Open MPI's `mpirun` in
// the program cmbench-mpi (bench/mpi/), verified by the workload's own verifier. The rows
// are variants of the processes model, `processes-mpi`: ranks instead of forks, MPI_Send and
// MPI_Recv instead of pipes.
//
// A fresh mpirun for every run, as a Python row has a fresh interpreter:
//   prepare  start mpirun; rank 0 reads the parameters (one line of integers on its stdin,
//            which mpirun forwards to rank 0 only), every rank has passed MPI_Init and a
//            barrier, rank 0 says "ready"                                    (not timed)
//   run      "go", wait for "done"                                           (timed)
//   check    read the result lines, verify; wait for mpirun to exit; start the next run's
//            mpirun                                                          (not timed)
// The launch (mpirun, its daemons on other hosts, every rank's MPI_Init: ≈ 0.3 s here) is
// not the workload's, and is kept out of the timed region, but it is what a user of MPI
// pays before anything runs: each run reports it as its own metric, `launch_ms`. The timed
// region holds the ranks' work and one round trip through mpirun's I/O forwarding
// (≈ 0.2–0.5 ms here). The CPU time of the run is the ranks' own, summed by rank 0.
//
// How mpirun is started (docs/multi-host.md shows it): the program `mpirun` on PATH, or
// $CMBENCH_MPIRUN; `--oversubscribe --bind-to none` (more ranks than cores is allowed, and
// the ranks pin themselves where a workload asks); `--mca mpi_yield_when_idle 1` where the
// row's ranks share a CPU (Ranks below); `--hostfile $CMBENCH_MPI_HOSTFILE` when set; as
// root, OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 in mpirun's
// environment. A missing mpirun is a set-up error: the cell fails at prepare, with that said.
// Thread-safety: a job is used by the one thread that runs the cell.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cells/registry.hpp"
#include "models/processes/info.hpp"

namespace cmbench::mpi {

// The rows' bounds: a rank is a process, as a forked worker is, but started by mpirun.
inline constexpr ModelInfo info = [] {
  ModelInfo m = processes::info;
  m.style = "multiprocessing's ranks across machines: Open MPI";
  m.idiom = "ranks started by mpirun; MPI_Send and MPI_Recv instead of pipes";
  m.task_start_us = 10;  // a message to a rank: the launch is untimed (launch_ms)
  m.program_per_run = true;
  return m;
}();

// Ranks for a row that spreads its work over as many as it is given: $CMBENCH_MPI_RANKS, or
// this machine's cores (as many as the processes model's Pool has workers). Throws BadInput
// for a value that is not a whole number from 1 to 4096.
int ranks_wanted();

// Adds a row `processes-mpi` of `workload` to the catalog, bounded by `limits`, run in the
// quick and full profiles at the scales `quick` accepts (each run launches a job: ≈ 0.4 s
// untimed), at all of them in the exhaustive one.
void add_row(Catalog& catalog, const std::string& workload, Prepare prepare,
             const ModelInfo& limits, bool (*quick)(const ParamValues&));

// How a row's job is launched. A rank waiting in MPI_Recv polls for its message; with
// `yield_when_idle` it calls sched_yield between polls. Wanted where ranks share a CPU (else
// the waiting one spins through the time slice the other needs: ≈ 6 ms a hand-off here);
// harmful where each has a CPU of its own and other work runs there (a yield hands the CPU
// to that work for a whole slice: ≈ 4.5 ms a hand-off, against 0.3 µs). Open MPI yields by
// itself when a host runs more ranks than it has slots.
struct Ranks {
  int count = 1;
  bool yield_when_idle = false;
};

// The program mpirun starts, $CMBENCH_MPIRUN or `mpirun` found on PATH. Throws
// std::runtime_error saying so if there is none.
std::string mpirun_path();

// The whole command line of one job: environment, mpirun and its options, the program and
// its arguments (`workload`, the rank program's name for it).
std::vector<std::string> command(const Ranks& ranks, const std::string& workload);

// What the ranks handed back: their result lines, split into integers, and the run's CPU
// time (every rank's, summed) and wall time, as rank 0 measured them.
struct Output {
  std::vector<std::vector<std::int64_t>> lines;
  std::int64_t cpu_ns = 0, wall_ns = 0;

  // Field `i` of line `l`; throws std::runtime_error naming the line if it is missing.
  std::int64_t at(std::size_t l, std::size_t i) const;
};

// One mpirun running one job once. Thread-safety: one thread.
class Job {
 public:
  // Starts `ranks` ranks of `workload`, hands rank 0 `args`, and waits until it is ready.
  // Throws std::runtime_error with what mpirun said if it fails or is not ready in a minute.
  Job(const Ranks& ranks, const std::string& workload, const std::vector<std::int64_t>& args);
  // Ends an mpirun that still runs: the end of its stdin (a job waiting for "go" ends
  // cleanly), else SIGTERM (mpirun ends its ranks), else SIGKILL.
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // Milliseconds from starting mpirun to rank 0's "ready".
  double launch_ms() const;
  // Starts the run and waits for it to end. Throws std::runtime_error with the ranks' error.
  void run();
  // Reads what the run handed back and waits for mpirun to exit.
  Output output();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// A row as the catalog's Prepare: `ranks` for these parameters, `args` hands them to rank 0,
// `read` turns the output into the workload's Result (throwing std::runtime_error on output
// it cannot read), `verify` is the workload's verifier. The next run's job is started in the
// last run's check. Reported per run: `launch_ms`, and `cpu_util` from the ranks' CPU time.
template <class Params, class Result>
Prepare prepared_job(std::string workload, Params (*make)(const ParamValues&),
                     Ranks (*ranks)(const Params&),
                     std::vector<std::int64_t> (*args)(const Params&),
                     Result (*read)(const Output&),
                     Verdict (*verify)(const Params&, const Result&, const ModelInfo&),
                     const ModelInfo& model) {
  return [=, &model](const ParamValues& values) -> Run {
    auto params = std::make_shared<const Params>(make(values));
    auto start = [=] { return std::make_shared<Job>(ranks(*params), workload, args(*params)); };
    auto next = std::make_shared<std::shared_ptr<Job>>(start());
    return [=, &model]() -> Check {
      std::shared_ptr<Job> now = std::exchange(*next, nullptr);
      if (!now) throw std::runtime_error("no MPI job ready: the last one's check failed");
      now->run();
      return [=, &model] {
        try {
          Output out = now->output();
          *next = start();
          Verdict v = verify(*params, read(out), model);
          v.metrics.emplace_back("launch_ms", now->launch_ms());
          if (v.ok && out.wall_ns > 0)
            v.metrics.emplace_back("cpu_util", double(out.cpu_ns) / double(out.wall_ns));
          return v;
        } catch (const std::exception& e) {
          return Verdict::fail(std::string("the MPI job: ") + e.what());
        }
      };
    };
  };
}

}  // namespace cmbench::mpi
