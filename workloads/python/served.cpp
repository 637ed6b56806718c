#include "served.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "cells/child_process.hpp"

namespace cmbench::python {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* interpreter = "/usr/bin/python3";

std::string args(const serving::Config& c) {
  return Args()
      .text("variant", c.variant == serving::Variant::slow ? "slow" : "hello")
      .integer("backend_us", c.backend.count())
      .integer("idle_timeout_ms", c.idle_timeout.count())
      .json();
}

// A temporary file for the program's stderr, removed with it.
class ErrorFile {
 public:
  ErrorFile() {
    std::string name = (fs::temp_directory_path() / "cmbench-pyserve-XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
    ::close(fd);
    path_ = name;
  }
  ~ErrorFile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  ErrorFile(const ErrorFile&) = delete;
  ErrorFile& operator=(const ErrorFile&) = delete;
  const fs::path& path() const { return path_; }
  // Its last 4 000 bytes: a traceback's end says what went wrong.
  std::string text() const {
    std::ifstream in(path_);
    std::string text{std::istreambuf_iterator<char>(in), {}};
    return text.size() > 4000 ? "..." + text.substr(text.size() - 4000) : text;
  }

 private:
  fs::path path_;
};

// The port in "listening <port>", or 0.
std::uint16_t port_in(const std::string& line) {
  constexpr std::string_view prefix = "listening ";
  if (!line.starts_with(prefix)) return 0;
  unsigned port = 0;
  const char* end = line.data() + line.size();
  auto [at, error] = std::from_chars(line.data() + prefix.size(), end, port);
  return error == std::errc() && at == end && port < 65536 ? std::uint16_t(port) : 0;
}

// Waits for the program to say it listens; throws with its stderr if it does not.
std::uint16_t listening(Child& python, const ErrorFile& errors) {
  std::string line;
  switch (python.read_line(line, std::chrono::steady_clock::now() + 60s)) {
    case Child::Line::read:
      if (auto port = port_in(line)) return port;
      throw std::runtime_error("the Python server said '" + line + "' at start:\n" + errors.text());
    case Child::Line::end:
      throw std::runtime_error("the Python server " + describe_status(python.wait_or_kill(1s)) +
                               " at start:\n" + errors.text());
    case Child::Line::late:
      break;
  }
  throw std::runtime_error("the Python server is not listening after 60 s:\n" + errors.text());
}

}  // namespace

void serve(serving::Control& control, const std::string& row) {
  const fs::path dir = workloads_dir(), program = dir / row;
  if (!fs::exists(program)) throw std::runtime_error("no Python server at " + program.string());
  ErrorFile errors;
  ChildOptions o;
  o.in = Stdio::pipe();  // the parameters, then open until the server should stop
  o.out = Stdio::pipe();
  o.err = Stdio::to_file(errors.path());
  std::optional<Child> started;
  try {
    started.emplace(std::vector<std::string>{interpreter, "-B", "-P",
                                             (dir / "python/serve.py").string(), program.string()},
                    o);
  } catch (const CannotStart& e) {
    throw std::runtime_error(std::string(e.what()) +
                             " (Debian's python3 and the frameworks: scripts/setup)");
  }
  Child& python = *started;
  python.write_stdin(args(control.config()) + "\n");
  const std::uint16_t port = listening(python, errors);

  Fd stop(::eventfd(0, EFD_CLOEXEC));
  if (!stop) throw std::system_error(errno, std::generic_category(), "eventfd");
  {
    auto serving = control.serving(port, [fd = stop.get()] { ::eventfd_write(fd, 1); });
    pollfd both[] = {{python.pidfd(), POLLIN, 0}, {stop.get(), POLLIN, 0}};
    while (::poll(both, 2, -1) < 0 && errno == EINTR) {
    }
    if (both[0].revents)
      throw std::runtime_error("the Python server " + describe_status(python.wait()) +
                               " while serving:\n" + errors.text());
  }
  python.close_stdin();
  const int status = python.wait_or_kill(5s);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("the Python server " + describe_status(status) +
                             " when told to stop:\n" + errors.text());
}

void Servers::add(serving::Serve serve, const ModelInfo& framework, const std::string& variant,
                  bool (*quick)(const ParamValues&), bool in_full) {
  auto run = [serve](const serving::Params& p) { return serving::run_under_load(p, serve); };
  // A row left out of full accepts no scale there: full_only's "none".
  catalog_.add_cell(
      workload_, std::string(info.name), typed_cell(make_, run, verify_, framework), variant,
      [](const ParamValues& v) { return loopback_only(v); }, &framework,
      runs_at(catalog_, workload_, quick, in_full ? in_full_ : full_only));
}

}  // namespace cmbench::python
