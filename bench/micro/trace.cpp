// Micro-benchmarks of the trace recorder (models/core/trace.hpp) while it records.
//
// What they measure:
//  - micro/trace/floor: the least any recorder of this design pays per event: read
//    CLOCK_MONOTONIC and write a 32-byte event into freshly mapped memory, page faults
//    included. On a virtual machine the first touch of a page can cost microseconds; this
//    row tells that share apart from the recorder's own work. Items: events.
//  - micro/trace/record: one bare event (trace::resumed) on a recording thread, per event:
//    the flag, the thread's lane, the slot, the clock read. It includes what a real
//    recording pays too: the first touch of each page of a fresh region (one page fault per
//    128 events) and taking a chunk (one atomic add per 4096 events). Items: events.
//  - micro/trace/task_pingpong_on: micro/task_pingpong/coroutines (the same function,
//    run_pingpong) with the recorder on. Items: round trips.
//  - micro/trace/dispatch_on: micro/dispatch/reactor with the recorder on. Items: callbacks.
//  Both *_on rows count events_per_op, the events the recording holds per operation, so
//  that the recorder's cost per event is (on − off) ÷ events_per_op against the same row
//  off: `cmbench trace-cost` does that arithmetic, and times the rows off beside the same
//  code built without the recorder (bench/micro/trace_floor_main.cpp).
// Memory stays bounded: each row restarts the recording between batches (untimed), so a
// recording never holds more than one batch; a batch that would not fit is a wrong answer
// (dropped events), never a silent one.
// Not for: the recorder's cost when off (that is the floor's comparison), nor across
// threads (every event here is on one thread).
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>

#include "micro.hpp"
#include "models/core/engine.hpp"
#include "models/core/span.hpp"
#include "models/core/trace.hpp"

namespace cmbench::micro {
namespace {

// Ends the recording; its events, or a thrown error if it lost any.
std::uint64_t stop_whole(const char* row) {
  trace::Recording rec = trace::stop();
  if (rec.dropped() != 0)
    throw std::runtime_error(std::string("micro/trace/") + row + ": the recording dropped " +
                             std::to_string(rec.dropped()) + " of its events (capacity " +
                             std::to_string(rec.capacity) + "): a batch must fit");
  return rec.events();
}

constexpr std::int64_t events_per_batch = std::int64_t{1} << 16;  // 2 MiB of events

void floor(benchmark::State& state) {
  const std::size_t bytes = events_per_batch * sizeof(trace::Event);
  while (state.KeepRunningBatch(events_per_batch)) {
    state.PauseTiming();  // mapped as trace::start maps its region
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    auto* events = static_cast<trace::Event*>(p);
    state.ResumeTiming();
    for (std::int64_t i = 0; i < events_per_batch; ++i) {
      trace::Event& e = events[i];
      e.task = static_cast<trace::TaskId>(i + 1);
      e.arg = 0;
      e.kind = trace::Kind::resumed;
      e.detail = 0;
      e.ts = monotonic_ns();
    }
    benchmark::ClobberMemory();
    state.PauseTiming();
    bool whole = events[events_per_batch - 1].ts != 0;
    munmap(p, bytes);
    state.ResumeTiming();
    check(whole, true, "trace/floor");
  }
  state.SetItemsProcessed(state.iterations());
}

void record(benchmark::State& state) {
  constexpr std::int64_t batch = events_per_batch;  // per recording
  trace::TaskId task = 0;
  while (state.KeepRunningBatch(batch)) {
    state.PauseTiming();
    trace::start(batch);
    state.ResumeTiming();
    for (std::int64_t i = 0; i < batch; ++i) trace::resumed(++task);
    state.PauseTiming();
    check(static_cast<std::int64_t>(stop_whole("record")), batch, "trace/record");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
}

void task_pingpong_on(benchmark::State& state) {
  constexpr std::int64_t rounds = 10'000;          // as micro/task_pingpong/coroutines
  constexpr std::uint64_t capacity = 16 * rounds;  // room for 16 events per round trip
  std::uint64_t events = 0;
  trace::start(capacity);
  while (state.KeepRunningBatch(rounds)) {
    check(run_pingpong(rounds, false), 2 * rounds, "trace/task_pingpong_on");
    state.PauseTiming();
    events += stop_whole("task_pingpong_on");
    trace::start(capacity);
    state.ResumeTiming();
  }
  trace::stop();  // the one started after the last batch: empty
  state.SetItemsProcessed(state.iterations());
  state.counters["events_per_op"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
}

void dispatch_on(benchmark::State& state) {
  constexpr int batch = 1000;  // callbacks per loop turn, as micro/dispatch/reactor
  constexpr int turns = 64;    // loop turns per recording
  constexpr std::uint64_t capacity = 4 * batch * turns;  // room for 4 events per callback
  Engine r;
  std::int64_t count = 0, turn = 0;
  std::uint64_t events = 0;
  trace::start(capacity);
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) r.call_soon([&count] { ++count; });
    r.run();
    if (++turn % turns == 0) {
      state.PauseTiming();
      events += stop_whole("dispatch_on");
      trace::start(capacity);
      state.ResumeTiming();
    }
  }
  events += stop_whole("dispatch_on");
  check(count, state.iterations() * batch, "trace/dispatch_on");
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["events_per_op"] =
      static_cast<double>(events) / static_cast<double>(state.iterations() * batch);
}

}  // namespace

void register_trace() {
  benchmark::RegisterBenchmark("micro/trace/floor", floor);
  benchmark::RegisterBenchmark("micro/trace/record", record);
  benchmark::RegisterBenchmark("micro/trace/task_pingpong_on", task_pingpong_on);
  benchmark::RegisterBenchmark("micro/trace/dispatch_on", dispatch_on);
}

}  // namespace cmbench::micro
