// cpu_bound, processes-mpi: Pool.map over ranks instead of forked workers. Rank 0 deals the
// chunks out, chunk i to rank i mod size (itself included: the chunks are equal, so a fixed
// deal is as good as a queue), with MPI_Send; each rank runs kernel.hpp on its chunks and
// sends back, per chunk, its count and when it ran; rank 0 receives the results in chunk
// order, as Pool.map returns them. On one machine the messages go through shared memory;
// across machines, through the network. Runs in cmbench-mpi (bench/mpi/).
#include "cpu_bound/kernel.hpp"
#include "cpu_bound/spec.hpp"
#include "workloads/mpi/rank.hpp"

namespace cmbench::cpu_bound {
namespace {

constexpr int chunk_tag = 0, stop_tag = 1;

mpi::Message run(std::int64_t lo, std::int64_t hi) {
  const std::int64_t start = monotonic_ns();
  const auto primes = count_primes(static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi));
  return {static_cast<std::int64_t>(primes), start, monotonic_ns()};
}

}  // namespace

// args: lo and hi of each chunk. Result lines: `primes start_ns end_ns`, one per chunk.
std::vector<mpi::Message> mpi_ranks(const mpi::Message& args) {
  const int rank = mpi::rank_of(MPI_COMM_WORLD), size = mpi::size_of(MPI_COMM_WORLD);
  if (rank != 0) {  // a worker: chunks until told to stop
    for (int tag = chunk_tag;;) {
      const mpi::Message chunk = mpi::receive(2, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &tag);
      if (tag == stop_tag) return {};
      mpi::send(run(chunk[0], chunk[1]), 0, chunk_tag, MPI_COMM_WORLD);
    }
  }
  const std::size_t k = args.size() / 2;
  for (std::size_t i = 0; i < k; ++i)
    if (const int to = static_cast<int>(i % size); to != 0)
      mpi::send({args[2 * i], args[2 * i + 1]}, to, chunk_tag, MPI_COMM_WORLD);
  for (int to = 1; to < size; ++to) mpi::send({0, 0}, to, stop_tag, MPI_COMM_WORLD);
  std::vector<mpi::Message> results(k);
  for (std::size_t i = 0; i < k; i += size) results[i] = run(args[2 * i], args[2 * i + 1]);
  for (std::size_t i = 0; i < k; ++i)
    if (const int from = static_cast<int>(i % size); from != 0)
      results[i] = mpi::receive(3, from, chunk_tag, MPI_COMM_WORLD);
  return results;
}

}  // namespace cmbench::cpu_bound
