#include "under_load.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cells/child_process.hpp"
#include "models/core/host.hpp"
#include "models/core/span.hpp"
#include "models/core/usage.hpp"
#include "workloads/serving/placement.hpp"

namespace cmbench::serving {

namespace {

// The load generator's executable: $CMBENCH_LOAD, or the one built with this tree.
std::string load_executable() {
  if (const char* path = std::getenv("CMBENCH_LOAD"); path && *path) return path;
  return CMBENCH_LOAD_EXE;
}

// All threads of this process on `cpus` (threads started later inherit it from theirs).
void set_affinity(const cpu_set_t& cpus) {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec))
    sched_setaffinity(std::stoi(task.path().filename()), sizeof cpus, &cpus);
}

// Pins the process to CPU 0 for its lifetime, then restores what it had.
class PinnedToCpu0 {
 public:
  explicit PinnedToCpu0(bool pin) : pinned_(pin) {
    if (!pinned_) return;
    sched_getaffinity(0, sizeof before_, &before_);
    cpu_set_t zero;
    CPU_ZERO(&zero);
    CPU_SET(0, &zero);
    set_affinity(zero);
  }
  ~PinnedToCpu0() {
    if (pinned_) set_affinity(before_);
  }

 private:
  bool pinned_;
  cpu_set_t before_;
};

// A cell confined to one CPU (`cmbench suite --cpus 1`) leaves another to its load
// generator, which the harness names in CMBENCH_SPARE_CPU; -1 when there is none.
int spare_cpu() {
  const char* cpu = std::getenv("CMBENCH_SPARE_CPU");
  return cpu && *cpu ? std::atoi(cpu) : -1;
}

// One fd per connection: the soft limit (often 1 024) is raised to the hard one.
void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

// What the driver thread found.
struct Driven {
  load::Report report;
  std::int64_t server_cpu_ns = 0, window_ns = 0;
};

// Starts the generator, reads its phases and report, and samples the server's CPU at the
// start and the end of the measured window. The generator writes one line per phase
// ("measuring", "done") and then its report as one JSON line.
Driven drive_load(const load::Options& o, const std::string& client_host) {
  std::vector<std::string> args = {load_executable(),
                                   "--port",
                                   std::to_string(o.port),
                                   "--connections",
                                   std::to_string(o.connections),
                                   "--rate",
                                   std::to_string(o.rate),
                                   "--warmup",
                                   std::to_string(o.warmup.count()),
                                   "--duration",
                                   std::to_string(o.duration.count()),
                                   "--timeout",
                                   std::to_string(o.timeout.count()),
                                   "--target",
                                   o.target,
                                   "--expect-body",
                                   o.expect_body,
                                   "--cpu",
                                   std::to_string(o.cpu),
                                   "--phases"};
  if (client_host != "loopback") {  // the server's address, as this process has it now
    args.push_back("--host");
    args.push_back(host::server_address_text());
  }
  args = on_host(client_host, args);
  if (o.echo_size > 0) {  // the echo workload's client (load_contract.hpp)
    args.push_back("--echo");
    args.push_back(std::to_string(o.echo_size));
  }
  ChildOptions piped;
  piped.out = Stdio::pipe();  // its phases and its report
  piped.err = Stdio::pipe();  // a line or two, when it fails: read once it has exited
  Child generator(args, piped);

  // The generator bounds its own run; this bounds the wait if it does not.
  const auto deadline = std::chrono::steady_clock::now() + o.warmup + o.duration + 2 * o.timeout +
                        std::chrono::seconds(10);
  Driven d;
  CpuSample at_start;
  std::int64_t start_ns = 0;
  std::string line, failure;
  for (;;) {
    Child::Line got = generator.read_line(line, deadline);
    if (got == Child::Line::late) {
      failure = "the load generator overran its time and was killed";
      generator.kill();
      break;
    }
    if (got == Child::Line::end) break;
    if (line == "measuring") {
      at_start = tree_cpu_ns(generator.pid());
      start_ns = monotonic_ns();
    } else if (line == "done") {
      d.server_cpu_ns = cpu_between(at_start, tree_cpu_ns(generator.pid()));
      d.window_ns = monotonic_ns() - start_ns;
    } else if (!line.empty()) {
      try {
        d.report = load::Report::from_json(line);
      } catch (const std::exception& e) {
        failure = std::string("the load generator's report is unreadable: ") + e.what();
      }
    }
  }
  const int status = generator.wait();
  const std::string said = generator.last_words();
  if (!failure.empty()) throw std::runtime_error(failure);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("the load generator " + describe_status(status) +
                             (said.empty() ? "" : ": " + said));
  if (d.window_ns == 0) throw std::runtime_error("the load generator never finished its window");
  return d;
}

// Which failure is thrown when both sides fail.
enum class Blame { server, client };

// Runs `serve` on this thread and, once it listens, `client` with its port on a second
// thread; then stops the server, whether the client returned or threw.
void serve_to(Serve serve, const Config& config,
              const std::function<void(std::uint16_t port)>& client, Blame first) {
  raise_fd_limit();
  Control control(config);
  std::exception_ptr client_failure, server_failure;
  std::thread waiter([&] {
    try {
      if (auto port = control.wait_serving()) client(*port);
    } catch (...) {
      client_failure = std::current_exception();
    }
    control.stop();
  });
  try {
    serve(control);
  } catch (...) {
    server_failure = std::current_exception();
  }
  control.ended();
  waiter.join();
  if (first == Blame::client && client_failure) std::rethrow_exception(client_failure);
  if (server_failure) std::rethrow_exception(server_failure);
  if (client_failure) std::rethrow_exception(client_failure);
}

}  // namespace

Result run_under_load(const Params& p, Serve serve) {
  PinnedToCpu0 pinned(p.pin);
  Placed placed(p.server_host);
  Driven driven;
  serve_to(
      serve, p.server,
      [&](std::uint16_t port) {
        load::Options o = p.load;
        o.port = port;
        o.cpu = p.pin ? 1 : spare_cpu();
        driven = drive_load(o, p.client_host);
      },
      Blame::server);  // a server that failed explains what its load saw
  return {driven.report, driven.server_cpu_ns, driven.window_ns};
}

void serve_until(Serve serve, const Config& config,
                 const std::function<void(std::uint16_t port)>& on_port,
                 const std::function<void()>& stop_when) {
  serve_to(
      serve, config,
      [&](std::uint16_t port) {
        on_port(port);
        stop_when();
      },
      Blame::client);  // the client's failure is what its caller is testing
}

}  // namespace cmbench::serving
