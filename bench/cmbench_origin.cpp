// cmbench-origin: the fetching workloads' origin server, as a process of its own (the harness
// starts it when a cell is prepared and stops it by closing its standard input). It answers GET
// /item/<i> on 127.0.0.1 with that item's body, `--delay-us` after the request arrived
// (workloads/serving/origin.hpp).
//
//   cmbench-origin [--delay-us D] [--reset-at I] [--netns NAME | --bind ADDRESS]
//
// --netns serves inside that network namespace (scripts/hosts), on its own address; --bind
// listens on ADDRESS, one of this machine's (the origin on a real second machine). It prints
// "<port> <address>", one line, then serves until its standard input ends
// (Ctrl-D at a terminal). --reset-at I cuts the response to /item/I in half with a reset, for
// tests. Exit status: 0 when stopped, 2 for bad input, 1 when it could not serve.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "models/core/host.hpp"
#include "workloads/serving/origin.hpp"

using namespace cmbench;

int main(int argc, char** argv) {
  CLI::App app{
      "cmbench-origin: the delaying origin server of the fetching workloads, on 127.0.0.1"};
  long long delay_us = 10'000;
  long long reset_at = -1;
  app.add_option("--delay-us", delay_us, "µs between a request and its answer")
      ->check(CLI::Range(0LL, 600'000'000LL))
      ->capture_default_str();
  app.add_option("--reset-at", reset_at, "reset the response to /item/I halfway (tests)")
      ->check(CLI::Range(0LL, 1'000'000'000LL));
  std::string netns, bind;
  auto* in_netns =
      app.add_option("--netns", netns, "serve inside this network namespace, on its address");
  app.add_option("--bind", bind, "listen on this IPv4 address of this machine")
      ->check(CLI::ValidIPV4)
      ->excludes(in_netns);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  serving::OriginOptions o;
  o.delay = std::chrono::microseconds(delay_us);
  if (reset_at >= 0) o.reset_at = static_cast<std::size_t>(reset_at);
  try {
    if (!netns.empty()) {
      host::enter_namespace(netns);  // for good: the namespace it leaves is not needed again
      host::set_server_address(host::own_address());
    }
    if (!bind.empty()) host::set_server_address(host::parse_address(bind));
    serving::serve_origin(o, STDOUT_FILENO, STDIN_FILENO);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cmbench-origin: " << e.what() << '\n';
    return 1;
  }
}
