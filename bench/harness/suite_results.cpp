#include "suite_results.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace cmbench {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Writes `text` to `path` through a temporary file and a rename: readers see the old file
// or the whole new one, never a part.
void write_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      const int why = errno ? errno : EIO;  // ENOSPC on a full disk
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw std::system_error(why, std::generic_category(), "cannot write " + tmp.string());
    }
  }
  fs::rename(tmp, path);
}

json model_json(const ModelInfo& m) {
  return {{"name", m.name},
          {"style", m.style},
          {"idiom", m.idiom},
          {"concurrent", m.concurrent},
          {"parallel", m.parallel},
          {"max_tasks", m.max_tasks == unlimited_tasks ? json(nullptr) : json(m.max_tasks)},
          {"limit_reason", m.limit_reason},
          {"reference", m.reference}};
}

const char* kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::integer:
      return "integer";
    case ParamKind::duration:
      return "duration";
    case ParamKind::list:
      return "list";
    case ParamKind::choice:
      return "choice";
    case ParamKind::host:
      return "host";
  }
  return "?";
}

json workload_json(const Workload& w) {
  json params = json::array();
  for (const auto& p : w.params)
    params.push_back({{"name", p.name},
                      {"kind", kind_name(p.kind)},
                      {"default", p.default_text},
                      {"help", p.help}});
  json metrics = json::array();
  for (const auto& m : w.metrics)
    metrics.push_back({{"name", m.name},
                       {"title", m.title},
                       {"unit", m.unit},
                       {"lower_is_better", m.lower_is_better},
                       {"chart", m.chart},
                       {"ratio_to", m.ratio_to},
                       {"over_scale", m.over_scale}});
  return {{"name", w.name},       {"title", w.title},
          {"summary", w.summary}, {"scale_param", w.scale_param},
          {"params", params},     {"metrics", metrics},
          {"timed", w.timed}};
}

}  // namespace

json cell_row(const Cell& cell) {
  json row = {{"name", cell.name()},
              {"workload", cell.workload().name},
              {"model", cell.model().name},
              {"variant", cell.impl->variant},
              {"label", cell.impl->label()},
              {"params", json::object()},
              {"status", "ok"},
              {"reason", ""},
              {"seconds", 0.0},
              {"expected_s", 0.0},
              {"log", ""}};
  for (const auto& [k, v] : cell.params.items()) row["params"][k] = v;
  if (const auto twin = cell.impl->bounds().twin; !twin.empty()) row["twin"] = twin;
  return row;
}

json timeline_row(const Cell& cell, const fs::path& trace, const fs::path& log,
                  const fs::path& run_dir) {
  return {{"workload", cell.workload().name},
          {"label", cell.impl->label()},
          {"cell", cell.name()},
          {"json", fs::relative(trace, run_dir).string()},
          {"log", fs::relative(log, run_dir).string()},
          {"status", "ok"},
          {"reason", ""}};
}

json error_entry(const std::string& cell, int repetitions, const std::string& reason) {
  return {{"name", cell + "/real_time"},
          {"run_name", cell + "/real_time"},
          {"run_type", "iteration"},
          {"repetitions", repetitions},
          {"repetition_index", 0},
          {"threads", 1},
          {"iterations", 0},
          {"real_time", 0},
          {"cpu_time", 0},
          {"time_unit", "ms"},
          {"error_occurred", true},
          {"error_message", reason}};
}

std::string utc_now(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

void write_results(const fs::path& run_dir, const RunRecord& r, const Catalog& catalog,
                   const SuiteOptions& o, const SuitePlan& plan, const Environment& env,
                   double duration_s) {
  json context = r.context;
  if (context.is_null()) context = {{"date", utc_now("%Y-%m-%dT%H:%M:%S+00:00")}};
  for (const auto& [k, v] : env) context[k] = v;
  json models = json::array(), workloads = json::array();
  for (const auto* m : catalog.models()) models.push_back(model_json(*m));
  for (const auto& w : catalog.workloads())
    if (o.workloads.empty() ||
        std::find(o.workloads.begin(), o.workloads.end(), w->name) != o.workloads.end())
      workloads.push_back(workload_json(*w));
  json results = {{"context", context},
                  {"benchmarks", r.benchmarks},
                  {"cmbench",
                   {{"profile", profile_name(o.profile)},
                    {"repetitions", plan.repetitions},
                    {"min_time_s", plan.min_time},
                    {"started", r.started},
                    {"finished", utc_now("%Y%m%d-%H%M%S")},
                    {"duration_s", duration_s},
                    {"expected_s", plan.expected_cells_s + plan.expected_micro_s},
                    {"models", models},
                    {"workloads", workloads},
                    {"cells", r.cells},
                    {"micro", r.micro},
                    {"timelines", r.timelines},
                    {"hosts", r.hosts}}}};
  write_atomically(run_dir / "results.json", results.dump(1));
}

}  // namespace cmbench
