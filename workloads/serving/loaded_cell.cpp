#include "loaded_cell.hpp"

#include <algorithm>

namespace cmbench::serving {

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

std::chrono::milliseconds timeout_for(std::chrono::milliseconds t, int connections) {
  using std::chrono::milliseconds;
  return std::max(std::clamp(t / 2, milliseconds(250), milliseconds(1000)),
                  milliseconds(connections));
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
  p.load.timeout = timeout_for(p.load.duration, p.load.connections);
  p.pin = v.text("pin") == "split";
  const Hosts hosts = hosts_of(v);
  p.server_host = hosts.server;
  p.client_host = hosts.client;
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

std::vector<MetricSpec> load_metric_specs(const std::string& per, const std::string& per_title,
                                          const std::string& requests) {
  return {
      {"server_cpu_us_per_" + per, "server CPU per " + per_title, "µs", true, true, "epoll"},
      {"server_cpu_util", "server CPU utilisation", "", true, false, ""},
      {"p50_us", "latency p50", "µs", true, false, ""},
      {"p99_us", "latency p99", "µs", true, false, ""},
      {"p999_us", "latency p99.9", "µs", true, false, ""},
      {"timeouts", requests + " timed out", "", true, false, ""},
  };
}

std::vector<std::pair<std::string, double>> load_metrics(const Result& r, const std::string& per) {
  const load::Report& l = r.load;
  return {
      {"p50_us", l.p50_us},
      {"p99_us", l.p99_us},
      {"p999_us", l.p999_us},
      {"server_cpu_us_per_" + per, double(r.server_cpu_ns) / 1e3 / double(l.ok)},
      {"server_cpu_util", double(r.server_cpu_ns) / double(r.window_ns)},
      {"timeouts", double(l.timeouts)},
  };
}

}  // namespace cmbench::serving
