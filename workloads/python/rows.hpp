// The Python reference rows: the tutorials' own frameworks (asyncio, uvloop, Twisted, Tornado,
// gevent, threading, multiprocessing) running the workload beside the C++ model that
// reproduces each one's style, verified by the same verifier, in the same run.
//
// A row is a short Python program, workloads/<workload>/python/<framework>.py, run by
// workloads/python/row.py with /usr/bin/python3 in an interpreter of its own for every run:
//   prepare  start the interpreter, import the framework, hand it the parameters (JSON),
//            wait for "ready"                                                  (not timed)
//   run      "go", wait for "done"                                             (timed)
//   check    read the result lines, parse them into the workload's Result, verify; start
//            the next run's interpreter                                        (not timed)
// So the timed region holds the row's own work and one pipe round trip, never the
// interpreter's start-up or imports. Every run starts from a fresh interpreter (a fresh
// reactor for Twisted, whose reactor cannot be restarted; no garbage left by the last run).
//
// The catalog knows one model, `py`, a reference; each framework is a variant of it
// (`py-asyncio`) bounded by its own ModelInfo (the framework's limits, whether its tasks
// overlap or run in parallel, and its `twin`: the model the report sets it beside).
// Thread-safety: a row's state is used by the one thread that runs the cell.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cells/registry.hpp"

namespace cmbench::python {

// The catalog's model of the Python rows: its name and its place in the tables.
inline constexpr ModelInfo info{
    .name = "py",
    .style = "the Python frameworks themselves (CPython 3.11, Debian's packages)",
    .idiom = "the tutorial's own code: async def and gather, Deferreds, gevent.spawn, ...",
    .concurrent = true,
    .parallel = true,
    .max_tasks = 1'000'000,
    .limit_reason = "each framework's own, below",
    .task_start_us = 20,
    .reference = true,
};

// Each framework's bounds and twin (CellImpl::limits). Start costs are rough, for estimates.
// Plain Python, one task after another: the Python rows' own reference time, where a
// workload has one (cpu_bound), so that their speed-ups can be read against Python itself.
inline constexpr ModelInfo sequential{
    .name = "py",
    .style = "plain Python",
    .idiom = "a loop over the tasks, one call each",
    .concurrent = false,
    .parallel = false,
    .max_tasks = unlimited_tasks,
    .limit_reason = "none: a task is a call, and one call runs at a time",
    .task_start_us = 0.1,
    .reference = true,
    .twin = "sequential",
};
inline constexpr ModelInfo asyncio{
    .name = "py",
    .style = "asyncio",
    .idiom = "async def; asyncio.create_task and gather on asyncio's own loop",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 1'000'000,
    .limit_reason = "≈ 1 KiB of Python objects per waiting task; 10^6 would take minutes",
    .task_start_us = 15,
    .reference = true,
    .twin = "coroutines",
};
inline constexpr ModelInfo uvloop{
    .name = "py",
    .style = "asyncio on uvloop (libuv underneath)",
    .idiom = "the asyncio program, with uvloop's event loop",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 1'000'000,
    .limit_reason = "as asyncio",
    .task_start_us = 10,
    .reference = true,
    .twin = "coroutines",
};
// asyncio's Protocol and Transport (on asyncio's loop or uvloop's) are Twisted's, callbacks
// the loop calls with each read: the servers written that way are set beside callbacks.
inline constexpr ModelInfo asyncio_protocol{
    .name = "py",
    .style = "asyncio's Protocol (callbacks on asyncio's loop)",
    .idiom = "an asyncio.Protocol per connection: data_received, transport.write",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 1'000'000,
    .limit_reason = "as asyncio",
    .task_start_us = 15,
    .reference = true,
    .twin = "callbacks",
};
inline constexpr ModelInfo uvloop_protocol{
    .name = "py",
    .style = "asyncio's Protocol on uvloop (libuv underneath)",
    .idiom = "an asyncio.Protocol per connection, with uvloop's event loop",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 1'000'000,
    .limit_reason = "as asyncio",
    .task_start_us = 10,
    .reference = true,
    .twin = "callbacks",
};
inline constexpr ModelInfo twisted{
    .name = "py",
    .style = "Twisted",
    .idiom = "Deferreds and callbacks on the reactor; deferLater, gatherResults",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 1'000'000,
    .limit_reason = "as asyncio: Python objects per waiting Deferred",
    .task_start_us = 20,
    .reference = true,
    .twin = "callbacks",
};
inline constexpr ModelInfo tornado{
    .name = "py",
    .style = "Tornado",
    .idiom = "coroutines and Futures on Tornado's IOLoop; gen.sleep, gen.multi",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 1'000'000,
    .limit_reason = "as asyncio: Tornado runs on asyncio's loop",
    .task_start_us = 20,
    .reference = true,
    .twin = "futures",
};
inline constexpr ModelInfo gevent{
    .name = "py",
    .style = "gevent",
    .idiom = "greenlets: gevent.spawn, gevent.sleep, gevent.joinall",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 1'000'000,
    .limit_reason = "a greenlet's stack slice is copied out on every switch; ≈ 1-2 KiB each",
    .task_start_us = 10,
    .reference = true,
    .twin = "fibers",
};
inline constexpr ModelInfo threading{
    .name = "py",
    .style = "threading / concurrent.futures",
    .idiom = "a threading.Thread per task, start and join; or a ThreadPoolExecutor",
    .concurrent = true,
    .parallel = false,  // the GIL: one thread runs Python code at a time
    .max_tasks = 10'000,
    .limit_reason = "an OS thread per task, as the threads model (8 MiB of stack reserved each)",
    .task_start_us = 60,
    .reference = true,
    .twin = "threads",
};
inline constexpr ModelInfo multiprocessing{
    .name = "py",
    .style = "multiprocessing",
    .idiom = "a multiprocessing.Process per task, or a Pool; results over pipes",
    .concurrent = true,
    .parallel = true,
    .max_tasks = 1'000,
    .limit_reason = "a forked interpreter per task, as the processes model",
    .task_start_us = 3'000,
    .reference = true,
    .twin = "processes",
};

// The row's parameters, as the JSON object its program reads: built one member at a time.
class Args {
 public:
  Args& integer(std::string_view name, std::int64_t value);
  Args& integers(std::string_view name, const std::vector<std::int64_t>& values);
  Args& text(std::string_view name, std::string_view value);
  std::string json() const { return body_.empty() ? "{}" : "{" + body_ + "}"; }

