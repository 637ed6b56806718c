// The registry of cells: (workload, model, parameters) → a function that runs the workload
// once and hands back a verifier for what it produced.
//
// Three stages keep set-up, the timed run and verification apart:
//   Prepare(values) → Run     parse parameters, build inputs          (not timed)
//   Run()           → Check   run the workload once, keep its result  (timed)
//   Check()         → Verdict verify that result, then free it        (not timed)
// Workload code knows nothing of Google Benchmark; the harness knows nothing of workloads.
// A Catalog is built once at start-up and read-only afterwards (safe to share).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cells/params.hpp"
#include "models/core/model.hpp"

namespace cmbench {

// What a suite run holds (docs/methodology.md, "Profiles"): `quick`, a newcomer's first run
// (3 minutes on two cores); `full`, every workload's curve at the scales that tell it apart
// (20 minutes); `exhaustive`, every scale the workloads declare, with long windows and 10
// repetitions of 0.5 s (hours).
enum class Profile { quick, full, exhaustive };
Profile parse_profile(const std::string& text);  // throws BadInput
const char* profile_name(Profile p);

// The full profile leaves a cell whose one run is expected to take longer than this to the
// exhaustive profile (a sequential loop over 10^4 waits, 10^6 greenlets in Python): its
// repetitions alone would cost a tenth of the profile's 20 minutes.
inline constexpr double full_profile_max_run_s = 1.5;

// What a verifier concluded about one run. `tasks` and `peak_in_flight` are measured from
// the result (spans the tasks recorded), not taken from the model's word.
struct Verdict {
  enum class Stage { check, run };  // where a failure arose: the verifier, or the run itself

  bool ok = true;
  std::string why;  // empty when ok
  std::uint64_t tasks = 0;
  std::uint64_t peak_in_flight = 0;
  Stage stage = Stage::check;
  // A workload's own figures, measured by the run (latency percentiles, the server's CPU per
  // request, ...): reported as counters named so, averaged over the timed runs.
  std::vector<std::pair<std::string, double>> metrics = {};

  static Verdict fail(std::string why, Stage stage = Stage::check) {
    return {false, std::move(why), 0, 0, stage};
  }
};

using Check = std::function<Verdict()>;
using Run = std::function<Check()>;
using Prepare = std::function<Run(const ParamValues&)>;

// One of a workload's own figures (Verdict::metrics), as the report shows it.
struct MetricSpec {
  std::string name;   // the counter's name: "server_cpu_us_per_req"
  std::string title;  // "server CPU per request"
  std::string unit;   // "µs", "req/s", "" for a plain number
  bool lower_is_better = true;
  bool chart = false;         // drawn as bars, models side by side
  std::string ratio_to = "";  // a label the report divides by ("epoll"): "1.05× epoll"
  bool over_scale = false;    // also drawn against the scale parameter, log-log, a line per model
};

struct Workload {
  std::string name;
  std::string title;    // one line, for report headings
  std::string summary;  // what the workload shows, two or three sentences
  std::vector<ParamSpec> params;
  std::string scale_param;  // the x axis of scaling charts
  std::function<std::vector<ParamValues>(Profile)> scales;
  // Which implementations (by label) a profile's scale is for, when not all of them are: the
  // cells across a link are for a few models. Null: every one.
  std::function<bool(Profile, std::string_view label, const ParamValues&)> scale_is_for = nullptr;
  // Why a cell cannot run on this machine as it is now ("not available here: no network
  // namespace cmbench-d ..."), or "": unlike a model's limit, a fact of the machine, checked
  // when the cell is about to run. Null: always available.
  std::function<std::string(const ParamValues&)> unavailable = nullptr;
  ParamValues smallest;  // the cheapest meaningful cell, used by the tests
  // Where the suite records each implementation's timeline (docs/timelines.md): a small
  // cell that still shows what the workload is about. Empty: `smallest`.
  ParamValues traced = {};
  // Simultaneous tasks the cell asks of a model (compared with ModelInfo::max_tasks).
  std::function<std::uint64_t(const ParamValues&)> tasks;
  // Rough seconds for one run, for time limits and the ETA; never used as a result.
  std::function<double(const ParamValues&, const ModelInfo&)> estimate_seconds;
  // The workload's own figures, in the report's order. A timed workload reports them beside
  // its wall time (files/s, a fetch's latency percentiles); one that runs for a fixed
  // duration (a server under load) reports them instead of it.
  std::vector<MetricSpec> metrics = {};
  // Whether the wall time of a run is a result: true for a workload that runs until its
  // tasks are done, false for one whose parameters fix how long it runs.
  bool timed = true;
};

// How cell names, reports and `cmbench serve` name an implementation: "callbacks",
// "callbacks-on_loop", "nginx-2workers".
inline std::string implementation_label(const ModelInfo& model, std::string_view variant) {
  std::string label(model.name);
  if (!variant.empty()) (label += '-') += variant;
  return label;
}

// One model's implementation of one workload. A model may have variants of a workload
// (cpu_bound's chunks offloaded to threads, or run on the loop thread): each is its own
// implementation, named `<model>-<variant>` in cell names and reports.
struct CellImpl {
  const Workload* workload;
  const ModelInfo* model;
  std::string variant;  // empty for the model's idiomatic version
  Prepare prepare;
  // Why a cell at these values cannot exist for this implementation (nginx has no slow
  // backend to wait on, say), or "" when it can. Such cells are never listed or run.
  std::function<std::string(const ParamValues&)> not_applicable = nullptr;
  // What bounds this implementation's cells when it is not its model's own ModelInfo: an
  // implementation that holds its tasks otherwise than the model's version does (threads on a
  // TBB task_group hold TBB tasks, not OS threads) declares a ModelInfo of the same name with
  // its own max_tasks and limit_reason. Null: the model's.
  const ModelInfo* limits = nullptr;
  // Which of a profile's scales this implementation runs at (a Python row runs at one
  // representative scale in the quick profile), or null: all of them. A scale it leaves out
  // is not listed for that profile; it stays a cell of the exhaustive profile.
  std::function<bool(Profile, const ParamValues&)> runs_at = nullptr;

