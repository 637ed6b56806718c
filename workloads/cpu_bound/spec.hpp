// cpu_bound: K chunks of pure computation (counting the primes in K adjacent ranges of
// `width` numbers above 10^9, ≈ 5 ms each by default). Only models that run code on several
// cores at once go faster than sequential: on 2 cores the best speed-up is 2. Concurrency
// alone (an event loop interleaving the chunks) gives none.
//
// Result: per chunk, its prime count and the span during which it ran.
// Verified: K chunks completed, each count equal to an independent segmented sieve's; a
// sequential model never overlapped two chunks. The peak overlap is measured and reported
// (2 on 2 cores for threads and processes), not required: a loaded machine may serialise.
#pragma once

#include <cstdint>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/span.hpp"

namespace cmbench::cpu_bound {

inline constexpr std::uint64_t base = 1'000'000'000;

struct Chunk {
  std::uint64_t lo, hi;  // numbers in [lo, hi)
};
struct ChunkResult {
  std::uint64_t primes = 0;
  Span span;
};

struct Params {
  std::vector<Chunk> chunks;
};
using Result = std::vector<ChunkResult>;

Workload describe();
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// Runs the kernel on one chunk and records when: what every model's task does.
ChunkResult run_chunk(const Chunk& c);

Result sequential(const Params& p);
Result threads(const Params& p);
Result processes(const Params& p);
// The event-driven models twice: chunks offloaded to the reactor's thread pool (the
// idiomatic way: deferToThread, run_in_executor), and chunks run on the loop thread (the
// `-on_loop` variant: concurrency without parallelism, so no speed-up).
Result callbacks(const Params& p);
Result callbacks_on_loop(const Params& p);
Result futures(const Params& p);
Result futures_on_loop(const Params& p);
Result coroutines(const Params& p);
Result coroutines_on_loop(const Params& p);
// fibers: greenlets on the work-stealing pool (two threads), and on one hub (`-on_loop`).
Result fibers(const Params& p);
Result fibers_on_loop(const Params& p);

// Its Python rows (workloads/cpu_bound/python/), called by register_cells.
void register_python(Catalog& catalog);
// Its processes-mpi row (workloads/mpi/launch.hpp): registered by mpi/rows.cpp, run by the
// ranks of mpi/ranks.cpp in the program cmbench-mpi. `args` are the chunks' bounds; rank 0
// returns one line per chunk, `primes start_ns end_ns`, the other ranks nothing.
void register_mpi(Catalog& catalog);
std::vector<std::vector<std::int64_t>> mpi_ranks(const std::vector<std::int64_t>& args);

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);

}  // namespace cmbench::cpu_bound
