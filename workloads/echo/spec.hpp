// echo: vmbench's TCP echo benchmark. Every model acts as the server; the client is the
// harness's load generator (`cmbench-load --echo SIZE`, bench/load/generator.hpp), a process
// of its own with C connections, each sending a message of SIZE bytes, reading it back
// whole and checking it byte for byte before it sends the next (a closed loop).
//
// A server echoes what it reads, as it reads it: it keeps no message boundaries (TCP has
// none) and reads at most `read_size` bytes at a time, so a 100 KiB message crosses it in
// several reads and writes. It serves until its Control says stop (workloads/serving/control.hpp):
// then it stops accepting and returns once its clients have closed their connections. A peer
// that disconnects mid-message, or resets, costs the server that connection only.
//
// Parameters: size (bytes per message), C connections, T (measured time), pin (`split`:
// the server on CPU 0, the generator on CPU 1).
// Result: the generator's report (messages echoed correctly, latency) and the server's own
// CPU time over the measured window (serving::Result).
// Verified: messages came back, every one byte for byte; no reset or refused connection; for
// a concurrent model no message timed out (the sequential server serves one connection at
// a time: its other clients' timeouts are counted, not a failure).
// Reported: messages per second, MB per second (message bytes echoed, one direction), the
// server's CPU µs per message, latency percentiles.
#pragma once

#include <cstddef>
#include <vector>

#include "cells/registry.hpp"
#include "workloads/serving/control.hpp"
#include "workloads/serving/loaded_cell.hpp"
#include "workloads/serving/under_load.hpp"

namespace cmbench::echo {

using serving::Control;
using serving::Params;
using serving::Result;

// The most a server reads at once, the same for every server.
inline constexpr std::size_t read_size = 64 * 1024;

Workload describe();
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// One server per model, in workloads/echo/<model>.cpp, and the reference servers.
void sequential(Control& c);
void threads(Control& c);
void processes(Control& c);  // pre-forked workers, c.config().workers of them
void callbacks(Control& c);
void futures(Control& c);
void fibers(Control& c);
void coroutines(Control& c);
void epoll(Control& c);  // the hand-written floor
void asio(Control& c);
void libuv(Control& c);

// Every echo server by its label, models first, as cells and tests name them.
const std::vector<serving::Server>& servers();

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);
// Its Python rows (workloads/echo/python/), called by register_cells.
void register_python(Catalog& catalog);

}  // namespace cmbench::echo
