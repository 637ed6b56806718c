// Micro-benchmarks: the cost of one operation of a model's runtime (a callback dispatch, a
// future continuation, a timer), each beside its floor (the least any implementation could
// do) and an industrial peer, registered in the same binary so that every ratio comes from
// one run. Run them with `cmbench micro`. Unlike cells, they time many operations per
// iteration with Google Benchmark's own loop, and report ns per operation.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace cmbench::micro {

// Every row verifies its answer: a wrong one ends the run with this error, never a time.
inline void check(std::int64_t got, std::int64_t want, const char* row) {
  if (got != want)
    throw std::runtime_error(std::string("micro/") + row + ": got " + std::to_string(got) +
                             ", expected " + std::to_string(want));
}

void register_reactor();               // bench/micro/reactor.cpp: dispatch and timers
void register_futures();               // bench/micro/futures.cpp: continuations
void register_coroutine_references();  // bench/micro/coroutine_references.cpp: floors, asio
void register_coroutines();            // bench/micro/coroutines.cpp: the coroutines model's rows
void register_fiber_references();      // bench/micro/fiber_references.cpp: Boost floors
void register_fibers();                // bench/micro/fibers.cpp: the fibers model's rows
void register_trace();  // bench/micro/trace.cpp: the trace recorder's cost per event, on

// One run of the coroutines' ping-pong (micro/task_pingpong/coroutines): two tasks handing
// a value back and forth `rounds` times; returns 2·rounds. Shared with micro/trace/*, which
// times the same exchange with the recorder on.
std::int64_t run_pingpong(std::int64_t rounds, bool pooled,
                          bool direct_switch = true);  // bench/micro/coroutines.cpp

}  // namespace cmbench::micro
