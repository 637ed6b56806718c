#include "demo_run.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cells/params.hpp"
#include "demos/log.hpp"
#include "demos/scenario.hpp"
#include "models/core/span.hpp"
#include "models/core/usage.hpp"
#include "trace_json.hpp"
#include "trace_run.hpp"

namespace fs = std::filesystem;

namespace cmbench {
namespace {

using demos::Demo;
using DemoRun = demos::Run;  // (cmbench::Run is a cell's prepared run)
using demos::Scenario;

// The scenario's demos for the models asked for (all when none), in the models' order.
std::vector<const Demo*> select_demos(const Scenario& s, const std::vector<std::string>& models) {
  std::string valid;
  for (const auto& d : s.demos) valid += (valid.empty() ? "" : ", ") + std::string(d.model);
  for (const auto& name : models) {
    bool known = false;
    for (const auto& d : s.demos) known = known || d.model == name;
    if (!known)
      throw BadInput(
          fmt::format("demo {} has no model '{}'; its models are: {}", s.name, name, valid));
  }
  std::vector<const Demo*> chosen;
  for (const auto& d : s.demos)
    if (models.empty() || std::find(models.begin(), models.end(), d.model) != models.end())
      chosen.push_back(&d);
  return chosen;
}

// Runs one demo with the recorder on and its lines logged.
DemoRun run_one(const Scenario& s, const Demo& d, const DemoOptions& o,
                const std::string& trace_path) {
  DemoRun run;
  run.model = std::string(d.model);
  trace::RunInfo info;
  info.cell = fmt::format("demo/{}/{}", s.name, d.model);
  info.model = run.model;
  info.cores = std::thread::hardware_concurrency();
  std::cout << std::flush;  // say() writes to the descriptor directly
  trace::start(o.trace_capacity);
  demos::begin_run();
  const Usage before = Usage::now();
  info.run_start_ns = monotonic_ns();
  trace::mark(false);
  try {
    d.run();
  } catch (const std::exception& e) {
    run.error = e.what();
  } catch (...) {
    run.error = "an exception that is not a std::exception";
  }
  trace::mark(true);
  info.run_end_ns = monotonic_ns();
  const Usage after = Usage::now();
  std::uint64_t dropped = 0;
  run.lines = demos::end_run(&dropped);
  trace::Recording rec = trace::stop();
  info.cpu_ns = (after - before).cpu_ns;
  run.wall_ns = info.run_end_ns - info.run_start_ns;
  trace::write_json(rec, info, trace_path);
  if (dropped) std::cout << fmt::format("({} lines not kept: the log holds 4096)\n", dropped);
  return run;
}

std::string where_it_ran(const DemoRun& r) {
  const std::size_t lanes = r.lanes();
  bool processes = false;
  for (const auto& l : r.lines) processes = processes || l.lane.starts_with("process");
  if (lanes == 1) return "one thread";
  return fmt::format("{} lanes ({})", lanes,
                     processes ? "the main thread and the processes" : "threads");
}

nlohmann::json transcript(const Scenario& s, const DemoOptions& o, const std::vector<DemoRun>& runs,
                          const std::vector<const Demo*>& demos,
                          const std::vector<std::string>& traces, const std::string& lesson) {
  nlohmann::json j;
  j["scenario"] = s.name;
  j["title"] = s.title;
  j["teaches"] = s.teaches;
  j["unit_ms"] = o.unit.count();
  j["lesson"] = lesson;
  j["runs"] = nlohmann::json::array();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const DemoRun& r = runs[i];
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& l : r.lines)
      lines.push_back(
          {{"t_ns", l.t_ns}, {"pid", l.pid}, {"tid", l.tid}, {"lane", l.lane}, {"text", l.text}});
    j["runs"].push_back({{"model", r.model},
                         {"source", demos[i]->source},
                         {"wall_ns", r.wall_ns},
                         {"lanes", r.lanes()},
                         {"error", r.error},
                         {"trace", fs::path(traces[i]).filename().string()},
                         {"lines", lines}});
  }
  return j;
}

}  // namespace

int run_demo(const std::string& name, const DemoOptions& o) {
  const Scenario& s = demos::find_scenario(name);
  const auto chosen = select_demos(s, o.models);
  if (o.unit.count() <= 0) throw BadInput("--unit must be positive, e.g. 1s or 100ms");
  fs::create_directories(o.out);
  demos::set_unit(o.unit);

  std::vector<DemoRun> runs;
  std::vector<std::string> traces;
  int status = 0;
  for (const Demo* d : chosen) {
    std::cout << fmt::format("== {} · {}: {} (unit {} ms)\n", s.name, d->model, s.title,
                             o.unit.count());
    const std::string path =
        (fs::path(o.out) / fmt::format("{}-{}.json", s.name, d->model)).string();
    DemoRun r = run_one(s, *d, o, path);
    if (!r.error.empty()) {
      std::cout << fmt::format("!! {} failed: {}\n", d->model, r.error);
      status = 1;
    }
    std::cout << fmt::format("-- {}: {} on {}; timeline {}\n\n", d->model,
                             demos::seconds(r.wall_ns), where_it_ran(r), path);
    runs.push_back(std::move(r));
    traces.push_back(path);
  }
  const std::string lesson = s.lesson(runs);
  std::cout << "lesson: " << lesson << "\n";

  const fs::path transcript_path = fs::path(o.out) / fmt::format("{}.transcript.json", s.name);
  std::ofstream(transcript_path) << transcript(s, o, runs, chosen, traces, lesson).dump(1) << "\n";
  std::cout << fmt::format("transcript {}\n", transcript_path.string());
  if (o.chart) {
    std::cout << std::flush;  // before the chart script prints
    const fs::path stem = fs::path(o.out) / std::string(s.name);
    std::vector<std::string> titles;
    for (const Demo* d : chosen) titles.push_back(fmt::format("{} · {}", s.name, d->model));
    if (draw_timeline_chart(traces, stem.string(), titles)) {
      std::cout << fmt::format("chart {}.png\n", stem.string());
    } else {
      std::cout << "the chart could not be drawn (see above)\n";
      status = 1;
    }
  }
  return status;
}

void list_demos(std::ostream& out) {
  for (const auto& s : demos::scenarios()) {
    std::string models;
    for (const auto& d : s.demos) models += (models.empty() ? "" : " ") + std::string(d.model);
    out << fmt::format("{:<16} {}\n{:<16} models: {}\n", s.name, s.title, "", models);
  }
}

}  // namespace cmbench
