// cmbench-trace-floor: the trace recorder's floor. The same rows as `cmbench micro` for the
// reactor's dispatch and the coroutines' ping-pong (bench/micro/reactor.cpp and
// coroutines.cpp, the very same files), linked against the core and the coroutines model
// built with CMBENCH_TRACE=0, where every hook of models/core/trace.hpp is empty and vanishes.
// `cmbench trace-cost` runs it beside `cmbench micro`, whose rows have the recorder compiled
// in but off: the difference is the price of being able to trace (docs/timelines.md).
//
//   cmbench-trace-floor [--benchmark_*...]
//
// Not for: anything but that comparison (it holds no other rows and no cells). Set up as
// `cmbench micro` is (timer slack, malloc, the recorded environment), so that the two runs
// differ only in the recorder.
#include <benchmark/benchmark.h>

#include <exception>
#include <iostream>

#include "harness/process_tuning.hpp"
#include "harness/recorded_environment.hpp"
#include "micro/micro.hpp"
#include "models/core/trace.hpp"

static_assert(!CMBENCH_TRACE, "the floor is built without the recorder (models/CMakeLists.txt)");

int main(int argc, char** argv) {
  using namespace cmbench;
  set_timer_slack(1);
  keep_freed_memory();
  for (const auto& [k, v] : environment()) benchmark::AddCustomContext(k, v);
  benchmark::AddCustomContext("cmbench_trace", "compiled out (CMBENCH_TRACE=0)");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  try {
    micro::register_reactor();
    micro::register_coroutines();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  } catch (const std::exception& e) {  // a row's wrong answer (micro::check)
    std::cerr << "cmbench-trace-floor: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
