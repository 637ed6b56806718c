#include "trace_run.hpp"

#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "models/core/span.hpp"
#include "models/core/usage.hpp"
#include "shell.hpp"

namespace cmbench {

TraceOutcome trace_cell(const Cell& cell, const std::string& path, std::uint64_t capacity) {
  TraceOutcome t;
  if (cell.beyond_limit()) {
    t.why = cell.limit_note();
    return t;
  }
  Run run;
  try {
    run = cell.impl->prepare(cell.params);
    if (Verdict v = run()(); !v.ok) {
      t.why = "warm-up: " + v.why;
      return t;
    }
  } catch (const std::exception& e) {
    t.why = std::string("warm-up: ") + e.what();
    return t;
  }
  trace::RunInfo info;
  info.cell = cell.name();
  info.model = cell.impl->label();
  info.cores = std::thread::hardware_concurrency();
  trace::start(capacity);
  Check check;
  Usage before = Usage::now();
  info.run_start_ns = monotonic_ns();
  trace::mark(false);
  try {
    check = run();
  } catch (const std::exception& e) {
    t.why = std::string("exception: ") + e.what();
  }
  trace::mark(true);
  info.run_end_ns = monotonic_ns();
  Usage after = Usage::now();
  trace::Recording rec = trace::stop();
  info.cpu_ns = (after - before).cpu_ns;
  if (check) {
    Verdict v = check();
    t.ok = v.ok;
    if (!v.ok) t.why = "verification: " + v.why;
  }
  t.summary = trace::write_json(rec, info, path);
  t.bytes = std::filesystem::file_size(path);
  return t;
}

bool draw_timeline_chart(const std::vector<std::string>& jsons, const std::string& stem,
                         const std::vector<std::string>& titles) {
  const auto script = std::filesystem::path(CMBENCH_SOURCE_DIR) / "scripts" / "timeline.py";
  std::string command = "/usr/bin/python3 " + shell_quoted(script.string());
  for (const auto& j : jsons) command += " " + shell_quoted(j);
  for (const auto& t : titles) command += " --title " + shell_quoted(t);
  command += " --out " + shell_quoted(stem);
  return std::system(command.c_str()) == 0;
}

std::string describe(const TraceOutcome& t) {
  const auto& s = t.summary;
  double wall = s.wall_ns > 0 ? static_cast<double>(s.wall_ns) : 1.0;
  std::string text = fmt::format(
      "{} tasks on {} lanes, {} events, {:.1f} KiB; wall {:.3f} ms; concurrency {:.2f}x "
      "(task time / wall), parallelism {:.2f}x (CPU / wall)",
      s.tasks, s.lanes, s.events, t.bytes / 1024.0, s.wall_ns / 1e6, s.task_lifetime_ns / wall,
      s.cpu_ns / wall);
  if (s.dropped) text += fmt::format("; {} EVENTS DROPPED (buffer full)", s.dropped);
  return text;
}

}  // namespace cmbench
