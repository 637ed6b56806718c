// wrk, a real HTTP client the suite did not write, against every http_server (each model's
// and each reference's): one second, 2 threads, 50 connections, and wrk must report requests
// and no error of any kind (no socket error, no non-2xx answer). The documented command for
// doing the same by hand is in docs/http_server.md.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <tuple>

#include "http_server/servers.hpp"

namespace cmbench::http_server {
namespace {

constexpr const char* wrk = "/usr/bin/wrk";

// What a command printed on stdout, and its exit status.
std::pair<std::string, int> run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return {"", -1};
  std::array<char, 4096> chunk;
  while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), p)) out.append(chunk.data(), n);
  int status = ::pclose(p);
  return {out, status};
}

std::vector<std::string> labels() {
  std::vector<std::string> all;
  for (const auto& s : servers()) {
    std::string name(s.model->name);
    if (!s.variant.empty()) name += "-" + std::string(s.variant);
    all.push_back(name);
  }
  return all;
}

class Wrk : public ::testing::TestWithParam<std::string> {};

TEST_P(Wrk, ReportsNoErrors) {
  if (::access(wrk, X_OK) != 0) GTEST_FAIL() << "wrk is not installed (./scripts/setup does)";
  Config config;
  config.idle_timeout = std::chrono::seconds(5);
  config.workers = 50;  // processes: one worker per connection
  std::string output;
  int status = -1;
  std::uint16_t port = 0;
  serve_until(
      server(GetParam()).serve, config, [&](std::uint16_t p) { port = p; },
      [&] {
        // Appended piece by piece: g++ 12 warns falsely (-Warray-bounds) on the one-line sum.
        std::string command = wrk;
        command += " -t2 -c50 -d1s http://127.0.0.1:";
        command += std::to_string(port);
        command += "/";
        std::tie(output, status) = run(command);
      });
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("Requests/sec"), std::string::npos) << output;
  EXPECT_EQ(output.find("Socket errors"), std::string::npos) << output;
  EXPECT_EQ(output.find("Non-2xx"), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(EveryServer, Wrk, ::testing::ValuesIn(labels()), [](const auto& info) {
  std::string n = info.param;
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
});

}  // namespace
}  // namespace cmbench::http_server