 private:
  Args& member(std::string_view name, const std::string& value);
  std::string body_;
};

// What a row's program handed back: its result lines, split into fields at spaces, and the
// run's CPU time as the interpreter measured it.
struct Output {
  std::vector<std::vector<std::string>> lines;
  std::int64_t cpu_ns = 0, wall_ns = 0;

  // Field `i` of line `l` as an integer; throws std::runtime_error naming the line if it is
  // missing or not a number.
  std::int64_t integer(std::size_t l, std::size_t i) const;
};

// One interpreter running one row once. Thread-safety: one thread.
class Interpreter {
 public:
  // Starts `row` (a path below workloads/: "sleep_fanout/python/asyncio.py"), hands it
  // `args`, and waits until it is ready. Throws std::runtime_error with the program's
  // stderr if it fails to start or to get ready within a minute.
  Interpreter(const std::string& row, const std::string& args);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Starts the run and waits for it to end (as long as it takes: the suite's time limit
  // ends a row that hangs). Throws std::runtime_error with the row's error.
  void run();
  // Reads what the run handed back and waits for the interpreter to exit.
  Output output();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The workloads' directory in the source tree, where the rows' programs are.
std::string workloads_dir();

// The interpreter of a row's next run, started before it is wanted (in the last run's
// check, or at prepare). Thread-safety: one thread.
class Next {
 public:
  Next(std::string row, std::string args);  // starts the first; throws as Interpreter does
  // Starts the next one; on failure, remembers why, for take() to throw.
  void start();
  // The interpreter started last; throws std::runtime_error if it could not start.
  std::shared_ptr<Interpreter> take();

 private:
  std::string row_, args_, failed_;
  std::shared_ptr<Interpreter> ready_;
};

// A Python row as the catalog's Prepare: `make` parses the parameters, `args` hands them to
// the program, `read` turns its output into the workload's Result (throwing
// std::runtime_error on output it cannot read), `verify` is the workload's verifier, called
// with the framework's ModelInfo. The row's CPU time, as its interpreter measured it, is
// reported as the run's `cpu_util` (the harness's own reading cannot see an interpreter that
// is reaped after the timed region).
template <class Params, class Result>
Prepare prepared_row(std::string row, Params (*make)(const ParamValues&),
                     std::string (*args)(const Params&), Result (*read)(const Output&),
                     Verdict (*verify)(const Params&, const Result&, const ModelInfo&),
                     const ModelInfo& framework) {
  return [=, &framework](const ParamValues& values) -> Run {
    auto params = std::make_shared<const Params>(make(values));
    auto next = std::make_shared<Next>(row, args(*params));
    return [=, &framework]() -> Check {
      std::shared_ptr<Interpreter> now = next->take();
      now->run();
      return [=, &framework] {
        try {
          Output out = now->output();
          next->start();  // the next run's interpreter, while nothing is timed
          Verdict v = verify(*params, read(out), framework);
          if (v.ok && out.wall_ns > 0)
            v.metrics.emplace_back("cpu_util", double(out.cpu_ns) / double(out.wall_ns));
          return v;
        } catch (const std::exception& e) {
          return Verdict::fail(std::string("the row's output: ") + e.what());
        }
      };
    };
  };
}

// A row that the quick profile leaves out (Rows::add): it costs more than the quick run can
// pay at any of its scales.
inline bool full_only(const ParamValues&) {
  return false;
}

// Where a Python row runs (CellImpl::runs_at): in the quick profile at the scales `quick`
// picks; in the full profile at every scale of the workload's quick profile that `in_full`
// (if given) accepts (an interpreter's start per run makes the full profile's curve points
// too dear: ≈ 0.25 s each, ten times a cell); in the exhaustive profile at all of them.
std::function<bool(Profile, const ParamValues&)> runs_at(
    const Catalog& catalog, const std::string& workload, bool (*quick)(const ParamValues&),
    bool (*in_full)(const ParamValues&) = nullptr);

// Why a Python row has no cell at `v`: "" over loopback, else (a cell across a link, its
// `server` or `client` on another host) that the rows' programs serve and connect on
// 127.0.0.1 only. And `also`'s reason, if it gives one.
std::string loopback_only(const ParamValues& v,
                          const std::function<std::string(const ParamValues&)>& also = nullptr);

// A workload's Python rows, added to the catalog under the model `py`:
//
//   python::Rows<Params, Result> rows(catalog, "sleep_fanout", make_params, verify, args, read,
//                                     quick);
//   rows.add(python::asyncio, "asyncio");   // workloads/sleep_fanout/python/asyncio.py
//
// `quick` picks the scales of the quick profile a row runs at; `in_full`, if given, which of
// the quick profile's scales every row runs at in the full profile (python::runs_at).
template <class Params, class Result>
class Rows {
 public:
  using Quick = bool (*)(const ParamValues&);
  Rows(Catalog& catalog, std::string workload, Params (*make)(const ParamValues&),
       Verdict (*verify)(const Params&, const Result&, const ModelInfo&),
       std::string (*args)(const Params&), Result (*read)(const Output&), Quick quick,
       Quick in_full = nullptr)
      : catalog_(catalog),
        workload_(std::move(workload)),
        make_(make),
        verify_(verify),
        args_(args),
        read_(read),
        quick_(quick),
        in_full_(in_full) {}

  // The row `py-<variant>`, the program workloads/<workload>/python/<variant>.py, bounded by
  // `framework`. `quick`, if given, replaces the workload's choice of quick scales for this
  // row (python::full_only: none). `not_applicable` as for any implementation.
  void add(const ModelInfo& framework, const std::string& variant, Quick quick = nullptr,
           std::function<std::string(const ParamValues&)> not_applicable = nullptr) {
    const std::string row = workload_ + "/python/" + variant + ".py";
    catalog_.add_cell(
        workload_, std::string(info.name),
        prepared_row(row, make_, args_, read_, verify_, framework), variant,
        [also = std::move(not_applicable)](const ParamValues& v) { return loopback_only(v, also); },
        &framework, runs_at(catalog_, workload_, quick ? quick : quick_, in_full_));
  }

 private:
  Catalog& catalog_;
  std::string workload_;
  Params (*make_)(const ParamValues&);
  Verdict (*verify_)(const Params&, const Result&, const ModelInfo&);
  std::string (*args_)(const Params&);
  Result (*read_)(const Output&);
  Quick quick_;
  Quick in_full_;
};

}  // namespace cmbench::python
