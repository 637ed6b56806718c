#include "spec.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "models/sequential/info.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::fetch_and_process {

// ---- The kernel ---------------------------------------------------------------------------

std::uint64_t work(std::size_t index, Digest page, std::uint64_t rounds) {
  // Each step multiplies, adds and shifts the previous value: a chain of dependent
  // instructions the compiler can neither vectorise nor shorten.
  std::uint64_t x = page.checksum ^ (std::uint64_t{page.length} << 32) ^ index;
  for (std::uint64_t r = 0; r < rounds; ++r) {
    x = x * 0x5851F42D4C957F2DULL + 0x14057B7EF767814FULL;
    x ^= x >> 29;
  }
  return x;
}

Processed process(const Item& item, std::uint64_t rounds) {
  std::uint64_t checksum = work(item.index, item.digest, rounds);
  return {item.index, checksum, item.fetch, monotonic_ns()};
}

std::uint64_t rounds_for(std::chrono::microseconds c) {
  // The best of a few timed batches: the fastest is the one least disturbed by the other
  // processes of a shared machine. Measured once per process (each cell runs in its own).
  static const double ns_per_round = [] {
    constexpr std::uint64_t batch = 1 << 18;
    double best = 1e9;
    for (int k = 0; k < 5; ++k) {
      std::int64_t start = monotonic_ns();
      volatile std::uint64_t sink = work(std::size_t(k), {}, batch);
      (void)sink;
      best = std::min(best, double(monotonic_ns() - start) / double(batch));
    }
    return std::max(best, 0.05);
  }();
  return std::max<std::uint64_t>(1, std::llround(double(c.count()) * 1000.0 / ns_per_round));
}

std::string no_answer(std::chrono::milliseconds timeout) {
  return "no answer within " + std::to_string(timeout.count()) + " ms";
}

// ---- The workload -------------------------------------------------------------------------

namespace {

ParamValues at(const std::string& n, const std::string& d, const std::string& c,
               const std::string& producers = "8", const std::string& consumers = "2",
               const std::string& q = "16") {
  return ParamValues({{"N", n},
                      {"d", d},
                      {"c", c},
                      {"P", producers},
                      {"C", consumers},
                      {"Q", q},
                      {"timeout", "5s"},
                      {"server", "loopback"},
                      {"client", "loopback"}});
}

// A rough cost per item in the client besides its wait and its work: a connection, a
// queue hand-off and a trip to a thread (for time limits only).
constexpr double item_cost_s = 100e-6;

}  // namespace

