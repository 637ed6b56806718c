#include "spec.hpp"

#include <algorithm>
#include <string>

#include "workloads/workload_cells.hpp"

namespace cmbench::error_handling {
namespace {

ParamValues at(const std::string& n, const std::string& f, const std::string& d,
               const std::string& policy) {
  return ParamValues({{"N", n}, {"F", f}, {"d", d}, {"policy", policy}});
}

// One after another the tasks take N·d: past this, a sequential cell says so instead of
// running for minutes.
constexpr double sequential_limit_seconds = 5;

std::string task(std::size_t i) {
  return "task " + std::to_string(i);
}

// Whether an error the fan-out reported is task i's: its text, or its text behind a
// prefix that says where it came from ("child 4242: task 25 failed", from a process).
bool names(const std::string& reported, std::size_t i) {
  const std::string text = error_text(i);
  return reported == text || (reported.size() > text.size() + 2 && reported.ends_with(": " + text));
}

Verdict check_collect(const Params& p, const Result& r) {
  std::vector<std::size_t> failing;
  for (std::size_t i = 0; i < p.waits.size(); ++i) {
    const TaskRecord& t = r.tasks[i];
    if (p.fails[i]) {
      failing.push_back(i);
      if (t.ending != Ending::error || !names(t.error, i))
        return Verdict::fail(task(i) + " should have given its error '" + error_text(i) + "'");
    } else if (t.ending != Ending::value || t.value != value_of(i)) {
      return Verdict::fail(task(i) + " should have given its value " + std::to_string(value_of(i)));
    }
  }
  if (r.errors.size() != failing.size())
    return Verdict::fail("the fan-out reported " + std::to_string(r.errors.size()) +
                         " errors, not the " + std::to_string(failing.size()) + " that happened");
  for (std::size_t k = 0; k < failing.size(); ++k)
    if (!names(r.errors[k], failing[k]))
      return Verdict::fail("error " + std::to_string(k) + " is '" + r.errors[k] + "', not " +
                           task(failing[k]) + "'s: errors out of call order");
  return {};
}

Verdict check_cancel_on_first(const Params& p, const Result& r) {
  std::vector<std::size_t> failed;  // the tasks that did fail, by the time they failed
  for (std::size_t i = 0; i < p.waits.size(); ++i) {
    const TaskRecord& t = r.tasks[i];
    if (t.ending == Ending::error) {
      if (!p.fails[i] || !names(t.error, i))
        return Verdict::fail(task(i) + " failed with '" + t.error + "', which is not its error");
      failed.push_back(i);
    } else if (t.ending == Ending::value) {
      if (p.fails[i]) return Verdict::fail(task(i) + " should have failed, not returned");
      if (t.value != value_of(i))
        return Verdict::fail(task(i) + " returned " + std::to_string(t.value) + ", not " +
                             std::to_string(value_of(i)));
    }
  }
  if (failed.empty()) return Verdict::fail("no task failed: the failures were lost");
  std::stable_sort(failed.begin(), failed.end(), [&](std::size_t a, std::size_t b) {
    return r.tasks[a].span.end_ns < r.tasks[b].span.end_ns;
  });
  const std::int64_t first_failure = r.tasks[failed[0]].span.end_ns;
  for (std::size_t i = 0; i < p.waits.size(); ++i)
    if (r.tasks[i].ending == Ending::cancelled && r.tasks[i].span.end_ns < first_failure)
      return Verdict::fail(task(i) + " was cancelled before any task had failed");
  if (r.errors.empty()) return Verdict::fail("the fan-out raised no error");
  if (!names(r.errors[0], failed[0]))
    return Verdict::fail("the fan-out raised '" + r.errors[0] + "', not the first failure, " +
                         task(failed[0]) + "'s");
  // Any further errors (an ExceptionGroup's) are failures that happened, in their order.
  std::size_t next = 1;
  for (std::size_t k = 1; k < r.errors.size(); ++k) {
    while (next < failed.size() && !names(r.errors[k], failed[next])) ++next;
    if (next == failed.size())
      return Verdict::fail("the fan-out reported '" + r.errors[k] +
                           "', which is no failure that happened, or is out of order");
    ++next;
  }
  return {};
}

}  // namespace

std::string error_text(std::size_t i) {
  return task(i) + " failed";
}

std::string what(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

Workload describe() {
  Workload w;
  w.name = "error_handling";
  w.title = "failures inside a fan-out: collect them, or cancel on the first";
  w.summary =
      "N tasks start together and F of them fail, one early and the others late. Collecting "
      "gives every result and every error in call order; cancelling on the first failure "
      "should stop the siblings at once. Reported beside the time: how long after the first "
      "failure the last sibling stopped, and how many siblings ran to the end anyway.";
  w.params = {
      {"N", ParamKind::integer, "100", "number of tasks", 1, 1'000'000},
      {"F", ParamKind::integer, "2", "number of tasks that fail (spread over the call order)", 1,
       1'000'000},
      {"d", ParamKind::duration, "5ms",
       "wait of a task that succeeds; failures come at d/10 .. 9d/10", 10, 60'000'000},
      {"policy",
       ParamKind::choice,
       "collect",
       "what a failure does to its siblings",
       0,
       0,
       {"collect", "cancel_on_first"}},
  };
  w.scale_param = "N";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    for (auto policy : {"collect", "cancel_on_first"}) {
      // Quick: the one scale the issue quotes. 100 tasks of 5 ms: a sequential loop takes
      // 0.5 s, a concurrent model about 5 ms.
      s.push_back(at("100", "2", "5ms", policy));
      if (profile == Profile::quick) continue;
      // Full: 1 000 tasks of 100 ms too (the sequential loop, 100 s a run, is left out).
      s.push_back(at("1000", "10", "100ms", policy));
      if (profile == Profile::full) continue;
      s.push_back(at("10000", "10", "1s", policy));
    }
    return s;
  };
  w.smallest = at("4", "2", "5ms", "collect");
  w.traced = at("6", "2", "20ms", "cancel_on_first");
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("N")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    const double n = static_cast<double>(v.integer("N"));
    const double d = v.duration("d").count() * 1e-6;
    return (m.concurrent ? d : n * d) + n * m.task_start_us * 1e-6;
  };
  w.metrics = {
      {"stop_us", "time from the first failure until every sibling stopped", "µs", true, true},
      {"ran_to_end", "siblings that ran to the end", "", true, true},
  };
  return w;
}

