// `cmbench serve` in a process of its own, as a user starts it from a shell (with a `ulimit`
// first, say): its port, its pid for /proc, and a clean stop.
#pragma once

#include <signal.h>

#include <chrono>
#include <optional>
#include <string>

#include "cells/child_process.hpp"
#include "http_test_client.hpp"
#include "models/core/http.hpp"

namespace cmbench::test {

class ServedProcess {
 public:
  // Runs `<shell_prefix> exec cmbench serve <options>` under /bin/sh, stderr in `log`.
  ServedProcess(const std::string& shell_prefix, const std::string& options,
                const std::string& log) {
    ChildOptions o;
    o.out = Stdio::pipe();
    o.err = Stdio::to_file(log);
    o.new_group = true;  // the processes server's workers go with it
    std::string shell = shell_prefix + " exec ";
    shell += CMBENCH_EXE;
    shell += " serve " + options;
    child_.emplace(std::vector<std::string>{"/bin/sh", "-c", shell}, o);
    std::string address;
    if (child_->read_line(address, std::chrono::steady_clock::now() + std::chrono::seconds(30)) !=
        Child::Line::read)
      return;
    if (const auto at = address.find("127.0.0.1:"); at != std::string::npos)
      port_ = static_cast<std::uint16_t>(std::stoi(address.substr(at + 10)));
  }

  // 0 if the server did not say where it listens.
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return child_->pid(); }

  // Whether a new client gets its answer (within 10 s), on a connection closed after it.
  bool answers_a_client() const {
    http_server::test::Client next(port_);
    return next.send(http::get_request("/", false)) &&
           http_server::test::is_hello(next.response(std::chrono::seconds(10)));
  }

  // SIGTERM, then its exit status (killed if it takes over `grace`).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10)) {
    child_->signal(SIGTERM);
    return child_->wait_or_kill(grace);
  }

 private:
  std::optional<Child> child_;
  std::uint16_t port_ = 0;
};

}  // namespace cmbench::test
