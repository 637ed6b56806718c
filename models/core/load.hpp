// The load generator: C keep-alive HTTP/1.1 connections to a server on 127.0.0.1, driven
// from one thread with epoll, as wrk is; or, with echo_size > 0, C connections to an echo
// server, each sending a message of echo_size bytes and reading it back whole, compared byte
// for byte as it arrives, before the next (vmbench's client). It runs in a process of its own (the
// executable `cmbench-load`, started by the harness), so that the server's CPU time is the
// server's.
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

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace cmbench::load {

struct Options {
  std::uint16_t port = 0;
  std::string target = "/";
  std::string expect_body = "Hello, world!";
  int connections = 50;
  double rate = 0;  // requests per second over all connections; 0: closed loop
  std::chrono::milliseconds warmup{200};
  std::chrono::milliseconds duration{1000};  // measured, after the warm-up
  std::chrono::milliseconds timeout{1000};   // per request
  int cpu = -1;                              // pin the generator to this CPU; -1: unpinned
  // > 0: echo messages of this many bytes instead of HTTP (target and expect_body unused).
  // Each message is a different slice of a pseudo-random pattern, so an echo of another
  // message, or of another connection's, is caught.
  std::size_t echo_size = 0;
  // Told "measuring" when the warm-up ends and "done" when the measured window does, at
  // once (within one turn of the loop), so that a caller can read the server's CPU clocks
  // over exactly that window.
  std::function<void(std::string_view phase)> on_phase = nullptr;
};

// ok and the latencies cover the measured window; the problem counters cover the whole run,
// warm-up included (a server that fails only while warming up has still failed).
struct Report {
  std::uint64_t ok = 0;              // correct responses in the measured window
  std::uint64_t bad_responses = 0;   // malformed, not 200, wrong body, or unsolicited
  std::uint64_t timeouts = 0;        // requests unanswered after `timeout`
  std::uint64_t errors = 0;          // resets, refused or failed connections, other I/O errors
  std::uint64_t unsent = 0;          // open loop: requests still due, not sent, at the end
  std::uint64_t peak_in_flight = 0;  // the most requests sent and not yet answered at once
  double seconds = 0;                // the measured window
  double requests_per_second = 0;    // ok / seconds
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
  std::string first_error;  // the first thing that went wrong, worded for a person; or ""

  std::string to_json() const;
  static Report from_json(const std::string& text);  // throws std::runtime_error
};

// Runs the load against 127.0.0.1:options.port and reports. Throws std::invalid_argument for
// options out of range and std::system_error when the machine refuses (epoll, timerfd).
Report run_load(const Options& options);

}  // namespace cmbench::load
