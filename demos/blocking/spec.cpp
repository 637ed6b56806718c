#include "spec.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "demo.hpp"

namespace cmbench::demos::blocking {
namespace {

// How long the chunks of one kind took in a run: from the first "<where>: chunk N started"
// to the last "<where>: chunk N finished"; 0 when the run has none.
std::int64_t chunks_ns(const Run& r, const std::string& where) {
  std::int64_t first = -1, last = -1;
  for (const auto& l : r.lines) {
    if (!l.text.starts_with(where + ": chunk ")) continue;
    if (l.text.ends_with(" started") && first < 0) first = l.t_ns;
    if (l.text.ends_with(" finished")) last = l.t_ns;
  }
  return first >= 0 && last > first ? last - first : 0;
}

// The longest time between two ticks of a run, in ns.
std::int64_t longest_tick_gap(const Run& r) {
  std::int64_t gap = 0, previous = -1;
  for (const auto& l : r.lines) {
    if (!l.text.starts_with("tick ")) continue;
    if (previous >= 0) gap = std::max(gap, l.t_ns - previous);
    previous = l.t_ns;
  }
  return gap;
}

bool detected(const Run& r) {
  return std::any_of(r.lines.begin(), r.lines.end(),
                     [](const Line& l) { return l.text.starts_with("detector: "); });
}

// "on one loop 1.0× (callbacks, futures)": the range of a kind's speed-ups, and its models.
std::string speedups(const std::string& label,
                     const std::vector<std::pair<std::string, double>>& measured) {
  double lo = measured.front().second, hi = lo;
  std::string models;
  for (const auto& [model, x] : measured) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    models += (models.empty() ? "" : ", ") + model;
  }
  const std::string range = fmt::format("{:.1f}", lo) == fmt::format("{:.1f}", hi)
                                ? fmt::format("{:.1f}×", lo)
                                : fmt::format("{:.1f}–{:.1f}×", lo, hi);
  return fmt::format("{} {} ({})", label, range, models);
}

// "4 chunks of 0.5 units: one after another 2.01 s; speed-up on one loop 1.0× (callbacks,
// ...), offload pool 1.9× (...), threads 1.9×, processes 1.8×. A blocking call of 1 unit
// stopped the ticks for 1.00 s on the loop (...), each time reported by the detector;
// threads and processes ticked on (longest gap 0.25 s)".
std::string lesson(const std::vector<Run>& runs) {
  // The reference: the sequential run's chunks if it ran, else 4 × 0.5 units.
  double reference = static_cast<double>(chunks) * chunk_units *
                     static_cast<double>(std::chrono::nanoseconds(unit()).count());
  for (const auto& r : runs)
    if (r.model == "sequential" && chunks_ns(r, "sequential") > 0)
      reference = static_cast<double>(chunks_ns(r, "sequential"));
  std::map<std::string, std::vector<std::pair<std::string, double>>> by_kind;
  for (const auto& r : runs)
    for (const char* kind : {"loop", "pool", "threads", "processes"})
      if (const std::int64_t ns = chunks_ns(r, kind))
        by_kind[kind].emplace_back(r.model, reference / static_cast<double>(ns));
  std::string a = fmt::format("{} chunks of {} units: one after another {}", chunks, chunk_units,
                              seconds(static_cast<std::int64_t>(reference)));
  std::string parts;
  const std::pair<const char*, const char*> labels[] = {{"loop", "on one loop"},
                                                        {"pool", "on the loop's offload pool"},
                                                        {"threads", "with threads"},
                                                        {"processes", "with processes"}};
  for (const auto& [kind, label] : labels)
    if (by_kind.count(kind)) parts += (parts.empty() ? "" : ", ") + speedups(label, by_kind[kind]);
  if (!parts.empty()) a += "; speed-up " + parts;

  std::string stalled, ticked;
  std::int64_t stall = 0, gap = 0;
  bool all_detected = true;
  for (const auto& r : runs) {
    if (r.model == "sequential") continue;
    const bool loop = chunks_ns(r, "loop") > 0;
    (loop ? stalled : ticked) +=
        std::string((loop ? stalled : ticked).empty() ? "" : ", ") + r.model;
    if (loop) {
      stall = std::max(stall, longest_tick_gap(r));
      all_detected = all_detected && detected(r);
    } else {
      gap = std::max(gap, longest_tick_gap(r));
    }
  }
  std::string b;
  if (!stalled.empty())
    b = fmt::format("a blocking call of {} unit stopped every tick for up to {} on one loop ({}){}",
                    block_units, seconds(stall), stalled,
                    all_detected ? ", and the slow-callback detector said so" : "");
  if (!ticked.empty())
    b += fmt::format("{}the ticker of {} ticked on (longest gap {})", b.empty() ? "" : "; ", ticked,
                     seconds(gap));
  return b.empty() ? a
                   : a + ". " + std::string(1, static_cast<char>(std::toupper(b[0]))) + b.substr(1);
}

}  // namespace

Scenario describe() {
  return {
      .name = "blocking",
      .title = "CPU-bound chunks, and one blocking call in an event loop",
      .teaches =
          "Four chunks of computation take as long on one event loop as one after another: "
          "a loop runs one callback at a time on one thread, and computing never gives it "
          "back. Threads, processes and the loops' offload pools (deferToThread, "
          "run_in_executor, gevent's threadpool, to_thread) put them on both cores: about "
          "twice as fast here. Then a ticker ticks every quarter unit while another task makes "
          "one blocking call of 1 unit: on an event loop every other task waits for it (the "
          "ticks stop for a unit, drawn red on the timeline) and the model's slow-callback "
          "detector reports it; a thread or a process blocks only itself.",
      .demos = {{"sequential", sequential, "demos/blocking/sequential.cpp"},
                {"threads", threads, "demos/blocking/threads.cpp"},
                {"processes", processes, "demos/blocking/processes.cpp"},
                {"callbacks", callbacks, "demos/blocking/callbacks.cpp"},
                {"futures", futures, "demos/blocking/futures.cpp"},
                {"fibers", fibers, "demos/blocking/fibers.cpp"},
                {"coroutines", coroutines, "demos/blocking/coroutines.cpp"}},
      .lesson = lesson,
  };
}

}  // namespace cmbench::demos::blocking