Workload describe() {
  Workload w;
  w.name = "fetch_and_process";
  w.title = "P producers fetch N items, C consumers process them, a queue of Q between";
  w.summary =
      "P producers fetch N pages from an origin server (on loopback, or on another host) that "
      "waits d per request and put them "
      "into a queue of capacity Q; C consumers take them out and spend c of CPU on each. "
      "Fetching alone takes N·d/P, computing N·c/C: a pipeline overlaps the two. An event "
      "loop that computes on its own thread (coroutines-naive) delays every fetch, which "
      "the fetch latency p99 shows.";
  w.params = {
      {"N", ParamKind::integer, "200", "items to fetch and process", 1, 100'000},
      {"d", ParamKind::duration, "2ms", "the origin's delay per request", 1, 10'000'000},
      {"c", ParamKind::duration, "500us", "CPU work per item", 1, 1'000'000},
      {"P", ParamKind::integer, "8", "producers (fetches in flight)", 1, 1'000},
      {"C", ParamKind::integer, "2", "consumers", 1, 1'000},
      {"Q", ParamKind::integer, "16", "the queue's capacity", 1, 100'000},
      {"timeout", ParamKind::duration, "5s", "the most one fetch may take", 1'000, 600'000'000},
  };
  for (auto& spec : serving::host_params()) w.params.push_back(spec);
  w.unavailable = serving::unavailable_here;
  w.scale_param = "N";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    if (profile == Profile::quick) {
      // Fetching (200·2 ms / 8 = 50 ms) and computing (200·0.5 ms / 2 = 50 ms) balanced.
      s.push_back(at("200", "2ms", "500us"));
    } else if (profile == Profile::full) {
      // Quick's balance, then fetch-bound (c = 100 µs), compute-bound (c = 2 ms) and the
      // tightest queue (Q = 1) at the same N = 200; N = 2 000 (≈ 0.5 s a run) once.
      s.push_back(at("200", "2ms", "500us"));
      s.push_back(at("200", "2ms", "100us"));
      s.push_back(at("200", "2ms", "2ms"));
      s.push_back(at("200", "2ms", "500us", "8", "2", "1"));
      s.push_back(at("2000", "2ms", "500us"));
    } else {
      for (auto n : {"200", "2000"}) s.push_back(at(n, "2ms", "500us"));
      s.push_back(at("200", "2ms", "100us"));
      s.push_back(at("200", "2ms", "2ms"));
      s.push_back(at("200", "2ms", "500us", "8", "2", "1"));
      s.push_back(at("2000", "2ms", "100us"));                 // fetch-bound
      s.push_back(at("2000", "2ms", "2ms"));                   // compute-bound
      s.push_back(at("2000", "2ms", "500us", "8", "2", "1"));  // the tightest queue
      s.push_back(at("2000", "10ms", "500us", "64", "2", "64"));
    }
    return s;
  };
  w.smallest = at("16", "5ms", "200us", "4", "2", "2");
  w.traced = at("24", "5ms", "1ms", "4", "2", "4");
  w.tasks = [](const ParamValues& v) {
    return static_cast<std::uint64_t>(v.integer("P") + v.integer("C"));
  };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    double n = double(v.integer("N"));
    double d = double(v.duration("d").count()) * 1e-6;
    double c = double(v.duration("c").count()) * 1e-6;
    double fetching = m.concurrent ? n * d / double(v.integer("P")) : n * d;
    double computing =
        m.concurrent ? n * c / double(std::min<std::int64_t>(v.integer("C"), 2)) : n * c;
    // A sequential run does one then the other; a pipeline overlaps them. The verifier
    // recomputes every item's work once more.
    double run = m.concurrent ? std::max(fetching, computing) : fetching + computing;
    return run + n * (c + item_cost_s + m.task_start_us * 1e-6);
  };
  w.metrics = {
      {"items_per_s", "items processed per second", "items/s", false, true, ""},
      {"fetch_p50_us", "fetch latency p50", "µs", true, false, ""},
      {"fetch_p99_us", "fetch latency p99", "µs", true, true, ""},
      {"max_depth", "largest queue depth seen", "", true, false, ""},
  };
  return w;
}

Params make_params(const ParamValues& v) {
  Params p;
  p.n = static_cast<std::size_t>(v.integer("N"));
  p.delay = v.duration("d");
  p.work = v.duration("c");
  p.producers = static_cast<std::size_t>(v.integer("P"));
  p.consumers = static_cast<std::size_t>(v.integer("C"));
  p.capacity = static_cast<std::size_t>(v.integer("Q"));
  p.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(v.duration("timeout"));
  if (p.timeout <= std::chrono::duration_cast<std::chrono::milliseconds>(p.delay))
    throw BadInput("timeout must be above d: every fetch would time out");
  p.rounds = rounds_for(p.work);
  const serving::Hosts hosts = serving::hosts_of(v);
  p.origin = Origin::start({p.delay, std::nullopt, hosts.server});
  p.port = p.origin->port();
  p.placed = std::make_shared<serving::Placed>(hosts.client, p.origin->address());
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo&) {
  if (r.items.size() != p.n)
    return Verdict::fail(std::to_string(r.items.size()) + " items processed of " +
                         std::to_string(p.n));
  std::vector<const Processed*> by_index(p.n, nullptr);
  for (const Processed& item : r.items) {
    if (item.index >= p.n)
      return Verdict::fail("an item " + std::to_string(item.index) + " that was never asked for");
    if (by_index[item.index])
      return Verdict::fail(serving::target(item.index) + " processed twice");
    by_index[item.index] = &item;
  }
  std::vector<Span> spans;
  std::vector<std::int64_t> latencies;
  std::int64_t first = INT64_MAX, last = 0;
  for (std::size_t i = 0; i < p.n; ++i) {
    // Every slot is filled: n items, none twice, none out of range.
    const Processed& item = *by_index[i];
    if (item.checksum != work(i, serving::expected(i), p.rounds))
      return Verdict::fail(serving::target(i) + ": checksum " + std::to_string(item.checksum) +
                           " is not the work of the page the origin serves");
    if (item.fetch.length_ns() < std::chrono::nanoseconds(p.delay).count())
      return Verdict::fail(serving::target(i) + " was fetched in " +
                           std::to_string(item.fetch.length_ns() / 1000) +
                           " us, less than the origin's delay: it was not fetched");
    spans.push_back(item.fetch);
    latencies.push_back(item.fetch.length_ns());
    first = std::min(first, item.fetch.start_ns);
    last = std::max(last, item.done_ns);
  }
  if (r.max_depth > p.capacity)
    return Verdict::fail("the queue held " + std::to_string(r.max_depth) +
                         " items, above its capacity Q=" + std::to_string(p.capacity));
  std::sort(latencies.begin(), latencies.end());
  auto percentile = [&](double q) {
    auto k = static_cast<std::size_t>(std::ceil(q * double(latencies.size()))) - 1;
    return double(latencies[std::min(k, latencies.size() - 1)]) / 1000.0;
  };
  Verdict v{true, "", p.n, peak_overlap(spans)};
  double seconds = double(std::max<std::int64_t>(last - first, 1)) * 1e-9;
  v.metrics = {{"items_per_s", double(p.n) / seconds},
               {"fetch_p50_us", percentile(0.50)},
               {"fetch_p99_us", percentile(0.99)},
               {"max_depth", double(r.max_depth)}};
  return v;
}

// ---- The cells -----------------------------------------------------------------------------

void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  cells.add_models({sequential, threads, processes, callbacks, futures, coroutines, fibers});
  cells.add(threads::info, threads_pipeline, "pipeline");
  cells.add(coroutines::info, coroutines_naive, "naive");
  register_python(catalog);
}

}  // namespace cmbench::fetch_and_process
