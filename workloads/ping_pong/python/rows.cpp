// ping_pong's Python rows (workloads/python/rows.hpp): each program gets R, the placement and
// the two CPUs, pins its ends there itself (os.sched_setaffinity), and hands back one line,
// `token handoffs elapsed_ns cpu_a cpu_b`, with the CPUs read by each end at its last
// hand-off (sched_getcpu) and the rounds timed inside the run, as the C++ rows do: verify()
// checks the count, the token and the CPUs.
#include <string>

#include "ping_pong/spec.hpp"
#include "workloads/python/rows.hpp"

namespace cmbench::ping_pong {
namespace {

std::string args(const Params& p) {
  return python::Args()
      .integer("rounds", p.rounds)
      .integer("split", p.split ? 1 : 0)
      .integer("cpu_a", p.cpu_a)
      .integer("cpu_b", p.cpu_b)
      .json();
}

Result read(const python::Output& out) {
  if (out.lines.size() != 1)
    throw std::runtime_error(std::to_string(out.lines.size()) + " result lines, not one");
  Result r;
  r.token = out.integer(0, 0);
  r.handoffs = out.integer(0, 1);
  r.elapsed_ns = out.integer(0, 2);
  r.cpu_a = static_cast<int>(out.integer(0, 3));
  r.cpu_b = static_cast<int>(out.integer(0, 4));
  return r;
}

// The quick profile's ping_pong scales (R = 1 000, same and split) cost a Python row about
// two seconds each: asyncio's loop runs there, in the same placement; the others in the full
// profile.
bool quick(const ParamValues& v) {
  return v.text("place") == "same";
}

std::string needs_two_cpus(const ParamValues& v) {
  if (v.text("place") == "split" && allowed_cpus().size() < 2)
    return "place=split needs two CPUs; this process has one";
  return "";
}

// Twisted's reactor is a process-wide singleton (twisted.internet.reactor, installed once),
// so the second end has no reactor of its own to run on or to be woken through.
std::string one_reactor(const ParamValues& v) {
  if (v.text("place") == "split")
    return "Twisted runs one reactor per process: no second reactor for the other end's thread";
  return "";
}

}  // namespace

void register_python(Catalog& catalog) {
  python::Rows<Params, Result> rows(catalog, "ping_pong", make_params, verify, args, read, quick);
  rows.add(python::asyncio, "asyncio", nullptr, needs_two_cpus);
  rows.add(python::uvloop, "uvloop", python::full_only, needs_two_cpus);
  rows.add(python::twisted, "twisted", python::full_only, one_reactor);
  rows.add(python::tornado, "tornado", python::full_only, needs_two_cpus);
  rows.add(python::gevent, "gevent", python::full_only, needs_two_cpus);
  rows.add(python::threading, "threading", python::full_only, needs_two_cpus);
  rows.add(python::multiprocessing, "multiprocessing", python::full_only, needs_two_cpus);
}

}  // namespace cmbench::ping_pong
