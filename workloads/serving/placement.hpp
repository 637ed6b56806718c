// Where a cell's two sides run: the `server` and `client` parameters of the served workloads
// (http_server, echo: the server is the cell's own process, the client the load generator)
// and of the fetching ones (http_fetch, fetch_and_process: the client is the cell's process,
// the server the origin).
//
// A side's host is one of
//   loopback    this machine as it is, 127.0.0.1 (the default: both sides share the kernel
//               and its loopback shortcuts);
//   a namespace made by scripts/hosts (cmbench-a, cmbench-b): the side runs inside it, and
//               a server there listens on the namespace's own address, so that the two sides
//               talk across the veth link and its shaping (docs/multi-host.md).
// An IPv4 address (a real machine) is read by the parameter but refused here: a cell starts
// its other side itself, which it cannot do on another machine; docs/multi-host.md runs the
// two sides there by hand.
//
// Both sides on loopback, or both on namespaces (the same one or two): a namespace cannot
// reach this machine's loopback, nor the other way round, and such a cell fails at set-up,
// saying so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/fd.hpp"

namespace cmbench::serving {

// The two parameters, `server` and `client`, both loopback by default.
std::vector<ParamSpec> host_params();

struct Hosts {
  std::string server = "loopback", client = "loopback";
  bool over_loopback() const { return server == "loopback" && client == "loopback"; }
};
// The cell's hosts, checked (throws std::invalid_argument for sides that cannot meet).
Hosts hosts_of(const ParamValues& v);
// "" for a cell over loopback; else why an implementation that runs over loopback only (the
// Python rows) has no such cell.
std::string loopback_only(const ParamValues& v);

// This process's side, on `host` while it lives: inside the namespace (this thread, and the
// threads and processes it starts meanwhile), with `server_address` as the address servers
// listen on and clients connect to. On loopback it changes nothing. Undone when destroyed.
class Placed {
 public:
  // `server_address` 0: the namespace's own (this side is the server).
  explicit Placed(const std::string& host, std::uint32_t server_address = 0);
  ~Placed();
  Placed(const Placed&) = delete;
  Placed& operator=(const Placed&) = delete;

 private:
  Fd left_;                         // the namespace this thread left; empty on loopback
  std::uint32_t address_left_ = 0;  // the server address before
};

// The options that put a child program (cmbench-load, cmbench-origin) on `host`: none on
// loopback, else `--netns <host>`.
std::vector<std::string> placing_args(const std::string& host);

}  // namespace cmbench::serving
