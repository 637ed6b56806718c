#include "suite_hosts.hpp"

#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include "cells/child_process.hpp"

namespace cmbench {
namespace {

using namespace std::chrono_literals;

bool crosses_a_link(const Cell& cell) {
  for (const auto& spec : cell.workload().params)
    if (spec.kind == ParamKind::host && cell.params.text(spec.name) != "loopback") return true;
  return false;
}

struct Said {
  bool ok = false;
  std::string out, last_error;
};

// scripts/hosts with `command`, bounded to a minute; what it printed and its last complaint.
Said hosts_script(const std::string& command) {
  const std::string script = CMBENCH_SOURCE_DIR "/scripts/hosts";
  ChildOptions piped;
  piped.in = Stdio::null();
  piped.out = Stdio::pipe();
  piped.err = Stdio::pipe();
  Said said;
  try {
    Child child({script, command}, piped);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    std::string line;
    Child::Line got;
    while ((got = child.read_line(line, deadline)) == Child::Line::read) said.out += line + "\n";
    if (got == Child::Line::late) child.kill();
    const int status = child.wait();
    said.last_error = child.last_words();
    said.ok = got == Child::Line::end && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (got == Child::Line::late) said.last_error = "scripts/hosts " + command + " took over 60 s";
  } catch (const std::exception& e) {
    said.last_error = e.what();
  }
  return said;
}

}  // namespace

SuiteHosts::SuiteHosts(const std::vector<Cell>& cells) {
  bool needed = false;
  for (const auto& c : cells) needed = needed || crosses_a_link(c);
  if (!needed) return;
  record_["used"] = true;
  if (std::filesystem::exists("/run/netns/cmbench-a")) {
    record_["how"] = "found";  // someone's, with their shaping: used and left as they are
  } else if (Said up = hosts_script("up"); up.ok) {
    made_ = true;
    record_["how"] = "made";
    std::cerr << up.out;
  } else {
    record_["how"] = "not made";
    record_["reason"] = up.last_error;
    std::cerr << "suite: the hosts for the cells across links could not be made (" << up.last_error
              << "); those cells are not available here\n";
  }
  if (record_["how"] != "not made") record_["status"] = hosts_script("status").out;
}

SuiteHosts::~SuiteHosts() {
  if (!made_) return;
  if (Said down = hosts_script("down"); !down.ok)
    std::cerr << "suite: scripts/hosts down failed: " << down.last_error << "\n";
}

}  // namespace cmbench
