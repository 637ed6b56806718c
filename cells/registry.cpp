#include "registry.hpp"

#include <algorithm>

namespace cmbench {
namespace {

template <class Range, class Name>
std::string name_list(const Range& items, Name name) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + std::string(name(i));
  return s;
}

}  // namespace

Profile parse_profile(const std::string& text) {
  if (text == "quick") return Profile::quick;
  if (text == "full") return Profile::full;
  if (text == "exhaustive") return Profile::exhaustive;
  throw BadInput("unknown profile '" + text + "'; valid: quick, full, exhaustive");
}

const char* profile_name(Profile p) {
  switch (p) {
    case Profile::quick:
      return "quick";
    case Profile::full:
      return "full";
    case Profile::exhaustive:
      return "exhaustive";
  }
  return "?";
}

std::string Cell::name() const {
  return workload().name + "/" + impl->label() + "/" + params.name_suffix();
}

bool Cell::beyond_limit() const {
  return workload().tasks(params) > impl->bounds().max_tasks;
}

std::string Cell::unavailable() const {
  const Workload& w = workload();
  return w.unavailable ? w.unavailable(params) : "";
}

std::string Cell::limit_note() const {
  if (!beyond_limit()) return {};
  const ModelInfo& bounds = impl->bounds();
  return "beyond model limit: " + impl->label() + " holds at most " +
         std::to_string(bounds.max_tasks) + " simultaneous tasks here, the cell needs " +
         std::to_string(workload().tasks(params)) + " (" + std::string(bounds.limit_reason) + ")";
}

double Cell::estimate_seconds() const {
  return workload().estimate_seconds(params, impl->bounds());
}

void Catalog::add_model(const ModelInfo& m) {
  models_.push_back(&m);
}

void Catalog::add_workload(Workload w) {
  workloads_.push_back(std::make_unique<Workload>(std::move(w)));
}

void Catalog::add_cell(const std::string& w, const std::string& m, Prepare prepare,
                       const std::string& variant,
                       std::function<std::string(const ParamValues&)> not_applicable,
                       const ModelInfo* limits,
                       std::function<bool(Profile, const ParamValues&)> runs_at) {
  const ModelInfo& registered = model(m);
  impls_.push_back(std::make_unique<CellImpl>(
      CellImpl{&workload(w), &registered, variant, std::move(prepare), std::move(not_applicable),
               limits == &registered ? nullptr : limits, std::move(runs_at)}));
}

const Workload& Catalog::workload(const std::string& name) const {
  for (const auto& w : workloads_)
    if (w->name == name) return *w;
  throw BadInput("unknown workload '" + name +
                 "'; valid: " + name_list(workloads_, [](auto& w) { return w->name; }));
}

const ModelInfo& Catalog::model(const std::string& name) const {
  for (const auto* m : models_)
    if (m->name == name) return *m;
  throw BadInput("unknown model '" + name +
                 "'; valid: " + name_list(models_, [](auto* m) { return m->name; }));
}

const ModelInfo& Catalog::model_of(const std::string& label) const {
  for (const auto* m : models_)
    if (label == m->name || (label.starts_with(m->name) && label[m->name.size()] == '-')) return *m;
  return model(label.substr(0, label.find('-')));  // names the unknown model, and the valid
}

const CellImpl& Catalog::impl(const std::string& w, const std::string& label) const {
  const Workload& wl = workload(w);
  model_of(label);  // an unknown model is named as such
  std::vector<std::string> have;
  for (const auto& i : impls_) {
    if (i->workload != &wl) continue;
    if (i->label() == label) return *i;
    have.push_back(i->label());
  }
  throw BadInput("workload '" + w + "' has no '" + label +
                 "' implementation; valid: " + name_list(have, [](auto& s) { return s; }));
}

std::vector<Cell> Catalog::select(Profile p, const std::vector<std::string>& workloads,
                                  const std::vector<std::string>& models) const {
  for (const auto& w : workloads) workload(w);  // validate every filter before selecting
  for (const auto& m : models) model_of(m);     // "callbacks-on_loop" too
  auto wanted = [](const std::vector<std::string>& filter, std::string_view name) {
    return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
  };
  std::vector<Cell> cells;
  for (const auto& w : workloads_) {
    if (!wanted(workloads, w->name)) continue;
    auto scales = w->scales(p);
    for (const auto* m : models_) {
      for (const auto& i : impls_) {
        if (i->workload != w.get() || i->model != m) continue;
        if (!wanted(models, m->name) && !wanted(models, i->label())) continue;
        for (const auto& v : scales) {
          const Cell c{i.get(), v};
          if ((!i->not_applicable || i->not_applicable(v).empty()) &&
              (!i->runs_at || i->runs_at(p, v)) &&
              (!w->scale_is_for || w->scale_is_for(p, i->label(), v)) &&
              (p != Profile::full || c.beyond_limit() ||
               c.estimate_seconds() <= full_profile_max_run_s))
            cells.push_back(c);
        }
      }
    }
  }
  return cells;
}

Cell Catalog::parse_cell(const std::string& name) const {
  auto first = name.find('/');
  auto second = first == std::string::npos ? std::string::npos : name.find('/', first + 1);
  if (first == std::string::npos)
    throw BadInput("cell name '" + name + "': expected <workload>/<model>[/<param>:<value>...]");
  const CellImpl& i = impl(
      name.substr(0, first),
      name.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1));
  std::vector<std::string> overrides;
  for (auto pos = second; pos != std::string::npos;) {
    auto next = name.find('/', pos + 1);
    overrides.push_back(
        name.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1));
    pos = next;
  }
  Cell cell{&i, parse_params(i.workload->params, overrides)};
  if (i.not_applicable)
    if (std::string why = i.not_applicable(cell.params); !why.empty())
      throw BadInput("cell '" + cell.name() + "' does not exist: " + why);
  return cell;
}

}  // namespace cmbench
