// Where a cell's two sides run: the `server` and `client` parameters of the served workloads
// (http_server, echo: the server is the cell's own process, the client the load generator)
// and of the fetching ones (http_fetch, fetch_and_process: the client is the cell's process,
// the server the origin).
//
// A side's host is one of
//   loopback    this machine as it is, 127.0.0.1 (the default: both sides share the kernel
//               and its loopback shortcuts);
//   a namespace made by scripts/hosts (cmbench-a, cmbench-b, ...): the side runs inside it,
//               and a server there listens on the namespace's own address, so that the two
//               sides talk across a veth link and its shaping (docs/multi-host.md);
//   an IPv4 address, a real machine: the cell's own side is this machine, at that address
//               (a server binds it); the other side is started on the machine at that
//               address over ssh ($CMBENCH_SSH, default `ssh -o BatchMode=yes`), as the same
//               program at the same path ($CMBENCH_REMOTE_DIR to name another directory).
//
// Both sides on loopback, both on namespaces (the same one or two), or both at addresses:
// loopback and a namespace cannot reach each other, and such a cell fails at set-up, saying
// so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/fd.hpp"

namespace cmbench::serving {

// The two parameters, `server` and `client`, both loopback by default.
std::vector<ParamSpec> host_params();

enum class HostKind { loopback, netns, address };
HostKind kind_of(const std::string& host);

struct Hosts {
  std::string server = "loopback", client = "loopback";
  bool over_loopback() const { return server == "loopback" && client == "loopback"; }
};
// The cell's hosts, checked (throws std::invalid_argument for sides that cannot meet).
Hosts hosts_of(const ParamValues& v);

// Workload::unavailable for a cell with hosts: "" when each of its hosts is loopback, an
// address, or a namespace that exists; else "not available here: ..." naming the missing one
// and what makes it (cmbench-d only where the kernel has netem).
std::string unavailable_here(const ParamValues& v);

// This process's side, on `host` while it lives: inside the namespace (this thread, and the
// threads and processes it starts meanwhile), with `server_address` as the address servers
// listen on and clients connect to (0: the host's own, a namespace's or the address itself).
// On loopback it changes nothing. Undone when destroyed.
class Placed {
 public:
  explicit Placed(const std::string& host, std::uint32_t server_address = 0);
  ~Placed();
  Placed(const Placed&) = delete;
  Placed& operator=(const Placed&) = delete;

 private:
  Fd left_;                         // the namespace this thread left; empty if none
  std::uint32_t address_left_ = 0;  // the server address before
  bool placed_ = false;
};

// The command that runs the program `argv` (cmbench-load, cmbench-origin) on `host`: `argv`
// itself on loopback; with `--netns <host>` for a namespace; through ssh for an address.
std::vector<std::string> on_host(const std::string& host, std::vector<std::string> argv);

}  // namespace cmbench::serving
