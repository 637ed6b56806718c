#include "spec.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <utility>

namespace cmbench::demos::three_tasks {
namespace {

// "sequential 6.0 s, threads 3.0 s, coroutines 3.0 s: one after another the waits add up
// (2 + 3 + 1); concurrently they overlap and the longest (3) sets the total, on one thread
// (coroutines) or on 3 threads (threads)".
std::string lesson(const std::vector<Run>& runs) {
  std::string times;
  bool one_after_another = false;
  std::vector<std::pair<std::string, std::string>> where;  // "on one thread", its models
  for (const auto& r : runs) {
    times += fmt::format("{}{} {}", times.empty() ? "" : ", ", r.model, seconds(r.wall_ns));
    if (r.model == "sequential") {
      one_after_another = true;
      continue;
    }
    const std::size_t lanes = r.lanes("Task ");
    const std::string kind = r.model == "processes" ? "process" : "thread";
    const std::string place =
        lanes == 1 ? "on one " + kind
                   : fmt::format("on {} {}{}", lanes, kind, kind == "process" ? "es" : "s");
    auto it = std::find_if(where.begin(), where.end(), [&](auto& w) { return w.first == place; });
    if (it == where.end()) {
      where.emplace_back(place, r.model);
    } else {
      it->second += ", " + r.model;
    }
  }
  std::string why;
  if (one_after_another) why += "one after another the waits add up (2 + 3 + 1)";
  if (!where.empty()) {
    why += std::string(why.empty() ? "" : "; ") +
           "concurrently they overlap and the longest (3) sets the total";
    for (std::size_t i = 0; i < where.size(); ++i)
      why += fmt::format("{}{} ({})",
                         i == 0                  ? ", "
                         : i + 1 == where.size() ? " or "
                                                 : ", ",
                         where[i].first, where[i].second);
  }
  return times + ": " + why;
}

}  // namespace

Scenario describe() {
  return {
      .name = "three_tasks",
      .title = "Three tasks wait 2, 3 and 1 units",
      .teaches =
          "Run one after another, the waits add up: 2 + 3 + 1 = 6 units. Run concurrently, "
          "they overlap and the longest wait sets the total: 3 units. The event-driven models "
          "(callbacks, futures, fibers, coroutines) overlap them on a single thread, taking "
          "turns while each task waits; threads and processes give each task a lane of its "
          "own. The tasks finish in the order of their waits: 3, 1, 2.",
      .demos = {{"sequential", sequential, "demos/three_tasks/sequential.cpp"},
                {"threads", threads, "demos/three_tasks/threads.cpp"},
                {"processes", processes, "demos/three_tasks/processes.cpp"},
                {"callbacks", callbacks, "demos/three_tasks/callbacks.cpp"},
                {"futures", futures, "demos/three_tasks/futures.cpp"},
                {"fibers", fibers, "demos/three_tasks/fibers.cpp"},
                {"coroutines", coroutines, "demos/three_tasks/coroutines.cpp"}},
      .lesson = lesson,
  };
}

}  // namespace cmbench::demos::three_tasks
