// The scenarios, in the order the tutorials tell them (DESIGN.md, section 5).
#include <fmt/core.h>

#include <set>

#include "blocking/spec.hpp"
#include "cells/params.hpp"
#include "errors/spec.hpp"
#include "fetch_and_save/spec.hpp"
#include "files/spec.hpp"
#include "forgotten/spec.hpp"
#include "monitor/spec.hpp"
#include "order/spec.hpp"
#include "scenario.hpp"
#include "three_tasks/spec.hpp"

namespace cmbench::demos {

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = {
      three_tasks::describe(),     // 2, 3 and 1 units: 6 one after another, 3 at once
      order::describe(),           // call order against completion order
      errors::describe(),          // a failure in a fan-out: collected, or cancelling
      forgotten::describe(),       // a task never awaited or joined
      blocking::describe(),        // CPU-bound chunks; a blocking call in a loop
      monitor::describe(),         // the live task table
      files::describe(),           // aiofiles: read, upper-case, write
      fetch_and_save::describe(),  // aiohttp + aiofiles: fetch pages and save them
  };
  return all;
}

const Scenario& find_scenario(std::string_view name) {
  std::string valid;
  for (const auto& s : scenarios()) {
    if (s.name == name) return s;
    valid += (valid.empty() ? "" : ", ") + std::string(s.name);
  }
  throw BadInput(fmt::format("unknown demo '{}'; the demos are: {}", name, valid));
}

std::size_t Run::lanes(std::string_view prefix) const {
  std::set<std::string> seen;
  for (const auto& l : lines)
    if (l.text.starts_with(prefix)) seen.insert(l.lane);
  return seen.size();
}

std::string seconds(std::int64_t ns) {
  const double s = static_cast<double>(ns) / 1e9;
  return s < 1.0 ? fmt::format("{:.2f} s", s) : fmt::format("{:.1f} s", s);
}

}  // namespace cmbench::demos
