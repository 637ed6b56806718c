// Slowloris at scale: 10 000 clients connect to one `cmbench serve` and say nothing. A
// concurrent server must hold them all at once and close each by its idle timeout, then
// serve the next client. The threads server holds 5 000 (a thread each; the threads model's
// limit is 10 000); the sanitized builds run 2 000 of each. The sequential and processes servers
// are left out by design: they serve one connection per thread of control, so N silent clients take
// N idle timeouts; http_server_test's ClosesSilentAndSlowlorisClients holds them to the timeout
// itself.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "http_test_client.hpp"
#include "models/core/http.hpp"
#include "served_process.hpp"

namespace cmbench {
namespace {

using namespace std::chrono_literals;
using http_server::test::Client;

class IdleConnections : public ::testing::TestWithParam<const char*> {};

TEST_P(IdleConnections, TenThousandSilentClientsAreClosedByTheIdleTimeout) {
  // Each side needs a descriptor per connection: this process and the server (which inherits
  // the limit) raise theirs to the hard limit.
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  files.rlim_cur = files.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const std::size_t wanted = 2000;  // the same paths at a scale the sanitizers run quickly
#else
  const std::size_t wanted = std::string(GetParam()) == "threads" ? 5000 : 10000;
#endif
  const std::size_t n = std::min<std::size_t>(wanted, files.rlim_cur - 200);
  ASSERT_GE(n, 1000u) << "the hard limit on descriptors is " << files.rlim_cur;

  const std::string log = ::testing::TempDir() + "cmbench-idle-" + GetParam() + ".log";
  test::ServedProcess server("", std::string("--idle-timeout 1 --seconds 120 -m ") + GetParam(),
                             log);
  ASSERT_NE(server.port(), 0) << "the server did not start";

  std::vector<std::unique_ptr<Client>> idle;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    idle.push_back(std::make_unique<Client>(server.port()));
    ASSERT_TRUE(idle.back()->connected()) << "connection " << i << " of " << n;
  }
  // Each is closed 1 s after it was accepted; the margin covers accepting them all and a
  // loaded machine.
  const auto deadline = start + 20s;
  std::size_t open = 0;
  for (auto& c : idle) {
    const auto left = std::max(std::chrono::steady_clock::duration(0),
                               deadline - std::chrono::steady_clock::now());
    if (!c->closed_within(std::chrono::duration_cast<std::chrono::milliseconds>(left))) ++open;
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(open, 0u) << "of " << n << " silent connections still open after 20 s";
  std::cout << GetParam() << ": " << n << " silent connections closed in " << took << " s\n";
  idle.clear();

  EXPECT_TRUE(server.answers_a_client()) << GetParam() << " no longer serves";
  const int status = server.stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << describe_status(status);
}

INSTANTIATE_TEST_SUITE_P(EveryConcurrentServer, IdleConnections,
                         ::testing::Values("threads", "callbacks", "futures", "fibers",
                                           "coroutines", "epoll", "asio", "libuv"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace cmbench
