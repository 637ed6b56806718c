// cmbench-mpi: the ranks of the processes-mpi rows, started by mpirun for one run of one
// workload (workloads/mpi/launch.hpp has the protocol and says what is timed):
//
//   mpirun ... -np <ranks> cmbench-mpi <workload>
//     <- <integers>               the row's parameters, one line, read by rank 0
//     -> ready                    every rank has passed MPI_Init and a barrier
//     <- go                       the run starts ...
//     -> done                     ... and has ended: rank 0 has the result
//     -> <integers>               the result, one line per item
//     -> end <cpu_ns> <wall_ns>   every rank's CPU time during the run, summed; its wall time
//
// A rank that fails writes `error <message>` (rank 0, to stdout; the others to stderr) and
// aborts the job: mpirun then ends every rank and exits with a non-zero status.
// Processes started with MPI_Comm_spawn (spawn_many's tasks) run the same program; they have
// a parent, and take no part in the protocol.
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "workloads/cpu_bound/spec.hpp"
#include "workloads/mpi/rank.hpp"
#include "workloads/ping_pong/spec.hpp"
#include "workloads/spawn_many/spec.hpp"

namespace {

using namespace cmbench;
using Lines = std::vector<mpi::Message>;

// The workload's ranks; rank 0 returns the result's lines, the others nothing.
Lines run_ranks(const std::string& workload, const mpi::Message& args, std::int64_t& extra_cpu_ns) {
  if (workload == "cpu_bound") return cpu_bound::mpi_ranks(args);
  if (workload == "ping_pong") return ping_pong::mpi_ranks(args);
  if (workload == "spawn_many") return spawn_many::mpi_ranks(args, extra_cpu_ns);
  throw std::runtime_error("no ranks for the workload '" + workload +
                           "' (cpu_bound, ping_pong, spawn_many)");
}

mpi::Message read_args() {
  std::string line;
  for (int c; (c = std::getchar()) != EOF && c != '\n';) line += static_cast<char>(c);
  std::istringstream in(line);
  mpi::Message args;
  for (std::int64_t v; in >> v;) args.push_back(v);
  if (!in.eof()) throw std::runtime_error("the parameters are not integers: '" + line + "'");
  return args;
}

int protocol(const std::string& workload) {
  const bool first = mpi::rank_of(MPI_COMM_WORLD) == 0;
  const mpi::Message args = first ? read_args() : mpi::Message{};
  MPI_Barrier(MPI_COMM_WORLD);
  if (first) mpi::say("ready");
  if (!mpi::wait_for_go()) return 0;
  std::int64_t extra_cpu_ns = 0;
  const std::int64_t cpu = mpi::cpu_ns(), start = monotonic_ns();
  const Lines lines = run_ranks(workload, args, extra_cpu_ns);
  const std::int64_t wall = monotonic_ns() - start;
  std::int64_t mine = mpi::cpu_ns() - cpu + extra_cpu_ns, all = 0;
  MPI_Reduce(&mine, &all, 1, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
  if (!first) return 0;
  mpi::say("done");
  for (const auto& line : lines) {
    std::string text;
    for (auto v : line) text += std::to_string(v) + ' ';
    mpi::say(text);
  }
  mpi::say("end " + std::to_string(all) + ' ' + std::to_string(wall));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  try {
    if (argc < 2) throw std::runtime_error("usage: mpirun ... cmbench-mpi <workload> [args]");
    MPI_Comm parent;
    MPI_Comm_get_parent(&parent);
    const int status = parent != MPI_COMM_NULL
                           ? spawn_many::mpi_task(std::vector<std::string>(argv + 1, argv + argc))
                           : protocol(argv[1]);
    MPI_Finalize();
    return status;
  } catch (const std::exception& e) {
    std::FILE* to = mpi::rank_of(MPI_COMM_WORLD) == 0 ? stdout : stderr;
    std::fprintf(to, "error %s\n", e.what());
    std::fflush(to);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 1;
}
