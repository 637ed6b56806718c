// sleep_fanout's Python rows (workloads/python/rows.hpp): each program gets the waits in µs
// and hands back one span per task, `start_ns end_ns` on CLOCK_MONOTONIC (Python's
// time.monotonic_ns reads the same clock as the C++ models), checked by verify().
#include "workloads/python/rows.hpp"
#include "sleep_fanout/spec.hpp"

namespace cmbench::sleep_fanout {

std::string python_args(const Params& p) {
  std::vector<std::int64_t> waits_us;
  waits_us.reserve(p.waits.size());
  for (auto w : p.waits) waits_us.push_back(w.count());
  return python::Args().integers("waits_us", waits_us).json();
}

Result python_result(const python::Output& out) {
  Result spans(out.lines.size());
  for (std::size_t i = 0; i < spans.size(); ++i) spans[i] = {out.integer(i, 0), out.integer(i, 1)};
  return spans;
}

namespace {

// In the quick and full profiles, 100 waits of 10 ms: the scale every framework holds, beside
// its twin's (10^5 Python tasks take 3 to 13 s a cell: exhaustive).
bool quick(const ParamValues& v) {
  return v.integer("N") == 100;
}

}  // namespace

void register_python(Catalog& catalog) {
  python::Rows<Params, Result> rows(catalog, "sleep_fanout", make_params, verify, python_args,
                                    python_result, quick, quick);
  // The quick run keeps asyncio and gevent (≈ 1 s a cell); Twisted's imports (≈ 0.45 s an
  // interpreter) and a thousand Python threads cost several seconds a cell: full profile.
  rows.add(python::asyncio, "asyncio");
  rows.add(python::uvloop, "uvloop", python::full_only);
  rows.add(python::twisted, "twisted", python::full_only);
  rows.add(python::tornado, "tornado", python::full_only);
  rows.add(python::gevent, "gevent");
  rows.add(python::threading, "threading", python::full_only);
  rows.add(python::threading, "threading-pool", python::full_only);
  // A forked interpreter costs ≈ 25 ms to start and reap here: 1 000 of them, 25 s.
  rows.add(python::multiprocessing, "multiprocessing", python::full_only);
}

}  // namespace cmbench::sleep_fanout
