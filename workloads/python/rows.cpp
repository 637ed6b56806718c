#include "rows.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>

#include "cells/talking_child.hpp"

namespace cmbench::python {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* interpreter = "/usr/bin/python3";

std::string quoted(std::string_view text) {
  std::string q = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') q += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      q += ' ';  // no control characters in a row's parameters
      continue;
    }
    q += c;
  }
  return q + '"';
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> f;
  for (std::size_t at = 0; at < line.size();) {
    auto space = line.find(' ', at);
    if (space == std::string::npos) space = line.size();
    if (space > at) f.push_back(line.substr(at, space - at));
    at = space + 1;
  }
  return f;
}

std::int64_t number(const std::string& text, const std::string& what) {
  std::int64_t v = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (error != std::errc() || end != text.data() + text.size())
    throw std::runtime_error(what + ": '" + text + "' is not an integer");
  return v;
}

}  // namespace

Args& Args::member(std::string_view name, const std::string& value) {
  if (!body_.empty()) body_ += ", ";
  body_ += quoted(name) + ": " + value;
  return *this;
}

Args& Args::integer(std::string_view name, std::int64_t value) {
  return member(name, std::to_string(value));
}

Args& Args::integers(std::string_view name, const std::vector<std::int64_t>& values) {
  std::string list = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) list += ',';
    list += std::to_string(values[i]);
  }
  return member(name, list + "]");
}

Args& Args::text(std::string_view name, std::string_view value) {
  return member(name, quoted(value));
}

std::int64_t Output::integer(std::size_t l, std::size_t i) const {
  const std::string where = "result line " + std::to_string(l + 1);
  if (l >= lines.size()) throw std::runtime_error(where + " is missing");
  if (i >= lines[l].size())
    throw std::runtime_error(where + " has no field " + std::to_string(i + 1));
  return number(lines[l][i], where);
}

std::string workloads_dir() {
  return CMBENCH_WORKLOADS_DIR;
}

// The interpreter, talked to a line at a time.
struct Interpreter::State {
  std::optional<TalkingChild> python;

  std::string line(std::chrono::steady_clock::time_point deadline, const std::string& waiting) {
    return python->line(deadline, waiting);
  }
  std::string stderr_text() const { return python->stderr_text(); }
};

Interpreter::Interpreter(const std::string& row, const std::string& args)
    : s_(std::make_unique<State>()) {
  const fs::path program = fs::path(workloads_dir()) / row;
  if (!fs::exists(program)) throw std::runtime_error("no Python row at " + program.string());
  try {
    s_->python.emplace(
        std::vector<std::string>{interpreter, "-B", "-P",
                                 (fs::path(workloads_dir()) / "python/row.py"), program.string()},
        "the Python row");
  } catch (const CannotStart& e) {
    throw std::runtime_error(std::string(e.what()) +
                             " (Debian's python3 and the frameworks: scripts/setup)");
  }
  s_->python->child().write_stdin(args + "\n");
  const std::string said = s_->line(std::chrono::steady_clock::now() + 60s, "at start");
  if (said != "ready")
    throw std::runtime_error("the Python row said '" + said + "' at start:\n" + s_->stderr_text());
}

Interpreter::~Interpreter() = default;  // kills one that still runs

void Interpreter::run() {
  s_->python->child().write_stdin("go\n");
  const std::string said = s_->line(std::chrono::steady_clock::now() + 24h, "during its run");
  if (said.starts_with("error ")) throw std::runtime_error(said.substr(6));
  if (said != "done")
    throw std::runtime_error("the Python row said '" + said + "' for done:\n" + s_->stderr_text());
}

Output Interpreter::output() {
  Output out;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    std::string said = s_->line(deadline, "before its whole result");
    if (said.starts_with("end")) {
      auto f = fields(said);
      if (f.size() != 3) throw std::runtime_error("the Python row ended with '" + said + "'");
      out.cpu_ns = number(f[1], "cpu_ns");
      out.wall_ns = number(f[2], "wall_ns");
      break;
    }
    out.lines.push_back(fields(said));
  }
  if (auto status = s_->python->child().wait_for(10'000ms); status && *status != 0)
    throw std::runtime_error("the Python row " + describe_status(*status) + ":\n" +
                             s_->stderr_text());
  return out;
}

Next::Next(std::string row, std::string args)
    : row_(std::move(row)),
      args_(std::move(args)),
      ready_(std::make_shared<Interpreter>(row_, args_)) {}

void Next::start() {
  try {
    ready_ = std::make_shared<Interpreter>(row_, args_);
    failed_.clear();
  } catch (const std::exception& e) {
    ready_ = nullptr;
    failed_ = e.what();
  }
}

std::shared_ptr<Interpreter> Next::take() {
  if (!ready_) throw std::runtime_error(failed_.empty() ? "no interpreter ready" : failed_);
  return std::exchange(ready_, nullptr);
}

std::string loopback_only(const ParamValues& v,
                          const std::function<std::string(const ParamValues&)>& also) {
  for (const auto& [name, value] : v.items())
    if ((name == "server" || name == "client") && value != "loopback")
      return "the Python rows serve and connect on 127.0.0.1 only";
  return also ? also(v) : "";
}

std::function<bool(Profile, const ParamValues&)> runs_at(const Catalog& catalog,
                                                         const std::string& workload,
                                                         bool (*quick)(const ParamValues&),
                                                         bool (*in_full)(const ParamValues&)) {
  return [quick, in_full, quick_scales = catalog.workload(workload).scales(Profile::quick)](
             Profile p, const ParamValues& v) {
    switch (p) {
      case Profile::quick:
        return quick(v);
      case Profile::full:
        return std::find(quick_scales.begin(), quick_scales.end(), v) != quick_scales.end() &&
               (!in_full || in_full(v));
      case Profile::exhaustive:
        return true;
    }
    return false;
  };
}

}  // namespace cmbench::python
