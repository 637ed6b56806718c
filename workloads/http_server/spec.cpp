#include "spec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "models/core/fd.hpp"
#include "models/core/span.hpp"
#include "models/core/usage.hpp"
#include "servers.hpp"
#include "workloads/workload_cells.hpp"

extern char** environ;

namespace cmbench::http_server {

// ---- Control ------------------------------------------------------------------------------

Control::Serving Control::serving(std::uint16_t port, std::function<void()> stop) {
  std::lock_guard lock(mutex_);
  port_ = port;
  stop_ = std::move(stop);
  changed_.notify_all();
  return Serving(this);
}

Control::Serving::~Serving() {
  if (!c_) return;
  std::lock_guard lock(c_->mutex_);  // waits for a stop() in progress
  c_->stop_ = nullptr;
}

void Control::ended() {
  std::lock_guard lock(mutex_);
  ended_ = true;
  stop_ = nullptr;
  changed_.notify_all();
}

std::optional<std::uint16_t> Control::wait_serving() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return port_ || ended_; });
  return port_;
}

void Control::stop() {
  std::lock_guard lock(mutex_);
  if (auto stop = std::exchange(stop_, nullptr)) stop();
}

// ---- Running a server under load ----------------------------------------------------------

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
Driven drive_load(const load::Options& o) {
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
  if (o.echo_size > 0) {  // the echo workload's client (models/core/load.hpp)
    args.push_back("--echo");
    args.push_back(std::to_string(o.echo_size));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  Fd out(fds[0]), in(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.get(), STDOUT_FILENO);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::system_error(rc, std::generic_category(), "starting the load generator " + args[0]);
  in.reset();

  // The generator bounds its own run; this bounds the wait if it does not.
  const std::int64_t deadline = monotonic_ns() +
                                (o.warmup + o.duration + 2 * o.timeout).count() * 1'000'000LL +
                                10'000'000'000LL;
  Driven d;
  CpuSample at_start;
  std::int64_t start_ns = 0;
  std::string text, failure;
  for (;;) {
    std::int64_t left_ms = (deadline - monotonic_ns()) / 1'000'000;
    pollfd p{out.get(), POLLIN, 0};
    if (left_ms <= 0 || poll(&p, 1, int(left_ms)) == 0) {
      failure = "the load generator overran its time and was killed";
      kill(pid, SIGKILL);
      break;
    }
    char chunk[4096];
    ssize_t n = read(out.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(chunk, std::size_t(n));
    for (std::size_t eol; (eol = text.find('\n')) != std::string::npos;) {
      std::string line = text.substr(0, eol);
      text.erase(0, eol + 1);
      if (line == "measuring") {
        at_start = tree_cpu_ns(pid);
        start_ns = monotonic_ns();
      } else if (line == "done") {
        d.server_cpu_ns = cpu_between(at_start, tree_cpu_ns(pid));
        d.window_ns = monotonic_ns() - start_ns;
      } else if (!line.empty()) {
        try {
          d.report = load::Report::from_json(line);
        } catch (const std::exception& e) {
          failure = std::string("the load generator's report is unreadable: ") + e.what();
        }
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!failure.empty()) throw std::runtime_error(failure);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("the load generator failed (status " + std::to_string(status) +
                             "; its messages are in the cell's log)");
  if (d.window_ns == 0) throw std::runtime_error("the load generator never finished its window");
  return d;
}

ParamValues at(const std::string& variant, const std::string& c, const std::string& rate,
               const std::string& t) {
  return ParamValues({{"variant", variant}, {"C", c}, {"rate", rate}, {"T", t}, {"pin", "none"}});
}

}  // namespace

Result run_under_load(const Params& p, Serve serve) {
  raise_fd_limit();
  Control control(p.server);
  Driven driven;
  std::exception_ptr load_failure, server_failure;
  PinnedToCpu0 pinned(p.pin);
  std::thread driver([&] {
    try {
      if (auto port = control.wait_serving()) {
        load::Options o = p.load;
        o.port = *port;
        if (p.pin) o.cpu = 1;
        driven = drive_load(o);
      }
    } catch (...) {
      load_failure = std::current_exception();
    }
    control.stop();
  });
  try {
    serve(control);
  } catch (...) {
    server_failure = std::current_exception();
  }
  control.ended();
  driver.join();
  if (server_failure) std::rethrow_exception(server_failure);
  if (load_failure) std::rethrow_exception(load_failure);
  return {driven.report, driven.server_cpu_ns, driven.window_ns};
}

void serve_until(Serve serve, const Config& config,
                 const std::function<void(std::uint16_t port)>& on_port,
                 const std::function<void()>& stop_when) {
  raise_fd_limit();
  Control control(config);
  std::exception_ptr failure;
  std::thread waiter([&] {
    try {
      if (auto port = control.wait_serving()) {
        on_port(*port);
        stop_when();
      }
    } catch (...) {
      failure = std::current_exception();
    }
    control.stop();
  });
  try {
    serve(control);
  } catch (...) {
    if (!failure) failure = std::current_exception();
  }
  control.ended();
  waiter.join();
  if (failure) std::rethrow_exception(failure);
}

// ---- The workload -------------------------------------------------------------------------

Workload describe() {
  Workload w;
  w.name = "http_server";
  w.title = "\"Hello, world!\" HTTP/1.1 server under load";
  w.summary =
      "Each model's hello-world server, loaded by C keep-alive connections from a separate "
      "process. On two cores the client takes one, so fast servers are client-bound: the "
      "figure that separates them is the server's CPU time per request at a fixed rate. In "
      "the slow variant every request first waits 1 ms, and only concurrency helps.";
  w.params = {
      {"variant",
       ParamKind::choice,
       "hello",
       "hello, or slow (each request waits 1 ms first)",
       1,
       1,
       {"hello", "slow"}},
      connections_param("50"),
      {"rate", ParamKind::integer, "0", "offered requests per second; 0: as many as possible", 0,
       10'000'000},
  };
  for (auto& spec : window_params()) w.params.push_back(spec);
  w.scale_param = "C";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    if (profile == Profile::quick) {
      // Two of full's cells, measured for 200 ms: the server's CPU per request at a fixed
      // rate (what separates servers that the client holds to its own rate), and the slow
      // backend, where only concurrency helps.
      s.push_back(at("hello", "50", "20000", "200ms"));
      s.push_back(at("slow", "50", "0", "200ms"));
      return s;
    }
    const std::string t = "2s";
    s.push_back(at("hello", "50", "0", t));
    s.push_back(at("hello", "50", "20000", t));  // the server's CPU per request
    s.push_back(at("slow", "50", "0", t));
    for (auto c : {"1", "10", "200", "1000"}) s.push_back(at("hello", c, "0", t));
    for (auto c : {"10", "200", "1000"}) s.push_back(at("slow", c, "0", t));
    s.push_back(at("hello", "50", "50000", t));
    return s;
  };
  w.metrics = {
      {"req_per_s", "requests per second", "req/s", false, true, "epoll"},
      {"server_cpu_us_per_req", "server CPU per request", "µs", true, true, "epoll"},
      {"server_cpu_util", "server CPU utilisation", "", true, false, ""},
      {"p50_us", "latency p50", "µs", true, false, ""},
      {"p99_us", "latency p99", "µs", true, false, ""},
      {"p999_us", "latency p99.9", "µs", true, false, ""},
      {"timeouts", "requests timed out", "", true, false, ""},
      {"unsent", "requests due but never sent", "", true, false, ""},
  };
  w.smallest = at("hello", "4", "0", "100ms");
  // A paced load, so that a timeline shows requests one by one rather than a solid block.
  w.traced = at("hello", "4", "500", "100ms");
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("C")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo&) { return window_seconds(v); };
  return w;
}

ParamSpec connections_param(const std::string& default_c) {
  return {"C", ParamKind::integer, default_c, "concurrent connections, each kept open", 1, 10'000};
}

std::vector<ParamSpec> window_params() {
  return {
      {"T", ParamKind::duration, "1s", "measured time, after a warm-up of T/2 (100 to 200 ms)",
       100'000, 60'000'000},
      {"pin",
       ParamKind::choice,
       "none",
       "none, or split: server on CPU 0, client on CPU 1",
       1,
       1,
       {"none", "split"}},
  };
}

std::chrono::milliseconds warmup_for(std::chrono::milliseconds t) {
  using std::chrono::milliseconds;
  return std::clamp(t / 2, milliseconds(100), milliseconds(200));
}

double window_seconds(const ParamValues& v) {
  auto t = std::chrono::duration_cast<std::chrono::milliseconds>(v.duration("T"));
  // Starting and stopping the server and the generator take ≈ 20 ms beside the window.
  return std::chrono::duration<double>(warmup_for(t) + t).count() + 0.02;
}

Params loaded(const ParamValues& v) {
  Params p;
  p.load.connections = static_cast<int>(v.integer("C"));
  p.server.workers = p.load.connections;  // processes: a pre-forked worker per connection
  p.load.duration = std::chrono::duration_cast<std::chrono::milliseconds>(v.duration("T"));
  p.load.warmup = warmup_for(p.load.duration);
  p.load.timeout = std::clamp(p.load.duration / 2, std::chrono::milliseconds(250),
                              std::chrono::milliseconds(1000));
  p.pin = v.text("pin") == "split";
  return p;
}

Verdict verify_load(const Result& r, const ModelInfo& m, const std::string& answers,
                    const std::string& requests) {
  const load::Report& l = r.load;
  const std::string first = l.first_error.empty() ? "" : " (first: " + l.first_error + ")";
  if (l.bad_responses > 0)
    return Verdict::fail(std::to_string(l.bad_responses) + " wrong " + answers + first);
  if (l.errors > 0) return Verdict::fail(std::to_string(l.errors) + " connection errors" + first);
  if (l.ok == 0) return Verdict::fail("no correct " + answers + " in the measured window" + first);
  if (m.concurrent && l.timeouts > 0)
    return Verdict::fail(std::to_string(l.timeouts) + " " + requests + " timed out" + first);
  if (r.server_cpu_ns <= 0) return Verdict::fail("the server's CPU time was not measured");
  return {true, "", l.ok, l.peak_in_flight};
}

Params make_params(const ParamValues& v) {
  Params p = loaded(v);
  p.server.variant = v.text("variant") == "slow" ? Variant::slow : Variant::hello;
  p.load.rate = static_cast<double>(v.integer("rate"));
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  Verdict v = verify_load(r, m, "responses", "requests");
  if (!v.ok) return v;
  const load::Report& l = r.load;
  if (p.server.variant == Variant::slow && l.p50_us < p.server.backend.count())
    return Verdict::fail("the median latency " + std::to_string(l.p50_us) +
                         " us is below the backend's wait: the server did not wait");
  v.metrics = {
      {"req_per_s", l.requests_per_second},
      {"p50_us", l.p50_us},
      {"p99_us", l.p99_us},
      {"p999_us", l.p999_us},
      {"server_cpu_us_per_req", double(r.server_cpu_ns) / 1e3 / double(l.ok)},
      {"server_cpu_util", double(r.server_cpu_ns) / double(r.window_ns)},
      {"timeouts", double(l.timeouts)},
      {"unsent", double(l.unsent)},
  };
  return v;
}

// ---- The cells -----------------------------------------------------------------------------

// Every model's server and the reference servers, from one table (servers()), the one by
// which `cmbench serve` finds a server too.
void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  for (const auto& s : servers()) {
    WorkloadCells<Params, Result>::NotApplicable not_applicable = nullptr;
    if (!s.has_slow_variant)
      not_applicable = [](const ParamValues& v) -> std::string {
        return v.text("variant") == "slow"
                   ? "the slow variant needs a backend to wait on, which stock nginx has not"
                   : "";
      };
    auto run = [serve = s.serve](const Params& p) { return run_under_load(p, serve); };
    cells.add(*s.model, run, std::string(s.variant), std::move(not_applicable));
  }
}

}  // namespace cmbench::http_server
