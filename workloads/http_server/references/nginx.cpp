// http_server, nginx: the industrial reference, nginx itself (/usr/sbin/nginx, Debian's
// nginx-light) with one worker process (nginx) or two (nginx_2), answering
// `return 200 "Hello, world!"` from a config generated in a fresh temporary directory. It
// parses HTTP its own way, not with the suite's strict reader.
//
// Started and stopped as its operators do: `nginx -p dir -c dir/nginx.conf` in the
// foreground, stopped by SIGQUIT (graceful: it stops listening, closes idle keep-alive
// connections, finishes busy ones, reaps its workers), and SIGKILL to its process group if
// that takes over 5 s. Its CPU time is its master's and workers', descendants of this
// process. nginx cannot be told port 0 and report its choice: a port that was free a moment
// ago is given to it, and another one if it was taken meanwhile.
// The slow variant is not measured: stock nginx has no per-request wait without a backend.
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

#include "cells/child_process.hpp"
#include "models/core/host.hpp"
#include "models/core/span.hpp"
#include "models/core/tcp.hpp"
#include "workloads/http_server/references/references.hpp"

namespace cmbench::http_server {
namespace {

namespace fs = std::filesystem;
constexpr const char* executable = "/usr/sbin/nginx";

std::string config(const fs::path& dir, std::uint16_t port, int workers, const Config& c) {
  std::ostringstream s;
  const std::string d = dir.string() + "/", idle = std::to_string(c.idle_timeout.count()) + "ms";
  s << "daemon off;\nmaster_process on;\nworker_processes " << workers << ";\n";
  if (::geteuid() == 0)  // workers keep root's identity: they can use the directory
    s << "user " << ::getpwuid(0)->pw_name << " " << ::getgrgid(::getegid())->gr_name << ";\n";
  s << "pid " << d << "nginx.pid;\nerror_log " << d << "error.log warn;\n"
    << "events { worker_connections 4096; }\nhttp {\n  access_log off;\n";
  for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
    s << "  " << temp << "_temp_path " << d << temp << ";\n";
  s << "  keepalive_requests 1000000;\n  keepalive_timeout " << idle
    << ";\n  client_header_timeout " << idle << ";\n  server {\n    listen "
    << host::server_address_text() << ":" << port << " backlog=" << tcp::default_backlog
    << ";\n    location / { default_type text/plain; return 200 \"Hello, world!\"; }\n  }\n}\n";
  return s.str();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// nginx's master in the foreground, leader of its process group (its workers are in it), its
// output in its error log. Killing it kills the group.
ChildOptions master(const fs::path& log) {
  ChildOptions o;
  o.in = Stdio::null();
  o.out = Stdio::to_file(log, true);
  o.err = Stdio::as_stdout();
  o.new_group = true;
  o.unblock_signals = true;  // SIGQUIT must reach it
  return o;
}

// Polls until nginx accepts on `port` (true) or fails to bind it (false); throws with its
// error log if it exits otherwise or is not listening within 5 s.
bool started(Child& nginx, std::uint16_t port, const fs::path& log) {
  for (std::int64_t deadline = monotonic_ns() + 5'000'000'000; monotonic_ns() < deadline;) {
    if (read_text(log).find("Address already in use") != std::string::npos) return false;
    if (nginx.wait_for(std::chrono::milliseconds(0)))
      throw std::runtime_error("nginx exited at start:\n" + read_text(log));
    Fd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{AF_INET, htons(port), {host::server_address()}, {}};
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return true;
    ::usleep(10'000);
  }
  throw std::runtime_error("nginx is not listening after 5 s:\n" + read_text(log));
}

void run(Control& c, int workers) {
  if (c.config().variant == Variant::slow)
    throw std::runtime_error("nginx: the slow variant needs a backend; not measured");
  if (::access(executable, X_OK) != 0)
    throw std::runtime_error("nginx: /usr/sbin/nginx is missing (Debian package nginx-light)");
  std::string name = (fs::temp_directory_path() / "cmbench-nginx-XXXXXX").string();
  if (!::mkdtemp(name.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  const fs::path dir = name;
  struct Removed {
    const fs::path& dir;
    ~Removed() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } removed{dir};

  for (int attempt = 1;; ++attempt) {
    const std::uint16_t port = tcp::local_port(tcp::listen(0).get());  // free a moment ago
    std::ofstream(dir / "nginx.conf") << config(dir, port, workers, c.config());
    const std::string prefix = dir.string() + "/", log = prefix + "error.log";
    Child nginx({executable, "-p", prefix, "-c", prefix + "nginx.conf", "-e", log}, master(log));
    if (!started(nginx, port, dir / "error.log")) {
      if (attempt == 3)
        throw std::runtime_error("nginx: 3 ports taken:\n" + read_text(dir / "error.log"));
      continue;  // the port was taken meanwhile: kill this one, try another
    }
    Fd stop(::eventfd(0, EFD_CLOEXEC));
    if (!stop) throw std::system_error(errno, std::generic_category(), "eventfd");
    auto serving = c.serving(port, [fd = stop.get()] { ::eventfd_write(fd, 1); });
    pollfd both[] = {{nginx.pidfd(), POLLIN, 0}, {stop.get(), POLLIN, 0}};
    while (::poll(both, 2, -1) < 0 && errno == EINTR) {
    }
    if (both[0].revents)
      throw std::runtime_error("nginx exited while serving:\n" + read_text(dir / "error.log"));
    nginx.signal(SIGQUIT);
    nginx.wait_or_kill(std::chrono::seconds(5));
    return;
  }
}

}  // namespace

void nginx(Control& c) {
  run(c, 1);
}
void nginx_2(Control& c) {
  run(c, 2);
}

}  // namespace cmbench::http_server
