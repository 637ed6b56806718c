// The contract between a loaded server's runner and the load generator (`cmbench-load`,
// bench/load/generator.hpp, a process of its own): the options the runner passes on its
// command line, and the report the generator prints as one JSON line. Both sides include
// this header, so that what one writes is what the other reads.
#pragma once

#include <chrono>
#include <cstddef>
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
  // over exactly that window. In the generator's process: `cmbench-load --phases` prints
  // each as a line of its own, before the report.
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

}  // namespace cmbench::load
