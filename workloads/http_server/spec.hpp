// http_server: the source documents' "Hello, world!" servers (Twisted, Tornado, gevent,
// asyncio), each model's own, under the same load: C keep-alive connections from the load
// generator, a process of its own, started by the layer every loaded server shares
// (workloads/serving/).
//
// Two variants: `hello` answers at once, so the server's cost per request decides;
// `slow` first waits `backend` (1 ms) on a timer for every request, as if it asked a slow
// backend, so that concurrency decides: a server that waits for one client at a time serves
// at most 1/backend requests per second, whatever the CPU.
//
// Every server speaks through the shared HTTP code (models/core/http.hpp): the strict
// request reader, 400 and close for anything malformed, keep-alive and pipelining. Every
// connection silent for `idle_timeout` (between requests or inside one: a slowloris) is
// closed.
//
// Parameters: variant; C connections; rate (requests/s, 0: as fast as possible); T, the
// measured time; pin (`split`: the server on CPU 0, the load generator on CPU 1).
// Result: what the load generator saw, and the server's own CPU time over the run.
// Verified: responses arrived, every one correct (status, framing, body); no reset or
// refused connection; for a concurrent model no request timed out (the sequential server
// serves one connection at a time: its timeouts are counted and reported, not a failure);
// in the slow variant the median latency is at least the backend's wait (the wait happened).
#pragma once

#include "cells/registry.hpp"
#include "workloads/serving/control.hpp"
#include "workloads/serving/loaded_cell.hpp"
#include "workloads/serving/under_load.hpp"

namespace cmbench::http_server {

// The serving layer's words (workloads/serving/), as this workload's servers and callers
// use them.
using serving::Config;
using serving::Control;
using serving::Params;
using serving::Result;
using serving::run_under_load;
using serving::Serve;
using serving::serve_until;
using serving::Variant;

// One model's server per file, workloads/http_server/<model>.cpp.
void sequential(Control& c);
void threads(Control& c);
void processes(Control& c);
void callbacks(Control& c);
void futures(Control& c);
void fibers(Control& c);
void coroutines(Control& c);

Workload describe();
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);
// Its Python rows (workloads/http_server/python/), called by register_cells.
void register_python(Catalog& catalog);

}  // namespace cmbench::http_server