  const ModelInfo& bounds() const { return limits ? *limits : *model; }
  std::string label() const {  // "callbacks", "callbacks-on_loop"
    return variant.empty() ? std::string(model->name) : std::string(model->name) + "-" + variant;
  }
};

// One concrete cell: an implementation at given parameter values.
struct Cell {
  const CellImpl* impl;
  ParamValues params;

  const Workload& workload() const { return *impl->workload; }
  const ModelInfo& model() const { return *impl->model; }
  std::string name() const;  // <workload>/<model>[-<variant>]/<param>:<value>/...
  bool beyond_limit() const;
  std::string limit_note() const;   // why it is beyond the limit; empty when it is not
  std::string unavailable() const;  // Workload::unavailable's reason; empty when it can run
  double estimate_seconds() const;
};

class Catalog {
 public:
  void add_model(const ModelInfo& m);
  void add_workload(Workload w);
  void add_cell(const std::string& workload, const std::string& model, Prepare prepare,
                const std::string& variant = "",
                std::function<std::string(const ParamValues&)> not_applicable = nullptr,
                const ModelInfo* limits = nullptr,
                std::function<bool(Profile, const ParamValues&)> runs_at = nullptr);

  // Look-ups throw BadInput with the list of valid names.
  const Workload& workload(const std::string& name) const;
  const ModelInfo& model(const std::string& name) const;
  // The model a label names: a model's name, or `<model>-<variant>`.
  const ModelInfo& model_of(const std::string& label) const;
  // `label` is a model name, or `<model>-<variant>`.
  const CellImpl& impl(const std::string& workload, const std::string& label) const;

  // Every cell of a profile (empty filters mean all; a model filter takes in its variants),
  // including those beyond model limits, in a stable order: workload, then model (catalog
  // order) and variant (registration order), then the profile's scales. The full profile
  // leaves out the cells over full_profile_max_run_s.
  std::vector<Cell> select(Profile p, const std::vector<std::string>& workloads,
                           const std::vector<std::string>& models) const;
  // A cell from its name, `sleep_fanout/threads/N:100/d:10ms`; omitted parameters take
  // their defaults.
  Cell parse_cell(const std::string& name) const;

  const std::vector<const ModelInfo*>& models() const { return models_; }
  const std::vector<std::unique_ptr<Workload>>& workloads() const { return workloads_; }
  const std::vector<std::unique_ptr<CellImpl>>& impls() const { return impls_; }

 private:
  std::vector<const ModelInfo*> models_;
  std::vector<std::unique_ptr<Workload>> workloads_;
  std::vector<std::unique_ptr<CellImpl>> impls_;
};

// Adapts a typed workload function to the three stages above. `make` parses parameters,
// `run` is one model's implementation (a function, or a callable holding what it needs),
// `verify` the workload's verifier.
template <class Params, class Result, class RunFn>
Prepare typed_cell(Params (*make)(const ParamValues&), RunFn run,
                   Verdict (*verify)(const Params&, const Result&, const ModelInfo&),
                   const ModelInfo& model) {
  return [=, &model](const ParamValues& values) -> Run {
    auto params = std::make_shared<const Params>(make(values));
    return [=, &model]() -> Check {
      auto result = std::make_shared<Result>(run(*params));
      return [=, &model] { return verify(*params, *result, model); };
    };
  };
}

}  // namespace cmbench
