// fetch_and_process's Python rows (workloads/python/rows.hpp): each program gets the origin's
// port and the pipeline's shape (N, P, C, Q, the timeout per fetch) and the kernel's rounds,
// fetches from the origin the C++ cells use (started by make_params when the cell is
// prepared, not timed, and held by the parameters for as long as the row runs), and hands
// back its largest queue depth on the first line, then one line per item in the order the
// consumers finished them: `index checksum fetch_start_ns fetch_end_ns done_ns`.
//
// The rounds: a step of the kernel costs ≈ 1-2 ns in C++ and ≈ 100-300 ns in Python, so the
// C++ rows' rounds for c would make every Python item cost 100 c and turn each pipeline into
// a wait for the interpreter's arithmetic. A Python row is asked instead for the rounds that
// take c of CPU in Python (measured here once per process by calibrate.py, as rounds_for
// measures the C++ kernel), and the verifier recomputes every item's checksum with those
// rounds: the rows compare pipelines at the same CPU time per item, not the same arithmetic.
#include "workloads/fetch_and_process/python/rows.hpp"

#include <charconv>

namespace cmbench::fetch_and_process {
namespace {

// The workload's parameters and origin, with the Python kernel's rounds for c.
Params python_params(const ParamValues& v) {
  Params p = make_params(v);
  p.rounds = python_rows::rounds_for(p.work);
  return p;
}

// A checksum is a 64-bit unsigned integer, above what Output::integer reads.
std::uint64_t checksum(const python::Output& out, std::size_t l) {
  const std::string& text = out.lines[l].at(1);
  std::uint64_t v = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (error != std::errc() || end != text.data() + text.size())
    throw std::runtime_error("result line " + std::to_string(l + 1) + ": checksum '" + text +
                             "' is not an unsigned 64-bit integer");
  return v;
}

}  // namespace

namespace python_rows {

// From the time of one step that calibrate.py measured, in picoseconds.
std::uint64_t rounds_for(std::chrono::microseconds c) {
  static const std::int64_t ps_per_round = [] {
    python::Interpreter calibrate("fetch_and_process/python/calibrate.py", "{}");
    calibrate.run();
    return std::max<std::int64_t>(1, calibrate.output().integer(0, 0));
  }();
  return std::max<std::uint64_t>(1, std::uint64_t(c.count()) * 1'000'000 / ps_per_round);
}

std::string args(const Params& p) {
  return python::Args()
      .integer("port", p.port)
      .integer("n", static_cast<std::int64_t>(p.n))
      .integer("producers", static_cast<std::int64_t>(p.producers))
      .integer("consumers", static_cast<std::int64_t>(p.consumers))
      .integer("capacity", static_cast<std::int64_t>(p.capacity))
      .integer("timeout_ms", p.timeout.count())
      .integer("rounds", static_cast<std::int64_t>(p.rounds))
      .json();
}

Result read(const python::Output& out) {
  Result r;
  r.max_depth = static_cast<std::size_t>(out.integer(0, 0));
  for (std::size_t l = 1; l < out.lines.size(); ++l) {
    Processed item;
    item.index = static_cast<std::size_t>(out.integer(l, 0));
    item.fetch = {out.integer(l, 2), out.integer(l, 3)};
    item.done_ns = out.integer(l, 4);  // all five fields are there
    item.checksum = checksum(out, l);
    r.items.push_back(item);
  }
  return r;
}

}  // namespace python_rows

void register_python(Catalog& catalog) {
  python::Rows<Params, Result> rows(catalog, "fetch_and_process", python_params, verify,
                                    python_rows::args, python_rows::read, python::full_only);
  // None in the quick profile: calibrating the CPU step and 4 runs of 200 items cost ≈ 7 s.
  rows.add(python::asyncio, "aiohttp");
  rows.add(python::asyncio, "aiohttp-naive");
  rows.add(python::twisted, "twisted");
  rows.add(python::tornado, "tornado");
  rows.add(python::gevent, "gevent");
  rows.add(python::threading, "threading");
  // P + C forked interpreters, ≈ 25 ms each, before the first fetch.
  rows.add(python::multiprocessing, "multiprocessing");
}

}  // namespace cmbench::fetch_and_process
