// How a workload registers its cells (its spec's register_cells): the workload, its
// parameters and its verifier given once, then its implementations.
//
//   WorkloadCells cells(catalog, describe(), make_params, verify);
//   cells.add_models({sequential, threads, processes, callbacks, futures, coroutines, fibers});
//   cells.add(coroutines::info, coroutines_pooled, "pooled");
//
// The catalog lists a workload's cells by model in its own model order and, within a model,
// in the order they were added: the model's own version first, then its variants.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cells/registry.hpp"
#include "models/callbacks/info.hpp"
#include "models/coroutines/info.hpp"
#include "models/fibers/info.hpp"
#include "models/futures/info.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"

namespace cmbench {

template <class Params, class Result>
class WorkloadCells {
 public:
  using NotApplicable = std::function<std::string(const ParamValues&)>;
  using RunFn = Result (*)(const Params&);

  // One function per model, its own version of the workload, in this order. A null one is a
  // model the workload adds itself with add() (under another ModelInfo, or with cells it has
  // no version of).
  struct ModelRuns {
    RunFn sequential = nullptr, threads = nullptr, processes = nullptr, callbacks = nullptr,
          futures = nullptr, coroutines = nullptr, fibers = nullptr;
  };

  // Adds the workload to the catalog; its implementations follow with add().
  WorkloadCells(Catalog& catalog, Workload workload, Params (*make)(const ParamValues&),
                Verdict (*verify)(const Params&, const Result&, const ModelInfo&))
      : catalog_(catalog), name_(workload.name), make_(make), verify_(verify) {
    catalog_.add_workload(std::move(workload));
  }

  // One implementation: `run` (a function, or a callable holding what it needs) under
  // `model`, as its variant `variant` ("" for the model's own version). `not_applicable`
  // names the cells it has no version of (CellImpl::not_applicable). A `model` other than the
  // catalog's ModelInfo of that name also bounds the implementation's cells with its own
  // max_tasks (CellImpl::limits).
  template <class Run>
  void add(const ModelInfo& model, Run run, const std::string& variant = "",
           NotApplicable not_applicable = nullptr) {
    catalog_.add_cell(name_, std::string(model.name), typed_cell(make_, run, verify_, model),
                      variant, std::move(not_applicable), &model);
  }

  // Each model's own version, under the model's ModelInfo.
  void add_models(const ModelRuns& runs) {
    const std::vector<std::pair<const ModelInfo*, RunFn>> all = {
        {&sequential::info, runs.sequential}, {&threads::info, runs.threads},
        {&processes::info, runs.processes},   {&callbacks::info, runs.callbacks},
        {&futures::info, runs.futures},       {&coroutines::info, runs.coroutines},
        {&fibers::info, runs.fibers}};
    for (const auto& [model, run] : all)
      if (run) add(*model, run);
  }

 private:
  Catalog& catalog_;
  std::string name_;
  Params (*make_)(const ParamValues&);
  Verdict (*verify_)(const Params&, const Result&, const ModelInfo&);
};

}  // namespace cmbench
