// cmbench-load: the suite's load generator, as a process of its own (the harness starts it
// next to a server, so that each one's CPU time is its own). It measures a server's
// throughput and latency on 127.0.0.1; it is not a general HTTP client (GET only, one
// expected body, no TLS, no pipelining). With --echo SIZE it is the echo workload's client
// instead: messages of SIZE bytes, each read back and compared byte for byte.
//
//   cmbench-load --port P [--host ADDRESS] [--netns NAME] [--connections C] [--rate R]
//                [--warmup MS] [--duration MS] [--timeout MS] [--target /]
//                [--expect-body TEXT] [--echo SIZE] [--cpu N] [--phases]
//
//   --host is the server's address (127.0.0.1 by default; another machine's, or 10.77.0.1
//   for a server in scripts/hosts' cmbench-a); --netns runs the generator inside a namespace
//   of scripts/hosts (cmbench-b, say) first.
//
//   --rate 0 (the default) is a closed loop: each connection sends its next request as soon
//   as the previous one is answered. --rate R > 0 is an open loop: R requests per second in
//   all, latency measured from when each was due (bench/load/generator.hpp says more).
//
// With --phases it first prints the lines "measuring" and "done" as the measured window
// starts and ends (the harness reads the server's CPU clocks then). Then one JSON object on stdout:
// ok, bad_responses, timeouts, errors, unsent, seconds, requests_per_second, p50_us, p90_us,
// p99_us, p999_us, max_us, first_error. Exit status: 0 after a run, even one that counted errors
// (the report says which); 2 for bad input (an unknown option, a value out of range), with a
// message on stderr; 1 when the run itself could not be made (epoll, timerfd, the open-file limit).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <stdexcept>

#include "bench/load/generator.hpp"
#include "models/core/host.hpp"

using namespace cmbench;

int main(int argc, char** argv) {
  CLI::App app{"cmbench-load: HTTP/1.1 load on 127.0.0.1, reported as JSON"};
  load::Options o;
  int port = 0;
  long long warmup = o.warmup.count(), duration = o.duration.count(), timeout = o.timeout.count();
  app.add_option("--port", port, "the server's port")->required()->check(CLI::Range(1, 65535));
  app.add_option("--connections", o.connections, "keep-alive connections")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--rate", o.rate, "requests per second in all; 0: closed loop")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  app.add_option("--warmup", warmup, "ms of warm-up, not counted")
      ->check(CLI::Range(0LL, 86'400'000LL))
      ->capture_default_str();
  app.add_option("--duration", duration, "ms measured, after the warm-up")
      ->check(CLI::Range(1LL, 86'400'000LL))
      ->capture_default_str();
  app.add_option("--timeout", timeout, "ms before an unanswered request counts as timed out")
      ->check(CLI::Range(1LL, 86'400'000LL))
      ->capture_default_str();
  app.add_option("--target", o.target, "the request target")->capture_default_str();
  app.add_option("--expect-body", o.expect_body, "the body every response must have")
      ->capture_default_str();
  app.add_option("--echo", o.echo_size,
                 "echo messages of this many bytes instead of HTTP (1..16777216)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16} << 20));
  app.add_option("--cpu", o.cpu, "pin the generator to this CPU; -1: unpinned")
      ->check(CLI::Range(-1, CPU_SETSIZE - 1))
      ->capture_default_str();
  std::string netns, host_address;
  app.add_option("--netns", netns, "run inside this network namespace (scripts/hosts)");
  app.add_option("--host", host_address, "the server's IPv4 address (default 127.0.0.1)")
      ->check(CLI::ValidIPV4);
  bool phases = false;
  app.add_flag("--phases", phases, "print \"measuring\" and \"done\" lines at the window's ends");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    return 2;
  }
  o.port = static_cast<std::uint16_t>(port);
  o.warmup = std::chrono::milliseconds(warmup);
  o.duration = std::chrono::milliseconds(duration);
  o.timeout = std::chrono::milliseconds(timeout);

  try {
    if (!netns.empty()) host::enter_namespace(netns);  // for good: no way back is needed
    if (!host_address.empty()) host::set_server_address(host::parse_address(host_address));
    if (phases) o.on_phase = [](std::string_view phase) { std::cout << phase << std::endl; };
    std::cout << load::run_load(o).to_json() << '\n';
    return 0;
  } catch (const std::invalid_argument& e) {  // what the checks above cannot see (the target)
    std::cerr << "cmbench-load: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cmbench-load: the run failed: " << e.what() << '\n';
    return 1;
  }
}
