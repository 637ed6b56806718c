// cpu_bound's processes-mpi row (workloads/mpi/launch.hpp): the chunks' bounds go to rank
// 0, the ranks run them (mpi/ranks.cpp), and each chunk's `primes start_ns end_ns` comes
// back to be checked by verify() against the sieve. As many ranks as the processes model's
// Pool has workers (this machine's cores), or $CMBENCH_MPI_RANKS.
#include "cpu_bound/spec.hpp"
#include "workloads/mpi/launch.hpp"

namespace cmbench::cpu_bound {
namespace {

mpi::Ranks ranks(const Params&) {
  return {mpi::ranks_wanted()};
}

std::vector<std::int64_t> args(const Params& p) {
  std::vector<std::int64_t> bounds;
  for (const Chunk& c : p.chunks) {
    bounds.push_back(static_cast<std::int64_t>(c.lo));
    bounds.push_back(static_cast<std::int64_t>(c.hi));
  }
  return bounds;
}

Result read(const mpi::Output& out) {
  Result chunks(out.lines.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    chunks[i].primes = static_cast<std::uint64_t>(out.at(i, 0));
    chunks[i].span = {out.at(i, 1), out.at(i, 2)};
  }
  return chunks;
}

// The quick profile runs K = 8 only: four chunks per rank, the speed-up to compare with
// the processes model's Pool (a job's launch per run makes every cell cost ≈ 2 s).
bool quick(const ParamValues& v) {
  return v.integer("K") == 8;
}

}  // namespace

void register_mpi(Catalog& catalog) {
  mpi::add_row(catalog, "cpu_bound",
               mpi::prepared_job("cpu_bound", make_params, ranks, args, read, verify, mpi::info),
               mpi::info, quick);
}

}  // namespace cmbench::cpu_bound
