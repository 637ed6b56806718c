// nginx, the reference server, against checks of its own. nginx is not held to the suite's
// strict parser (the malformed corpus of http_server_test is the contract of our servers,
// not of nginx). What the load generator relies on (hello world, keep-alive, pipelining,
// Connection: close) it shares with every server (HttpBasics in http_server_test.cpp);
// here: it refuses the slow variant, and leaves nothing behind once stopped: its master,
// its workers and its temporary directory gone.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_server/references/references.hpp"
#include "http_server/spec.hpp"
#include "http_test_client.hpp"
#include "models/core/http.hpp"
#include "models/core/span.hpp"

namespace cmbench::http_server {
namespace {

using namespace std::chrono_literals;
using test::Client;
using test::is_hello;
using test::Running;
namespace fs = std::filesystem;

struct NginxCase {
  const char* name;
  Serve serve;
  int workers;
};

Config nginx_config() {
  Config config;
  config.idle_timeout = 300ms;
  return config;
}

const NginxCase nginx_cases[] = {{"nginx", nginx, 1}, {"nginx_2", nginx_2, 2}};

// The processes named nginx whose parent is `parent`, from /proc/<pid>/stat.
std::vector<pid_t> nginx_children(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    pid_t ppid = 0;
    char state = 0;
    std::istringstream(stat.substr(close + 1)) >> state >> ppid;
    if (ppid == parent && stat.substr(open + 1, close - open - 1) == "nginx")
      found.push_back(std::stoi(name));
  }
  return found;
}

// The argument after `-p` on a process's command line: nginx's directory. nginx rewrites
// its command line as its process title ("nginx: master process /usr/sbin/nginx -p ..."), so
// arguments are split at NULs and spaces.
fs::path prefix_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::replace(text.begin(), text.end(), '\0', ' ');
  std::istringstream words(text);
  for (std::string w; words >> w;)
    if (w == "-p" && words >> w) return w;
  return {};
}

bool alive(pid_t pid) {
  return fs::exists("/proc/" + std::to_string(pid));
}

const std::string get = http::get_request("/");

class HttpNginx : public ::testing::TestWithParam<NginxCase> {
 protected:
  void SetUp() override {
    if (::access("/usr/sbin/nginx", X_OK) != 0)
      GTEST_FAIL() << "/usr/sbin/nginx is missing: install nginx-light (./scripts/setup does)";
  }
};

TEST_P(HttpNginx, RefusesTheSlowVariant) {
  Config config;
  config.variant = Variant::slow;
  try {
    serve_until(
        GetParam().serve, config, [](std::uint16_t) {}, [] {});
    FAIL() << "the slow variant was served";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not measured"), std::string::npos) << e.what();
  }
}

TEST_P(HttpNginx, LeavesNoProcessAndNoDirectoryBehind) {
  pid_t master = 0;
  std::vector<pid_t> workers;
  fs::path dir;
  {
    Running server(GetParam().serve, nginx_config());
    Client idle(server.port());  // a keep-alive client still connected at the stop
    ASSERT_TRUE(idle.send(get));
    ASSERT_TRUE(is_hello(idle.response()));
    auto masters = nginx_children(::getpid());
    ASSERT_EQ(masters.size(), 1u);
    master = masters[0];
    workers = nginx_children(master);
    EXPECT_EQ(int(workers.size()), GetParam().workers);
    dir = prefix_of(master);
    ASSERT_FALSE(dir.empty());
    EXPECT_TRUE(fs::exists(dir / "nginx.conf"));
    const auto start = std::chrono::steady_clock::now();
    server.finish();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s) << "a graceful stop took too long";
  }
  EXPECT_FALSE(alive(master));
  for (pid_t w : workers) EXPECT_FALSE(alive(w)) << "worker " << w;
  EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_TRUE(nginx_children(::getpid()).empty());
}

INSTANTIATE_TEST_SUITE_P(BothNginx, HttpNginx, ::testing::ValuesIn(nginx_cases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace cmbench::http_server
