#include "catalog.hpp"

#include <cstdlib>
#include <string>

#include "cpu_bound/spec.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "selftest/selftest.hpp"
#include "sleep_fanout/spec.hpp"

namespace cmbench {
namespace {

// Registers every model's implementation of one workload, in the catalog's model order.
template <class W>
void add_workload(Catalog& c, Workload spec) {
  const std::string name = spec.name;
  c.add_workload(std::move(spec));
  c.add_cell(name, "sequential",
             typed_cell(W::make_params, W::sequential, W::verify, sequential::info));
  c.add_cell(name, "threads", typed_cell(W::make_params, W::threads, W::verify, threads::info));
  c.add_cell(name, "processes",
             typed_cell(W::make_params, W::processes, W::verify, processes::info));
}

// Namespaces as template arguments: one struct per workload naming its functions.
struct SleepFanout {
  static constexpr auto make_params = sleep_fanout::make_params;
  static constexpr auto verify = sleep_fanout::verify;
  static constexpr auto sequential = sleep_fanout::sequential;
  static constexpr auto threads = sleep_fanout::threads;
  static constexpr auto processes = sleep_fanout::processes;
};
struct CpuBound {
  static constexpr auto make_params = cpu_bound::make_params;
  static constexpr auto verify = cpu_bound::verify;
  static constexpr auto sequential = cpu_bound::sequential;
  static constexpr auto threads = cpu_bound::threads;
  static constexpr auto processes = cpu_bound::processes;
};

}  // namespace

Catalog build_catalog(bool with_selftest) {
  Catalog c;
  c.add_model(sequential::info);
  c.add_model(threads::info);
  c.add_model(processes::info);
  add_workload<SleepFanout>(c, sleep_fanout::describe());
  add_workload<CpuBound>(c, cpu_bound::describe());
  if (with_selftest) selftest::add_to(c);
  return c;
}

const Catalog& catalog() {
  static const Catalog c = [] {
    const char* s = std::getenv("CMBENCH_SELFTEST");
    return build_catalog(s && std::string(s) == "1");
  }();
  return c;
}

}  // namespace cmbench
