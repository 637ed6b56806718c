// http_fetch: the aiohttp "fetch many sites" example, made measurable. A client fetches N
// URLs, /item/0 … /item/N-1, from an origin server on 127.0.0.1 that waits d before it
// answers each request (origin.hpp). Fetched one after another the N pages take N·d;
// fetched concurrently, about d plus what N connections cost the client. With `server` and
// `client` on hosts of scripts/hosts, the origin and the client run in two namespaces and
// talk across a veth link (placement.hpp).
//
// Every page is fetched over a connection of its own (connect, GET with Connection: close,
// read the response framed by its Content-Length, close), as the source examples do with a
// fresh session per site. The body of /item/i has a length and bytes that depend on i, so
// the client cannot answer from a cache or mix two responses up: the verifier recomputes
// the length and checksum of every page.
//
// Parameters: N URLs; d, the origin's delay; M, the most requests in flight at once (0: no
// bound). With M > 0 each model bounds itself in its own idiom (a Semaphore, a Pool(M), an
// executor of M workers) and the verifier checks that the bound held.
// Result: one Fetched per URL, in URL order: the body's length and checksum as the client
// computed them, and the span from before the connect to the last byte read.
// Verified: every page present with the right length and checksum; every span at least d
// (the origin waited); the peak number of fetches in flight, measured from the spans, is 1
// for sequential, at least 2 for a concurrent model (N ≥ 2, no bound below 2), at most M
// when M > 0.
//
// A fetch that fails (refused, reset, the connection closed before the whole response, a
// malformed response, a status other than 200, no whole response within p.timeout) makes
// the whole run throw FetchError, naming the URL: a cell fails, it never hangs and never
// reports a time. Each model bounds a fetch in its own idiom: a socket timeout (the blocking
// clients, per call), gevent's Timeout, asyncio's wait_for, Tornado's and Twisted's timer
// that closes the connection, a deadline in the epoll loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/span.hpp"
#include "workloads/serving/fetch_blocking.hpp"
#include "workloads/serving/origin.hpp"
#include "workloads/serving/pages.hpp"
#include "workloads/serving/placement.hpp"

namespace cmbench::http_fetch {

using serving::body;
using serving::Digest;
using serving::digest_of;
using serving::expected;
using serving::Fetched;
using serving::FetchError;
using serving::index_of;
using serving::Origin;
using serving::OriginOptions;
using serving::Page;
using serving::request;
using serving::target;

struct Params {
  std::size_t n = 0;
  std::chrono::microseconds delay{10'000};
  std::size_t max_in_flight = 0;  // M; 0: no bound
  // Each fetch fails once this has passed since it began without its whole response (an
  // origin that accepts and never answers, or stalls mid-response): a last-resort bound,
  // far above any delay the cells ask of their origin. The tests set it short.
  std::chrono::milliseconds timeout = serving::blocking_timeout;
  // The origin server, started when the cell is prepared (not timed) and stopped when the
  // last copy of the parameters goes.
  std::shared_ptr<const Origin> origin;
  std::uint16_t port = 0;  // the origin's
  // This process (the client) on the `client` host, talking to the origin's address, for as
  // long as the parameters live (placement.hpp); nothing on loopback.
  std::shared_ptr<const serving::Placed> placed;
};
using Result = std::vector<Fetched>;

// ---- The workload -----------------------------------------------------------------------

Workload describe();
// Starts the origin (a process of its own) for this cell's d.
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// One client per model, in workloads/http_fetch/<model>.cpp. Each honours p.max_in_flight.
Result sequential(const Params& p);
Result threads(const Params& p);
Result processes(const Params& p);
Result callbacks(const Params& p);
Result futures(const Params& p);
Result fibers(const Params& p);
Result coroutines(const Params& p);

// The floor: a hand-written epoll client (a reference row, not a model).
Result epoll(const Params& p);

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);
// Its Python rows (workloads/http_fetch/python/), called by register_cells.
void register_python(Catalog& catalog);

}  // namespace cmbench::http_fetch
