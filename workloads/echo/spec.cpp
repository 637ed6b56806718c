#include "spec.hpp"

#include <algorithm>
#include <string>

#include "workloads/workload_cells.hpp"

namespace cmbench::echo {
namespace {

ParamValues at(const std::string& size, const std::string& c, const std::string& t,
               const std::string& client = "loopback") {
  const std::string server = client == "loopback" ? "loopback" : "cmbench-a";
  return ParamValues({{"size", size},
                      {"C", c},
                      {"T", t},
                      {"pin", "none"},
                      {"server", server},
                      {"client", client}});
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
      serving::connections_param("10"),
  };
  for (auto& spec : serving::window_params()) w.params.push_back(spec);
  for (auto& spec : serving::host_params()) w.params.push_back(spec);
  w.unavailable = serving::unavailable_here;
  w.scale_param = "size";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    if (profile == Profile::quick) {
      // One of full's cells, measured for 200 ms: 1 KiB messages, where what a server pays
      // per read and write decides.
      s.push_back(at("1024", "10", "200ms"));
      return s;
    }
    if (profile == Profile::full) {
      // Quick's cell, 100 KiB messages (where copying the bytes decides), and 100 clients
      // (where waiting on many sockets does); windows of 200 ms.
      for (auto [size, c] : {std::pair{"1024", "10"}, {"102400", "10"}, {"1024", "100"}})
        s.push_back(at(size, c, "200ms"));
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
  w.timed = false;  // it serves for a fixed time: its figures are the result
  w.metrics = {
      {"msg_per_s", "messages per second", "msg/s", false, true, "epoll"},
      {"mb_per_s", "throughput", "MB/s", false, false, "epoll"},
  };
  for (auto& spec : serving::load_metric_specs("msg", "message", "messages"))
    w.metrics.push_back(spec);
  w.smallest = at("1024", "4", "100ms");
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("C")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo&) {
    return serving::window_seconds(v);
  };
  return w;
}

Params make_params(const ParamValues& v) {
  Params p = serving::loaded(v);  // a closed loop, as vmbench's client
  p.load.echo_size = static_cast<std::size_t>(v.integer("size"));
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  Verdict v = serving::verify_load(r, m, "echoes", "messages");
  if (!v.ok) return v;
  const load::Report& l = r.load;
  const double size = static_cast<double>(p.load.echo_size);
  v.metrics = {
      {"msg_per_s", l.requests_per_second},
      {"mb_per_s", l.requests_per_second * size / 1e6},
  };
  for (auto& metric : serving::load_metrics(r, "msg")) v.metrics.push_back(metric);
  return v;
}

// ---- The cells -----------------------------------------------------------------------------

// Every model's server and the reference servers, from one table (servers()).
void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  for (const auto& s : servers()) {
    auto run = [serve = s.serve](const Params& p) { return serving::run_under_load(p, serve); };
    cells.add(*s.model, run, std::string(s.variant));
  }
  register_python(catalog);
}

}  // namespace cmbench::echo
