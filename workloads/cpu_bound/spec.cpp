#include "spec.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

#include "kernel.hpp"
#include "models/callbacks/info.hpp"
#include "models/coroutines/info.hpp"
#include "models/fibers/info.hpp"
#include "models/futures/info.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::cpu_bound {
namespace {

ParamValues at(const std::string& k, const std::string& width = "3000") {
  return ParamValues({{"K", k}, {"width", width}});
}

// Primes in [lo, hi) by a segmented sieve of Eratosthenes: a different algorithm from the
// kernel, so that a shared mistake cannot pass verification.
std::uint64_t sieve_count(std::uint64_t lo, std::uint64_t hi) {
  if (hi <= lo) return 0;
  std::uint64_t root = 1;
  while (root * root < hi) ++root;
  std::vector<bool> small(root + 1, true);
  std::vector<bool> composite(hi - lo, false);
  for (std::uint64_t i = 2; i <= root; ++i) {
    if (!small[i]) continue;
    for (std::uint64_t j = i * i; j <= root; j += i) small[j] = false;
    for (std::uint64_t j = std::max(i * i, (lo + i - 1) / i * i); j < hi; j += i)
      composite[j - lo] = true;
  }
  std::uint64_t count = 0;
  for (std::uint64_t n = std::max<std::uint64_t>(lo, 2); n < hi; ++n) count += !composite[n - lo];
  return count;
}

}  // namespace

Workload describe() {
  Workload w;
  w.name = "cpu_bound";
  w.title = "K chunks of pure computation";
  w.summary =
      "Each chunk counts the primes in its own range of numbers: no waiting, only CPU "
      "work. Threads and processes spread the chunks over the cores (at most 2x here); "
      "a model that is concurrent on one thread cannot beat sequential.";
  w.params = {
      {"K", ParamKind::integer, "4", "number of chunks", 1, 4096},
      {"width", ParamKind::integer, "3000", "numbers per chunk (3000 is about 5 ms)", 1,
       10'000'000},
  };
  w.scale_param = "K";
  w.scales = [](Profile profile) {
    // Quick: one chunk (nothing to spread: each model's overhead alone) and 8 (four per
    // core: the parallel models' speed-up); full and exhaustive add 2 and 4.
    std::vector<std::string> ks = {"1", "8"};
    if (profile != Profile::quick) ks = {"1", "2", "4", "8"};
    std::vector<ParamValues> s;
    for (const auto& k : ks) s.push_back(at(k));
    return s;
  };
  w.smallest = at("2", "300");
  w.traced = at("4");  // four chunks of about 5 ms: two cores' worth, twice
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("K")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    // A number costs the C++ kernel ≈ 1.75 µs, CPython ≈ 35 µs (a Python row has a twin).
    double chunk = v.integer("width") * (m.twin.empty() ? 1.75e-6 : 35e-6);
    double k = v.integer("K"), cores = std::max(1u, std::thread::hardware_concurrency());
    return (m.parallel ? std::ceil(k / cores) : k) * chunk + k * m.task_start_us * 1e-6;
  };
  return w;
}

Params make_params(const ParamValues& v) {
  auto k = static_cast<std::uint64_t>(v.integer("K"));
  auto width = static_cast<std::uint64_t>(v.integer("width"));
  Params p;
  for (std::uint64_t i = 0; i < k; ++i)
    p.chunks.push_back({base + i * width, base + (i + 1) * width});
  return p;
}

ChunkResult run_chunk(const Chunk& c) {
  ChunkResult r;
  r.span.start_ns = monotonic_ns();
  r.primes = count_primes(c.lo, c.hi);
  r.span.end_ns = monotonic_ns();
  return r;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  if (r.size() != p.chunks.size())
    return Verdict::fail("only " + std::to_string(r.size()) + " of " +
                         std::to_string(p.chunks.size()) + " chunks completed");
  for (std::size_t i = 0; i < r.size(); ++i) {
    auto expected = sieve_count(p.chunks[i].lo, p.chunks[i].hi);
    if (r[i].primes != expected)
      return Verdict::fail("chunk " + std::to_string(i) + " counted " +
                           std::to_string(r[i].primes) + " primes, the sieve finds " +
                           std::to_string(expected));
  }
  std::vector<Span> spans;
  for (const auto& c : r) spans.push_back(c.span);
  auto peak = peak_overlap(spans);
  if (!m.concurrent && peak != 1)
    return Verdict::fail("a sequential model overlapped " + std::to_string(peak) + " chunks");
  return {true, "", r.size(), peak};
}

// ---- The cells -----------------------------------------------------------------------------

void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  cells.add_models({sequential, threads, processes, callbacks, futures, coroutines, nullptr});
  // fibers on the work-stealing pool: parallel, unlike the model's hub.
  cells.add(fibers::work_stealing_info, fibers);
  // The event-driven models also run their chunks on the loop thread itself.
  cells.add(callbacks::info, callbacks_on_loop, "on_loop");
  cells.add(futures::info, futures_on_loop, "on_loop");
  cells.add(coroutines::info, coroutines_on_loop, "on_loop");
  cells.add(fibers::info, fibers_on_loop, "on_loop");
  register_python(catalog);
  register_mpi(catalog);
}

}  // namespace cmbench::cpu_bound
