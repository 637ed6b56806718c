// Running a server under load: the server on this thread, the load generator (`cmbench-load`,
// a process of its own, so that each side's CPU time is its own) started from a second
// thread once the server listens; then the server is stopped and both sides' figures are
// collected. The generator says when its measured window starts and ends; the server's CPU
// clocks are read at both instants. `serve_until` runs a server the same way for a client
// that is not the generator (`cmbench serve`, the tests).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "workloads/serving/control.hpp"
#include "workloads/serving/load_contract.hpp"

namespace cmbench::serving {

struct Params {
  Config server;
  load::Options load;  // its port is filled in once the server listens
  bool pin = false;    // server on CPU 0, load generator on CPU 1
  // The server's host (this process, while it serves) and the generator's (placement.hpp).
  std::string server_host = "loopback", client_host = "loopback";
};

struct Result {
  load::Report load;
  // The server's user + system time over the load generator's measured window: this
  // process's and its descendants' (pre-forked workers, nginx's), the generator's excluded.
  std::int64_t server_cpu_ns = 0;
  std::int64_t window_ns = 0;  // the measured window, as this process saw it
};

// Runs `serve` on this thread under the load `p.load` (its port filled in), this thread on
// the host `p.server_host` and the generator on `p.client_host`, pinned as `p.pin` says (unpinned,
// a cell confined to one CPU puts its generator on a spare one), with the descriptor limit raised
// to the hard one (one per connection). Throws if the server fails or the generator cannot run,
// overruns or reports nonsense.
Result run_under_load(const Params& p, Serve serve);

// Runs a server until `stop_when` returns (called on a second thread; it blocks until the
// server should stop), for `cmbench serve` and for tests that bring their own client.
// `on_port` learns the port as soon as the server listens.
void serve_until(Serve serve, const Config& config,
                 const std::function<void(std::uint16_t port)>& on_port,
                 const std::function<void()>& stop_when);

}  // namespace cmbench::serving
