// ping_pong's processes-mpi row (workloads/mpi/launch.hpp): two ranks pass the token with
// MPI_Send and MPI_Recv (mpi/ranks.cpp), each pinned to the CPU the placement gives it; the
// rounds are timed by rank 0, and the result is checked by verify() as every model's is.
#include "ping_pong/spec.hpp"
#include "workloads/mpi/launch.hpp"

namespace cmbench::ping_pong {
namespace {

// With place=same the two ranks take turns on one CPU: the waiting one must yield it.
mpi::Ranks ranks(const Params& p) {
  return {2, p.cpu_a == p.cpu_b};
}

std::vector<std::int64_t> args(const Params& p) {
  return {p.rounds, p.cpu_a, p.cpu_b};
}

Result read(const mpi::Output& out) {
  if (out.lines.size() != 1)
    throw std::runtime_error(std::to_string(out.lines.size()) + " result lines, not 1");
  return {out.at(0, 0), out.at(0, 1), out.at(0, 2), static_cast<int>(out.at(0, 3)),
          static_cast<int>(out.at(0, 4))};
}

// The quick profile runs place=split only: where shared memory and polling differ most
// from a pipe and a kernel wake-up (a job's launch per run makes every cell cost ≈ 2 s).
bool quick(const ParamValues& v) {
  return v.text("place") == "split";
}

}  // namespace

void register_mpi(Catalog& catalog) {
  mpi::add_row(catalog, "ping_pong",
               mpi::prepared_job("ping_pong", make_params, ranks, args, read, verify, mpi::info),
               mpi::info, quick);
}

}  // namespace cmbench::ping_pong
