// error_handling's Python rows (workloads/python/rows.hpp): each program gets the policy and,
// per task, its wait in µs and whether it fails, and hands back the lines of
// workloads/error_handling/python/spec.py: one `task <ending> <value> <start_ns> <end_ns>
// <cleanups> [<error>]` per task in call order (times on CLOCK_MONOTONIC, which Python's
// time.monotonic_ns reads), then one `raised <error>` per error the fan-out reported, in its
// order. verify() checks them as it checks the C++ models' records.
#include <string>
#include <vector>

#include "error_handling/spec.hpp"
#include "workloads/python/rows.hpp"

namespace cmbench::error_handling {
namespace {

std::string args(const Params& p) {
  std::vector<std::int64_t> waits_us, fails;
  for (auto w : p.waits) waits_us.push_back(w.count());
  for (bool f : p.fails) fails.push_back(f ? 1 : 0);
  return python::Args()
      .text("policy", p.policy == Policy::collect ? "collect" : "cancel_on_first")
      .integers("waits_us", waits_us)
      .integers("fails", fails)
      .json();
}

// The words of a line from field `first` on, joined again: an error's text.
std::string text_from(const std::vector<std::string>& fields, std::size_t first) {
  std::string text;
  for (std::size_t i = first; i < fields.size(); ++i) text += (text.empty() ? "" : " ") + fields[i];
  return text;
}

Ending ending_of(const std::string& word) {
  if (word == "value") return Ending::value;
  if (word == "error") return Ending::error;
  if (word == "cancelled") return Ending::cancelled;
  if (word == "not_started") return Ending::not_started;
  throw std::runtime_error("'" + word + "' is no way for a task to end");
}

Result read(const python::Output& out) {
  Result r;
  for (std::size_t l = 0; l < out.lines.size(); ++l) {
    const auto& fields = out.lines[l];
    if (!fields.empty() && fields[0] == "raised") {
      r.errors.push_back(text_from(fields, 1));
      continue;
    }
    if (fields.size() < 6 || fields[0] != "task")
      throw std::runtime_error("line " + std::to_string(l) + " is neither a task nor an error");
    TaskRecord t;
    t.ending = ending_of(fields[1]);
    t.value = out.integer(l, 2);
    t.span = {out.integer(l, 3), out.integer(l, 4)};
    t.cleanups = static_cast<int>(out.integer(l, 5));
    t.error = text_from(fields, 6);
    r.tasks.push_back(std::move(t));
  }
  return r;
}

}  // namespace

void register_python(Catalog& catalog) {
  // Every row in the full profile: the quick run keeps to a few Python rows, where their
  // frameworks are the tutorials' subject (sleep_fanout, servers, clients).
  python::Rows<Params, Result> rows(catalog, "error_handling", make_params, verify, args, read,
                                    python::full_only);
  rows.add(python::asyncio, "asyncio");
  rows.add(python::uvloop, "uvloop", python::full_only);
  rows.add(python::twisted, "twisted", python::full_only);
  rows.add(python::tornado, "tornado", python::full_only);
  rows.add(python::gevent, "gevent", python::full_only);
  rows.add(python::threading, "threading", python::full_only);
  rows.add(python::threading, "threading-pool", python::full_only);
  rows.add(python::multiprocessing, "multiprocessing", python::full_only);
}

}  // namespace cmbench::error_handling
