// ping_pong, processes-mpi: the two ends are ranks 0 (A) and 1 (B), and the token travels by
// MPI_Send and MPI_Recv instead of a pipe. On one machine Open MPI hands it over through
// shared memory, and a rank waiting in MPI_Recv polls for it rather than sleeping in the
// kernel: across two CPUs no wake-up is needed at all, at the price of a CPU kept busy;
// on one CPU the waiting rank yields (mpi_yield_when_idle) so that the other can run.
// Runs in cmbench-mpi (bench/mpi/).
#include <sched.h>

#include <cerrno>
#include <system_error>

#include "models/core/span.hpp"
#include "ping_pong/spec.hpp"
#include "workloads/mpi/rank.hpp"

namespace cmbench::ping_pong {
namespace {

void pin(std::int64_t cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(static_cast<int>(cpu), &one);
  if (::sched_setaffinity(0, sizeof one, &one) < 0)
    throw std::system_error(errno, std::generic_category(),
                            "sched_setaffinity to CPU " + std::to_string(cpu));
}

}  // namespace

// args: R, A's CPU, B's CPU. Result line: `token handoffs elapsed_ns cpu_a cpu_b`.
std::vector<std::vector<std::int64_t>> mpi_ranks(const std::vector<std::int64_t>& args) {
  if (mpi::size_of(MPI_COMM_WORLD) != 2) throw std::runtime_error("ping_pong needs 2 ranks");
  if (mpi::rank_of(MPI_COMM_WORLD) == 1) {  // B: R and its CPU from A, then the rounds
    const mpi::Message setup = mpi::receive(2, 0, 0, MPI_COMM_WORLD);
    pin(setup[1]);
    MPI_Barrier(MPI_COMM_WORLD);
    std::int64_t handoffs = 0;
    for (std::int64_t i = 0; i < setup[0]; ++i) {
      mpi::Message token = mpi::receive(1, 0, 0, MPI_COMM_WORLD);
      ++handoffs;
      mpi::send({token[0] + 1}, 0, 0, MPI_COMM_WORLD);
    }
    mpi::send({handoffs, sched_getcpu()}, 0, 1, MPI_COMM_WORLD);
    return {};
  }
  if (args.size() != 3) throw std::runtime_error("ping_pong takes R, cpu_a and cpu_b");
  mpi::send({args[0], args[2]}, 1, 0, MPI_COMM_WORLD);
  pin(args[1]);
  MPI_Barrier(MPI_COMM_WORLD);  // both pinned: the rounds start now
  std::int64_t token = 0, handoffs = 0;
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < args[0]; ++i) {
    mpi::send({token + 1}, 1, 0, MPI_COMM_WORLD);
    token = mpi::receive(1, 1, 0, MPI_COMM_WORLD)[0];
    ++handoffs;
  }
  const std::int64_t elapsed = monotonic_ns() - start;
  const mpi::Message b = mpi::receive(2, 1, 1, MPI_COMM_WORLD);
  return {{token, handoffs + b[0], elapsed, sched_getcpu(), b[1]}};
}

}  // namespace cmbench::ping_pong
