// fetch_and_process: a bounded producer/consumer pipeline, the shape of every crawler and
// every "download, then parse" script. P producers fetch N items, /item/0 … /item/N-1, from
// the origin (workloads/serving/origin.hpp; on another host: placement.hpp), which waits d before
// it answers each request; C consumers each spend about c of CPU per item in the shared kernel
// (work()); a queue of capacity Q sits between them, so that fast producers wait for slow consumers
// instead of piling pages up (backpressure). Fetching alone takes about N·d/P, computing
// alone N·c/C on enough cores; a good pipeline overlaps the two and takes about the longer.
//
// What it shows: how each model keeps CPU work off its I/O. An event loop that computes on
// its own thread (coroutines-naive) delays every fetch waiting on it, which the fetch
// latency percentiles make visible; offloaded to a thread (to_thread, deferToThread,
// run_in_executor, the hub's thread pool), the loop keeps answering.
//
// Parameters: N items; d, the origin's delay; c, the CPU work per item; P producers; C
// consumers; Q, the queue's capacity; timeout, the most one fetch may take.
// Result: one Processed per item, in the order the consumers finished them, and the largest
// queue depth the producers saw right after their puts.
// Verified: every item processed exactly once, its checksum equal to work() recomputed
// from the page the origin serves; every fetch took at least d (the origin waited); the
// largest depth seen is at most Q. (It may be 0: a queue that hands an item straight to a
// consumer already waiting, as asyncio's does, holds it for no time.)
//
// A fetch that fails or takes longer than `timeout` fails the whole run with a FetchError
// naming the item's URL, in each model's own timeout idiom: a cell fails, it never hangs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/span.hpp"
#include "workloads/serving/origin.hpp"
#include "workloads/serving/pages.hpp"
#include "workloads/serving/placement.hpp"

namespace cmbench::fetch_and_process {

using serving::Digest;
using serving::FetchError;
using serving::Origin;
using serving::Page;
using serving::request;

struct Params {
  std::size_t n = 0;
  std::chrono::microseconds delay{2'000};
  std::chrono::microseconds work{500};  // c, as asked; `rounds` is what the kernel does
  std::size_t producers = 1;
  std::size_t consumers = 1;
  std::size_t capacity = 1;  // Q
  std::chrono::milliseconds timeout{5'000};
  std::uint64_t rounds = 0;  // the kernel's rounds for about `work` of CPU on this machine
  // The origin, started when the cell is prepared (not timed) and stopped when the last
  // copy of the parameters goes.
  std::shared_ptr<const Origin> origin;
  std::uint16_t port = 0;
  // This process (the client) on the `client` host, talking to the origin's address, while
  // the parameters live (placement.hpp); nothing on loopback.
  std::shared_ptr<const serving::Placed> placed;
};

// A fetched page on its way from a producer to a consumer. Trivially copyable: it travels
// between processes.
struct Item {
  std::size_t index = 0;
  Digest digest;
  Span fetch;  // from before the connect to the last byte read
};

// An item once a consumer is done with it. Trivially copyable.
struct Processed {
  std::size_t index = 0;
  std::uint64_t checksum = 0;  // work() of the page
  Span fetch;
  std::int64_t done_ns = 0;  // when the consumer finished it
};

struct Result {
  std::vector<Processed> items;  // in any order
  std::size_t max_depth = 0;     // the largest queue depth seen after a put; 0: no queue
};

// ---- The kernel ------------------------------------------------------------------------

// The CPU work of one item, the same instructions in every model: `rounds` steps of a
// 64-bit mixing function seeded by the page's digest and index, one dependent chain (no
// memory traffic, no system call, nothing a compiler can skip). Deterministic.
std::uint64_t work(std::size_t index, Digest page, std::uint64_t rounds);

// What a consumer does with an item: work() on it, and the time it finished.
Processed process(const Item& item, std::uint64_t rounds);

// The rounds that take about `c` of CPU here, measured once per process.
std::uint64_t rounds_for(std::chrono::microseconds c);

// ---- The fetch ---------------------------------------------------------------------------

// The message of a fetch that timed out: "no answer within <timeout> ms".
std::string no_answer(std::chrono::milliseconds timeout);

// ---- The workload ------------------------------------------------------------------------

Workload describe();
// Starts the origin (a process of its own) for this cell's d, and measures the rounds.
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// One implementation per model, in workloads/fetch_and_process/<model>.cpp.
Result sequential(const Params& p);
Result threads(const Params& p);
Result threads_pipeline(const Params& p);  // TBB parallel_pipeline
Result processes(const Params& p);
Result callbacks(const Params& p);
Result futures(const Params& p);
Result fibers(const Params& p);
Result coroutines(const Params& p);
Result coroutines_naive(const Params& p);  // the CPU work on the loop's own thread

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);
// Its Python rows (workloads/fetch_and_process/python/), called by register_cells.
void register_python(Catalog& catalog);

}  // namespace cmbench::fetch_and_process
