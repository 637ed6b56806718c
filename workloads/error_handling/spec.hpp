// error_handling: failures inside a fan-out. N tasks start together; F of them fail, one
// early and the others later; the rest succeed after waiting d. Two policies, each the
// framework's own idiom:
//   collect          every result and every error, in call order (gather with
//                    return_exceptions, DeferredList, joinall then get, a pool's futures,
//                    exit statuses);
//   cancel_on_first  the first failure cancels the siblings (TaskGroup, killall, cancelled
//                    Deferreds, a stop token, terminate).
// What it measures, beside the wall time: how long after the first failure the last
// sibling stopped, and how many siblings ran to the end anyway (a model that cannot
// interrupt a task's wait lets it finish).
//
// Parameters: N tasks, F failing, d the wait of a task that succeeds, the policy. Which
// tasks fail and when is fixed by N, F and d: failing task j (j = 0..F-1) is task
// (2j+1)·N/(2F), and the failing tasks fail in the reverse of call order, the last one
// early (after d/10) and the first one late (after 9d/10), the others evenly between, so
// that completion order is not call order.
// Result: one TaskRecord per task in call order (how it ended, recorded by the task and by
// the fan-out, its span up to the end of its clean-up, how often its clean-up ran), and the
// errors the fan-out reported, in its order.
// Verified: collect: every value and every error, each at its index, and the errors in call
// order; cancel_on_first: the fan-out raised the first failure in time, every sibling either
// finished with its own right value or was cancelled after that failure, and no task
// finished with an error it should not have. Both: every task that started ran its clean-up
// exactly once (a task that never started, which only a sequential loop has, ran none).
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/span.hpp"

namespace cmbench::error_handling {

enum class Policy { collect, cancel_on_first };

struct Params {
  Policy policy = Policy::collect;
  std::vector<std::chrono::microseconds> waits;  // task i waits waits[i], then ends
  std::vector<bool> fails;                       // ... by failing, if fails[i]
};

// How a task ended.
enum class Ending : std::uint8_t {
  not_started,  // a sequential loop stopped before it
  value,        // it returned its value: it ran to the end
  error,        // it raised its error
  cancelled,    // the first failure stopped it before its end
};

struct TaskRecord {
  Ending ending = Ending::not_started;
  std::int64_t value = 0;  // when it returned one
  std::string error;       // the error's text, when it raised one
  Span span{};             // from its start to the end of its clean-up
  int cleanups = 0;        // how many times its clean-up ran
};

struct Result {
  std::vector<TaskRecord> tasks;    // call order
  std::vector<std::string> errors;  // the errors the fan-out reported, in its order
};

// What task i returns when it succeeds, and the error it raises when it fails.
inline std::int64_t value_of(std::size_t i) {
  return static_cast<std::int64_t>(i) * 7 + 1;
}
std::string error_text(std::size_t i);  // "task 25 failed"
// The text of an error carried as an exception_ptr (a task's outcome): its what().
std::string what(const std::exception_ptr& error);
struct TaskFailed : std::runtime_error {
  explicit TaskFailed(std::size_t i) : std::runtime_error(error_text(i)) {}
};

// A task's clean-up, the `finally:` block every model's task has: counts itself and closes
// the task's span. It must run however the task ends (its value, its error, its
// cancellation): CleanUp runs it from a destructor, a callback model from an addBoth.
inline void end_clean_up(TaskRecord& r) {
  ++r.cleanups;
  r.span.end_ns = monotonic_ns();
}
class CleanUp {
 public:
  explicit CleanUp(TaskRecord& r) : r_(r) { r_.span.start_ns = monotonic_ns(); }
  CleanUp(const CleanUp&) = delete;
  CleanUp& operator=(const CleanUp&) = delete;
  ~CleanUp() { end_clean_up(r_); }

 private:
  TaskRecord& r_;
};

// The end of task i's wait: its value, or its error raised.
inline std::int64_t finish(const Params& p, std::size_t i) {
  if (p.fails[i]) throw TaskFailed(i);
  return value_of(i);
}

Workload describe();
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// One implementation per model, in workloads/error_handling/<model>.cpp. Each follows
// p.policy.
Result sequential(const Params& p);
Result threads(const Params& p);
Result threads_blocking(const Params& p);  // tasks blocked in sleep(): no stop token reaches
Result processes(const Params& p);
Result callbacks(const Params& p);
Result futures(const Params& p);
Result coroutines(const Params& p);
Result fibers(const Params& p);

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);
// Its Python rows (workloads/error_handling/python/), called by register_cells.
void register_python(Catalog& catalog);

}  // namespace cmbench::error_handling
