// The hosts that a suite's cells across links run on (scripts/hosts: cmbench-a and its client
// hosts, docs/multi-host.md), for as long as the suite runs.
//
// When the plan has a cell with a host other than loopback and no cmbench-a exists, the
// suite makes the hosts (`scripts/hosts up`: a plain link, one shaped to 1 Gbit/s, and one
// with 1 ms of delay where the kernel has netem) and takes them down when it ends, however it
// ends: normally, by an error, or on Ctrl-C (the destructor). Hosts that already existed are
// used as they are (their shaping is someone's choice) and left. Where they cannot be made
// (not root, no iproute2), the cells across them are reported not available here
// (Workload::unavailable) and the suite goes on. The record says which, and what the links
// were (`scripts/hosts status`).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "cells/registry.hpp"

namespace cmbench {

class SuiteHosts {
 public:
  explicit SuiteHosts(const std::vector<Cell>& cells);
  ~SuiteHosts();
  SuiteHosts(const SuiteHosts&) = delete;
  SuiteHosts& operator=(const SuiteHosts&) = delete;

  // {"used": false} when no cell crosses a link; else how the hosts came to be ("made",
  // "found", or "not made" with the script's reason) and their status.
  const nlohmann::json& record() const { return record_; }

 private:
  bool made_ = false;
  nlohmann::json record_ = {{"used", false}};
};

}  // namespace cmbench
