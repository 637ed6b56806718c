#include "spec.hpp"

#include <string>
#include <vector>

#include "servers.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::http_server {
namespace {

ParamValues at(const std::string& variant, const std::string& c, const std::string& rate,
               const std::string& t, const std::string& client = "loopback") {
  const std::string server = client == "loopback" ? "loopback" : "cmbench-a";
  return ParamValues({{"variant", variant},
                      {"C", c},
                      {"rate", rate},
                      {"T", t},
                      {"pin", "none"},
                      {"server", server},
                      {"client", client}});
}

// The cells across a link are for two concurrent servers and the floor.
bool crosses_links(std::string_view label) {
  return label == "threads" || label == "coroutines" || label == "epoll";
}

}  // namespace

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
      serving::connections_param("50"),
      {"rate", ParamKind::integer, "0", "offered requests per second; 0: as many as possible", 0,
       10'000'000},
  };
  for (auto& spec : serving::window_params()) w.params.push_back(spec);
  for (auto& spec : serving::host_params()) w.params.push_back(spec);
  w.unavailable = serving::unavailable_here;
  w.scale_param = "C";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    if (profile == Profile::quick) {
      // Two of full's cells, measured for 200 ms: the server's CPU per request at a fixed
      // rate (what separates servers that the client holds to its own rate), and the slow
      // backend, where only concurrency helps.
      s.push_back(at("hello", "50", "20000", "200ms"));
      s.push_back(at("slow", "50", "0", "200ms"));
    }
    if (profile == Profile::full) {
      // Quick's two, then the closed loop over C = 1, 50 and 1 000 connections (one client
      // waiting on each answer; many more connections than a thread pool has threads);
      // windows of 200 ms.
      const std::string t = "200ms";
      s.push_back(at("hello", "50", "20000", t));
      s.push_back(at("slow", "50", "0", t));
      for (auto c : {"1", "50", "1000"}) s.push_back(at("hello", c, "0", t));
    }
    if (profile != Profile::exhaustive) {
      // The server's CPU per request at 20 000 requests/s with its client on another host,
      // for the servers of crosses_links (docs/multi-host.md): across a plain veth link, and
      // in full also one shaped to 1 Gbit/s (which 20 000 small responses do not fill).
      s.push_back(at("hello", "50", "20000", "200ms", "cmbench-b"));
      if (profile == Profile::full) s.push_back(at("hello", "50", "20000", "200ms", "cmbench-c"));
      return s;
    }
    const std::string t = "2s";
    s.push_back(at("hello", "50", "0", t));
    s.push_back(at("hello", "50", "20000", t));  // the server's CPU per request
    s.push_back(at("slow", "50", "0", t));
    for (auto c : {"1", "10", "200", "1000"}) s.push_back(at("hello", c, "0", t));
    for (auto c : {"10", "200", "1000"}) s.push_back(at("slow", c, "0", t));
    s.push_back(at("hello", "50", "50000", t));
    for (auto client : {"cmbench-b", "cmbench-c"})
      s.push_back(at("hello", "50", "20000", t, client));
    return s;
  };
  w.scale_is_for = [](Profile, std::string_view label, const ParamValues& v) {
    return crosses_links(label) || v.text("client") == "loopback";
  };
  w.timed = false;  // it serves for a fixed time: its figures are the result
  w.metrics = {{"req_per_s", "requests per second", "req/s", false, true, "epoll"}};
  for (auto& spec : serving::load_metric_specs("req", "request", "requests"))
    w.metrics.push_back(spec);
  w.metrics.push_back({"unsent", "requests due but never sent", "", true, false, ""});
  w.smallest = at("hello", "4", "0", "100ms");
  // A paced load, so that a timeline shows requests one by one rather than a solid block.
  w.traced = at("hello", "4", "500", "100ms");
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("C")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo&) {
    return serving::window_seconds(v);
  };
  return w;
}

Params make_params(const ParamValues& v) {
  Params p = serving::loaded(v);
  p.server.variant = v.text("variant") == "slow" ? Variant::slow : Variant::hello;
  p.load.rate = static_cast<double>(v.integer("rate"));
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  Verdict v = serving::verify_load(r, m, "responses", "requests");
  if (!v.ok) return v;
  const load::Report& l = r.load;
  if (p.server.variant == Variant::slow && l.p50_us < p.server.backend.count())
    return Verdict::fail("the median latency " + std::to_string(l.p50_us) +
                         " us is below the backend's wait: the server did not wait");
  v.metrics = {{"req_per_s", l.requests_per_second}};
  for (auto& metric : serving::load_metrics(r, "req")) v.metrics.push_back(metric);
  v.metrics.push_back({"unsent", double(l.unsent)});
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
  register_python(catalog);
}

}  // namespace cmbench::http_server
