#include "spec.hpp"

#include <fmt/core.h>

#include <map>
#include <string_view>

namespace cmbench::demos::order {
namespace {

// What one run showed: the collector's list, the order results were taken as they came,
// and whether main said it was done working while a task was still waiting.
struct Seen {
  std::string call_order, completion_order;
  bool main_overlapped = false;
};

Seen seen(const Run& r) {
  Seen s;
  std::string_view part;
  bool main_done = false;
  for (const auto& l : r.lines) {
    const std::string_view text = l.text;
    if (text.starts_with("-- ")) part = text;
    if (text.starts_with("results in call order: "))
      s.call_order = text.substr(std::string_view("results in call order: ").size());
    if (part == "-- results as they complete" && text.starts_with("got result "))
      s.completion_order += (s.completion_order.empty() ? "" : ", ") +
                            std::string(text.substr(std::string_view("got result ").size()));
    if (part == "-- main keeps working") {
      if (text == "main done working") main_done = true;
      if (main_done && text.starts_with("Task ") && text.ends_with(" finished"))
        s.main_overlapped = true;
    }
  }
  return s;
}

// Models grouped by what they showed, in the runs' order: "3, 1, 2 (threads, fibers)".
std::string grouped(const std::vector<Run>& runs, std::string Seen::*what) {
  std::vector<std::pair<std::string, std::string>> groups;
  for (const auto& r : runs) {
    const std::string value = seen(r).*what;
    auto it = groups.begin();
    while (it != groups.end() && it->first != value) ++it;
    if (it == groups.end())
      groups.emplace_back(value, r.model);
    else
      it->second += ", " + r.model;
  }
  std::string out;
  for (const auto& [value, models] : groups)
    out +=
        fmt::format("{}{} ({})", out.empty() ? "" : "; ", value.empty() ? "none" : value, models);
  return out;
}

// "call order 1, 2, 3 (sequential, threads); as they complete 1, 2, 3 (sequential); 3, 1, 2
// (threads); main worked while the tasks waited: threads; not sequential".
std::string lesson(const std::vector<Run>& runs) {
  std::string overlapped, not_overlapped;
  for (const auto& r : runs) {
    std::string& list = seen(r).main_overlapped ? overlapped : not_overlapped;
    list += (list.empty() ? "" : ", ") + r.model;
  }
  std::string text =
      fmt::format("results in call order {}; as they complete {}", grouped(runs, &Seen::call_order),
                  grouped(runs, &Seen::completion_order));
  if (!overlapped.empty()) text += "; main worked while its tasks waited in " + overlapped;
  if (!not_overlapped.empty())
    text += "; " + not_overlapped + " could only work before or after them (one thread)";
  return text;
}

}  // namespace

Scenario describe() {
  return {
      .name = "order",
      .title = "Results in call order or as they complete; main working meanwhile",
      .teaches =
          "Three tasks wait 2, 3 and 1 units and return 1, 2 and 3. A collector (gather, "
          "DeferredList, multi, joinall, futures read in turn) hands the results back in "
          "call order, 1, 2, 3, though the tasks finish 3, 1, 2; taking each result as it "
          "completes (as_completed, a callback per Deferred or future, iwait, a queue) gives "
          "3, 1, 2. Starting tasks does not stop the starter: main keeps working while they "
          "wait, and its lines fall between theirs. One thread running the tasks one after "
          "another can do neither: its results come in call order because that is the order "
          "they finish in, and main works only before or after them.",
      .demos = {{"sequential", sequential, "demos/order/sequential.cpp"},
                {"threads", threads, "demos/order/threads.cpp"},
                {"processes", processes, "demos/order/processes.cpp"},
                {"callbacks", callbacks, "demos/order/callbacks.cpp"},
                {"futures", futures, "demos/order/futures.cpp"},
                {"fibers", fibers, "demos/order/fibers.cpp"},
                {"coroutines", coroutines, "demos/order/coroutines.cpp"}},
      .lesson = lesson,
  };
}

}  // namespace cmbench::demos::order
