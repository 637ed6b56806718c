#include "spec.hpp"

#include <algorithm>
#include <cmath>

#include "models/sequential/info.hpp"
#include "workloads/peers/references.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::http_fetch {

// ---- The workload -------------------------------------------------------------------------

namespace {

ParamValues at(const std::string& n, const std::string& d, const std::string& m = "0",
               const std::string& client = "loopback") {
  const std::string server = client == "loopback" ? "loopback" : "cmbench-a";
  return ParamValues({{"N", n}, {"d", d}, {"M", m}, {"server", server}, {"client", client}});
}

// The cells across a link are for the sequential client, two concurrent ones and the floor.
bool crosses_links(std::string_view label) {
  return label == "sequential" || label == "threads" || label == "coroutines" || label == "epoll";
}

// A rough cost per fetch in the client: connect, write, a read or two, close, and the
// model's task (for time limits only).
constexpr double fetch_cost_s = 60e-6;

}  // namespace

Workload describe() {
  Workload w;
  w.name = "http_fetch";
  w.title = "fetch N URLs from a server that waits d per request";
  w.summary =
      "A client fetches N pages, each over a connection of its own, from an origin server "
      "(on loopback, or on another host across a link) that answers each request d after it "
      "arrives. One after another the fetches "
      "take N·d; concurrently, about d plus what N connections cost the client. With M > 0 "
      "at most M fetches may be in flight (a Semaphore, a Pool(M), M workers), and the time "
      "is about N/M·d.";
  w.params = {
      {"N", ParamKind::integer, "100", "URLs to fetch", 1, 10'000},
      {"d", ParamKind::duration, "10ms", "the origin's delay per request", 1, 10'000'000},
      {"M", ParamKind::integer, "0", "most fetches in flight at once; 0: no bound", 0, 10'000},
  };
  for (auto& spec : serving::host_params()) w.params.push_back(spec);
  w.unavailable = serving::unavailable_here;
  w.scale_param = "N";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    if (profile == Profile::quick) {
      // Two of full's cells: 100 pages at d = 1 ms (what each fetch costs the client; the
      // sequential client takes 0.1 s), and 1 000 at d = 10 ms with at most 100 in flight
      // (no sequential row). Unbounded fan-outs of 1 000 and more are left to full.
      s.push_back(at("100", "1ms"));
      s.push_back(at("1000", "10ms", "100"));
      s.push_back(at("1000", "1ms"));  // beside the same cells across links, below
    } else if (profile == Profile::full) {
      // Quick's two, then the unbounded fan-out over N = 10, 1 000 and 10 000 at d = 1 ms
      // (the sequential client stops where a run would take over 1.5 s).
      for (auto n : {"10", "100", "1000", "10000"}) s.push_back(at(n, "1ms"));
      s.push_back(at("1000", "10ms", "100"));
    } else {
      for (auto d : {"1ms", "10ms"})
        for (auto n : {"10", "100", "1000", "10000"}) s.push_back(at(n, d));
      for (auto m : {"10", "100"}) s.push_back(at("1000", "10ms", m));
    }
    // Every profile: 1 000 pages at d = 1 ms from an origin on another host (cmbench-a), the
    // client's host across a plain veth link, one shaped to 1 Gbit/s, and one with 1 ms of
    // added delay (docs/multi-host.md), for the models of crosses_links.
    for (auto client : {"cmbench-b", "cmbench-c", "cmbench-d"})
      s.push_back(at("1000", "1ms", "0", client));
    return s;
  };
  w.scale_is_for = [](Profile profile, std::string_view label, const ParamValues& v) {
    const bool across = v.text("client") != "loopback";
    const bool quick_beside = profile == Profile::quick && v.integer("N") == 1000 &&
                              v.integer("M") == 0 && v.text("d") == "1ms";
    if (!crosses_links(label)) return !(across || quick_beside);
    // The sequential client (1.1 s a run) crosses the shaped link in full only: one fetch at
    // a time fills no link, and quick's three minutes are dear.
    return !(profile == Profile::quick && label == "sequential" && v.text("client") == "cmbench-c");
  };
  // d = 10 ms: overlap must show even where starting a task is slow (a thread under TSan).
  w.smallest = at("8", "10ms");
  w.tasks = [](const ParamValues& v) {
    auto n = static_cast<std::uint64_t>(v.integer("N"));
    auto m = static_cast<std::uint64_t>(v.integer("M"));
    return m > 0 ? std::min(n, m) : n;
  };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    double n = static_cast<double>(v.integer("N"));
    double d = static_cast<double>(v.duration("d").count()) * 1e-6;
    double bound = static_cast<double>(v.integer("M"));
    double rounds = !m.concurrent ? n : bound > 0 ? std::ceil(n / bound) : 1;
    return rounds * d + n * (fetch_cost_s + m.task_start_us * 1e-6);
  };
  return w;
}

Params make_params(const ParamValues& v) {
  Params p;
  p.n = static_cast<std::size_t>(v.integer("N"));
  p.delay = v.duration("d");
  p.max_in_flight = static_cast<std::size_t>(v.integer("M"));
  const serving::Hosts hosts = serving::hosts_of(v);
  p.origin = Origin::start({p.delay, std::nullopt, hosts.server});
  p.port = p.origin->port();
  p.placed = std::make_shared<serving::Placed>(hosts.client, p.origin->address());
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  if (r.size() != p.n)
    return Verdict::fail(std::to_string(r.size()) + " pages for " + std::to_string(p.n) + " URLs");
  std::vector<Span> spans;
  spans.reserve(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) {
    const Digest want = expected(i);
    const Digest& got = r[i].digest;
    if (got != want)
      return Verdict::fail(target(i) + ": " + std::to_string(got.length) + " bytes with checksum " +
                           std::to_string(got.checksum) + ", expected " +
                           std::to_string(want.length) + " bytes with " +
                           std::to_string(want.checksum));
    if (r[i].span.length_ns() < std::chrono::nanoseconds(p.delay).count())
      return Verdict::fail(target(i) + " took " + std::to_string(r[i].span.length_ns() / 1000) +
                           " us, less than the origin's delay: it was not fetched");
    spans.push_back(r[i].span);
  }
  auto peak = peak_overlap(spans);
  if (!m.concurrent && peak != 1)
    return Verdict::fail("a sequential client had " + std::to_string(peak) + " fetches in flight");
  if (m.concurrent && p.n >= 2 && p.max_in_flight != 1 && peak < 2)
    return Verdict::fail("the fetches never overlapped (peak 1): they did not run concurrently");
  if (p.max_in_flight > 0 && peak > p.max_in_flight)
    return Verdict::fail(std::to_string(peak) + " fetches in flight at once, above the bound M=" +
                         std::to_string(p.max_in_flight));
  return {true, "", r.size(), peak};
}

// ---- The cells -----------------------------------------------------------------------------

void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  // The bound M means nothing to the sequential client, which has one fetch in flight
  // whatever M is: its bounded cells would repeat the unbounded one.
  cells.add(sequential::info, sequential, "", [](const ParamValues& v) -> std::string {
    return v.integer("M") > 0 ? "a sequential client fetches one URL at a time whatever M is" : "";
  });
  cells.add_models({nullptr, threads, processes, callbacks, futures, coroutines, fibers});
  // The floor: the fewest system calls an honest client makes per fetch.
  cells.add(references::epoll, epoll);
  register_python(catalog);
}

}  // namespace cmbench::http_fetch
