// The load generator: C keep-alive HTTP/1.1 connections to a server (at the server address,
// 127.0.0.1 unless placed: models/core/host.hpp), driven from one thread with epoll, as wrk is; or,
// with echo_size > 0, C connections to an echo server, each sending a message of echo_size bytes
// and reading it back whole, compared byte for byte as it arrives, before the next (vmbench's
// client). It runs in a process of its own (the executable `cmbench-load`, started by the harness),
// so that the server's CPU time is the server's.
//
// Two modes:
//  - closed loop (rate = 0): each connection sends its next request as soon as the previous
//    answer arrived; the result is the most the server (or, often here, the client) can do;
//  - open loop (rate > 0): requests are due at a fixed rate, t0 + k/rate, whatever the server
//    does. A due request goes out on the first idle connection; its latency is measured from
//    the time it was due, not the time it was sent, so a server that stalls is charged for
//    every request it kept waiting (no coordinated omission).
// Every response is checked: status 200, a well-formed message, the expected body. A request
// unanswered after `timeout` is counted, and its connection closed and opened again; so is a
// reset, a refused connection or a malformed response (each counted on its own).
//
// Guarantees: the run is bounded by warmup + duration (+ one timeout to close); nothing is
// left open afterwards. Latency percentiles come from a log-linear histogram with 64
// sub-buckets per power of two (≤ 1.6 % error); only responses to requests due (open loop)
// or sent (closed loop) after the warm-up count, towards latency and throughput alike.
// Thread-safety: run_load blocks its thread and shares nothing.
#pragma once

#include "workloads/serving/load_contract.hpp"

namespace cmbench::load {

// Runs the load against the server address:options.port and reports. Throws std::invalid_argument
// for options out of range and std::system_error when the machine refuses (epoll, timerfd).
Report run_load(const Options& options);

}  // namespace cmbench::load
