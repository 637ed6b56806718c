#include "spec.hpp"

#include <algorithm>
#include <string>

#include "workloads/workload_cells.hpp"

namespace cmbench::echo {
namespace {

ParamValues at(const std::string& size, const std::string& c, const std::string& t) {
  return ParamValues({{"size", size}, {"C", c}, {"T", t}, {"pin", "none"}});
}

}  // namespace

Workload describe() {
  Workload w;
  w.name = "echo";
  w.title = "TCP echo server, messages of 1, 10 and 100 KiB";
  w.summary =
      "vmbench's benchmark: each model's echo server against C connections from a separate "
      "process, each sending a message and reading it back whole before the next. Small "
      "messages measure what the server pays per read and write (its system calls and its "
      "loop); large ones, how it moves bytes. The server's CPU per message separates servers "
      "that the client, on the other core, holds to the same rate.";
  w.params = {
      {"size", ParamKind::integer, "1024", "bytes per message", 1, 16 << 20},
      http_server::connections_param("10"),
  };
  for (auto& spec : http_server::window_params()) w.params.push_back(spec);
  w.scale_param = "size";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    if (profile == Profile::quick) {
      // One of full's cells, measured for 200 ms: 1 KiB messages, where what a server pays
      // per read and write decides.
      s.push_back(at("1024", "10", "200ms"));
      return s;
    }
    const std::string t = "2s";
    for (auto size : {"1024", "10240", "102400"}) s.push_back(at(size, "10", t));
    for (auto size : {"1024", "102400"}) {
      s.push_back(at(size, "1", t));
      s.push_back(at(size, "100", t));
    }
    return s;
  };
  w.metrics = {
      {"msg_per_s", "messages per second", "msg/s", false, true, "epoll"},
      {"mb_per_s", "throughput", "MB/s", false, false, "epoll"},
      {"server_cpu_us_per_msg", "server CPU per message", "µs", true, true, "epoll"},
      {"server_cpu_util", "server CPU utilisation", "", true, false, ""},
      {"p50_us", "latency p50", "µs", true, false, ""},
      {"p99_us", "latency p99", "µs", true, false, ""},
      {"p999_us", "latency p99.9", "µs", true, false, ""},
      {"timeouts", "messages timed out", "", true, false, ""},
  };
  w.smallest = at("1024", "4", "100ms");
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("C")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo&) {
    return http_server::window_seconds(v);
  };
  return w;
}

Params make_params(const ParamValues& v) {
  Params p = http_server::loaded(v);  // a closed loop, as vmbench's client
  p.load.echo_size = static_cast<std::size_t>(v.integer("size"));
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  Verdict v = http_server::verify_load(r, m, "echoes", "messages");
  if (!v.ok) return v;
  const load::Report& l = r.load;
  const double size = static_cast<double>(p.load.echo_size);
  v.metrics = {
      {"msg_per_s", l.requests_per_second},
      {"mb_per_s", l.requests_per_second * size / 1e6},
      {"p50_us", l.p50_us},
      {"p99_us", l.p99_us},
      {"p999_us", l.p999_us},
      {"server_cpu_us_per_msg", double(r.server_cpu_ns) / 1e3 / double(l.ok)},
      {"server_cpu_util", double(r.server_cpu_ns) / double(r.window_ns)},
      {"timeouts", double(l.timeouts)},
  };
  return v;
}

// ---- The cells -----------------------------------------------------------------------------

// Every model's server and the reference servers, from one table (servers()).
void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  for (const auto& s : servers()) {
    auto run = [serve = s.serve](const Params& p) { return http_server::run_under_load(p, serve); };
    cells.add(*s.model, run, std::string(s.variant));
  }
}

}  // namespace cmbench::echo
