// cpu_bound's Python rows (workloads/python/rows.hpp): each program gets the chunks' bounds
// (`lo` and `hi`, one list each), runs kernel.hpp's trial division in pure Python (kernel.py)
// and hands back one line per chunk, `primes start_ns end_ns`, checked by verify() against
// the sieve. py-sequential is plain Python one chunk after another: the Python rows' own
// reference, since the suite's speed-up column is against the C++ sequential row.
#include "workloads/python/rows.hpp"
#include "cpu_bound/spec.hpp"

namespace cmbench::cpu_bound {
namespace {

std::string args(const Params& p) {
  std::vector<std::int64_t> lo, hi;
  for (const Chunk& c : p.chunks) {
    lo.push_back(static_cast<std::int64_t>(c.lo));
    hi.push_back(static_cast<std::int64_t>(c.hi));
  }
  return python::Args().integers("lo", lo).integers("hi", hi).json();
}

Result read(const python::Output& out) {
  Result chunks(out.lines.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    chunks[i].primes = static_cast<std::uint64_t>(out.integer(i, 0));
    chunks[i].span = {out.integer(i, 1), out.integer(i, 2)};
  }
  return chunks;
}

}  // namespace

// None in the quick profile: the smallest of its scales, 8 chunks of 3 000 numbers, takes
// CPython ≈ 0.8 s a run (≈ 0.1 s a chunk), ≈ 5 s a cell, more than the quick run can pay.
void register_python(Catalog& catalog) {
  python::Rows<Params, Result> rows(catalog, "cpu_bound", make_params, verify, args, read,
                                    python::full_only);
  rows.add(python::sequential, "sequential");
  rows.add(python::threading, "threading");
  rows.add(python::multiprocessing, "multiprocessing");
  // The same lesson as threading's (the GIL), in each framework's way of offloading: full only.
  rows.add(python::threading, "threading-pool", python::full_only);
  rows.add(python::asyncio, "asyncio", python::full_only);
  rows.add(python::uvloop, "uvloop", python::full_only);
  rows.add(python::twisted, "twisted", python::full_only);
  rows.add(python::tornado, "tornado", python::full_only);
  rows.add(python::gevent, "gevent", python::full_only);
}

}  // namespace cmbench::cpu_bound