Params make_params(const ParamValues& v) {
  const auto n = static_cast<std::size_t>(v.integer("N"));
  const auto f = static_cast<std::size_t>(v.integer("F"));
  const auto d = v.duration("d");
  if (f > n)
    throw BadInput("F = " + std::to_string(f) +
                   " failing tasks, but only N = " + std::to_string(n) + " tasks");
  Params p;
  p.policy = v.text("policy") == "collect" ? Policy::collect : Policy::cancel_on_first;
  p.waits.assign(n, d);
  p.fails.assign(n, false);
  for (std::size_t j = 0; j < f; ++j) {
    const std::size_t i = (2 * j + 1) * n / (2 * f);
    // Failing task j fails at d·(1 + 8·(f-1-j)/(f-1))/10: the last in call order first.
    const double tenths = f == 1 ? 1.0 : 1.0 + 8.0 * double(f - 1 - j) / double(f - 1);
    p.fails[i] = true;
    p.waits[i] = std::chrono::microseconds(
        std::max<std::int64_t>(1, static_cast<std::int64_t>(double(d.count()) * tenths / 10)));
  }
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  const std::size_t n = p.waits.size();
  if (r.tasks.size() != n)
    return Verdict::fail(std::to_string(r.tasks.size()) + " task records for " + std::to_string(n) +
                         " tasks");
  std::vector<Span> spans;
  for (std::size_t i = 0; i < n; ++i) {
    const TaskRecord& t = r.tasks[i];
    if (t.ending == Ending::not_started) {
      // Only a loop that runs one task after another stops before starting the rest.
      if (p.policy == Policy::collect || m.concurrent)
        return Verdict::fail(task(i) + " never started");
      if (t.cleanups != 0) return Verdict::fail(task(i) + " never started, yet cleaned up");
      continue;
    }
    if (t.cleanups != 1)
      return Verdict::fail(task(i) + "'s clean-up ran " + std::to_string(t.cleanups) +
                           " times, not once");
    if (t.span.start_ns <= 0 || t.span.end_ns < t.span.start_ns)
      return Verdict::fail(task(i) + " recorded no span of its own");
    spans.push_back(t.span);
  }
  Verdict v = p.policy == Policy::collect ? check_collect(p, r) : check_cancel_on_first(p, r);
  if (!v.ok) return v;

  // The figures: from the first failure (the end of the failing task's clean-up) to the
  // moment the last other task stopped, and the siblings that returned their value.
  std::int64_t first_failure = INT64_MAX, last_stop = 0;
  for (const TaskRecord& t : r.tasks)
    if (t.ending == Ending::error) first_failure = std::min(first_failure, t.span.end_ns);
  double ran_to_end = 0;
  for (const TaskRecord& t : r.tasks) {
    if (t.ending == Ending::value) ++ran_to_end;
    if (t.ending != Ending::not_started && t.span.end_ns != first_failure)
      last_stop = std::max(last_stop, t.span.end_ns);
  }
  const double stop_us = std::max<std::int64_t>(0, last_stop - first_failure) / 1e3;
  v.tasks = spans.size();
  v.peak_in_flight = peak_overlap(spans);
  v.metrics = {{"stop_us", stop_us}, {"ran_to_end", ran_to_end}};
  return v;
}

// ---- The cells -----------------------------------------------------------------------------

void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  cells.add(sequential::info, sequential, "", [](const ParamValues& v) -> std::string {
    const double seconds = double(v.integer("N")) * v.duration("d").count() * 1e-6;
    if (seconds <= sequential_limit_seconds) return "";
    return "one after another the tasks would take N·d = " + std::to_string(int(seconds)) + " s";
  });
  cells.add_models({nullptr, threads, processes, callbacks, futures, coroutines, fibers});
  // Threads blocked in a system call (sleep) rather than on a condition variable: what a
  // stop token cannot reach.
  cells.add(threads::info, threads_blocking, "blocking");
  register_python(catalog);
}

}  // namespace cmbench::error_handling
