// Every http_server implementation, model and reference alike, against the same client
// checks: answers, keep-alive, pipelining, Connection: close, a corpus of malformed requests
// and request smuggling's shapes (each answered 400 or closed, and the server serves on), a
// body longer than declared, a request a byte at a time, header lines of 1 MiB (memory
// flat), slowloris and silent clients (closed by the idle timeout), resets, the slow
// backend's concurrency, and no descriptor left behind. The cells under real load are in
// cells_test.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <optional>
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

struct ServerCase {
  const char* name;
  Serve serve;
  bool concurrent;
};

const ServerCase server_cases[] = {
    {"sequential", sequential, false},
    {"threads", threads, true},
    {"processes", processes, true},
    {"callbacks", callbacks, true},
    {"futures", futures, true},
    {"fibers", fibers, true},
    {"coroutines", coroutines, true},
    {"epoll", epoll, true},
    {"asio", asio, true},
    {"libuv", libuv, true},
};

const std::string get = http::get_request("/");

int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// What every server, nginx included, must do: what the load generator relies on.
class HttpBasics : public ::testing::TestWithParam<ServerCase> {
 protected:
  static Config quick() {
    Config c;
    c.idle_timeout = 300ms;
    c.workers = 4;
    return c;
  }
};

// What the suite's own servers must do besides: they share its strict HTTP reader, so the
// malformed corpus, the idle timeout and the slow backend hold them all to one contract.
class HttpServer : public HttpBasics {};

TEST_P(HttpBasics, AnswersHelloWorld) {
  Running server(GetParam().serve, quick());
  Client c(server.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get));
  auto r = c.response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, http::hello_body);
  EXPECT_TRUE(r->keep_alive);
}

TEST_P(HttpBasics, KeepsTheConnectionAlive) {
  Running server(GetParam().serve, quick());
  Client c(server.port());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(c.send(get));
    ASSERT_TRUE(is_hello(c.response())) << "request " << i;
  }
}

TEST_P(HttpBasics, AnswersPipelinedRequestsInOrder) {
  Running server(GetParam().serve, quick());
  Client c(server.port());
  std::string burst;
  for (int i = 0; i < 20; ++i) burst += get;
  burst += http::get_request("/", false);  // the last one closes
  ASSERT_TRUE(c.send(burst));
  for (int i = 0; i < 20; ++i) {
    auto r = c.response();
    ASSERT_TRUE(is_hello(r)) << "response " << i;
    EXPECT_TRUE(r->keep_alive);
  }
  auto last = c.response();
  ASSERT_TRUE(is_hello(last));
  EXPECT_FALSE(last->keep_alive);
  EXPECT_TRUE(c.closed_within(2000ms));
}

TEST_P(HttpBasics, ClosesAfterConnectionCloseAndHttp10) {
  Running server(GetParam().serve, quick());
  {
    Client c(server.port());
    ASSERT_TRUE(c.send(http::get_request("/", false)));
    auto r = c.response();
    ASSERT_TRUE(is_hello(r));
    EXPECT_FALSE(r->keep_alive);
    EXPECT_TRUE(c.closed_within(2000ms));
  }
  Client c(server.port());
  ASSERT_TRUE(c.send("GET / HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(is_hello(c.response()));
  EXPECT_TRUE(c.closed_within(2000ms));
}

TEST_P(HttpServer, ReadsAndIgnoresABody) {
  Running server(GetParam().serve, quick());
  Client c(server.port());
  ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + get));
  EXPECT_TRUE(is_hello(c.response()));
  EXPECT_TRUE(is_hello(c.response()));
}

// A literal's bytes, NULs included.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// At least 20 kinds of malformed request; each is answered 400 or closed.
std::vector<std::pair<std::string, std::string>> malformed() {
  const std::string ok_head = "GET / HTTP/1.1\r\nHost: x\r\n";
  std::vector<std::pair<std::string, std::string>> m = {
      {"no spaces in the request line", "GARBAGE\r\n\r\n"},
      {"HTTP/0.9 request line", "GET /\r\n\r\n"},
      {"bare LF line ends", "GET / HTTP/1.1\nHost: x\n\n"},
      {"missing CR in the head's last line", "GET / HTTP/1.1\r\nHost: x\r\n\n"},
      {"unsupported version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n"},
      {"lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n"},
      {"empty target", "GET  HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"no Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n"},
      {"two Hosts", ok_head + "Host: y\r\n\r\n"},
      {"negative Content-Length", ok_head + "Content-Length: -1\r\n\r\n"},
      {"oversized Content-Length", ok_head + "Content-Length: 99999999999999999999\r\n\r\n"},
      {"Content-Length over 1 MiB", ok_head + "Content-Length: 1048577\r\n\r\n"},
      {"conflicting Content-Lengths", ok_head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"},
      {"non-numeric Content-Length", ok_head + "Content-Length: abc\r\n\r\n"},
      {"chunked Transfer-Encoding", ok_head + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"header without a colon", ok_head + "Broken header\r\n\r\n"},
      {"space in a header name", ok_head + "Bad Name: x\r\n\r\n"},
      {"folded header line", ok_head + "X-A: a\r\n  continued\r\n\r\n"},
      {"header section over 8 KiB", ok_head + "X-Big: " + std::string(9000, 'a') + "\r\n\r\n"},
      {"request line over 8 KiB, no CRLF", "GET /" + std::string(9000, 'a')},
      {"more than 100 headers",
       [&] {
         std::string s = ok_head;
         for (int i = 0; i < 101; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
         return s + "\r\n";
       }()},
      {"control character in a value", ok_head + "X-A: a\x01z\r\n\r\n"},
      {"tab in the target", "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"leading empty line", "\r\n" + ok_head + "\r\n"},
      {"bad method character", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"NUL in the request line", bytes("GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n")},
      {"binary garbage", bytes("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n")},
      // Request smuggling's shapes: where two readers could disagree on where a request ends.
      {"Content-Length with Transfer-Encoding",
       ok_head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"Transfer-Encoding with Content-Length",
       ok_head + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello"},
      {"NUL in a header value", ok_head + bytes("X-A: a\0b\r\n\r\n")},
      {"a header line of 1 MiB", ok_head + "X-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n"},
  };
  return m;
}

TEST_P(HttpServer, AnswersMalformedRequests400OrClosesAndServesOn) {
  Running server(GetParam().serve, quick());
  auto corpus = malformed();
  ASSERT_GE(corpus.size(), 20u);
  for (const auto& [what, bytes] : corpus) {
    Client c(server.port());
    ASSERT_TRUE(c.connected()) << what;
    c.send(bytes);  // the server may close before it has read everything
    auto r = c.response(2000ms);
    if (r) {
      EXPECT_EQ(r->status, 400) << what;
    }
    EXPECT_TRUE(c.closed_within(2000ms)) << what << ": not closed";
    Client next(server.port());
    ASSERT_TRUE(next.send(get));
    ASSERT_TRUE(is_hello(next.response())) << "no longer serving after: " << what;
  }
}

TEST_P(HttpServer, AnswersWhatCameBeforeAMalformedRequest) {
  Running server(GetParam().serve, quick());
  Client c(server.port());
  ASSERT_TRUE(c.send(get + "BROKEN\r\n\r\n"));
  EXPECT_TRUE(is_hello(c.response()));
  auto r = c.response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(c.closed_within(2000ms));
}

// A body longer than its Content-Length: the request is answered, and what follows it is
// read as the next request, which is malformed: 400, or closed.
TEST_P(HttpServer, ReadsNoMoreBodyThanDeclared) {
  Running server(GetParam().serve, quick());
  Client c(server.port());
  ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
                     std::string("SMUGGLED / HTTP/1.1\r\n\r\n")));
  EXPECT_TRUE(is_hello(c.response()));
  if (auto r = c.response(2000ms)) {
    EXPECT_EQ(r->status, 400);
  }
  EXPECT_TRUE(c.closed_within(2000ms));
  Client next(server.port());
  ASSERT_TRUE(next.send(get));
  EXPECT_TRUE(is_hello(next.response()));
}

// A whole request sent one byte every 10 ms (about half a second, longer than the idle
// timeout of 300 ms, though no gap between bytes is): answered, or closed by a timeout, and
// the server serves the next client either way.
TEST_P(HttpServer, AnswersOrClosesARequestSentAByteAtATime) {
  Running server(GetParam().serve, quick());
  {
    Client c(server.port());
    const std::string request = http::get_request("/", false);
    bool sent = true;
    for (char byte : request) {
      sent = sent && c.send(std::string(1, byte));
      std::this_thread::sleep_for(10ms);
    }
    if (auto r = c.response(2000ms)) {
      EXPECT_TRUE(r->status == 200 || r->status == 400) << r->status;
    }
    EXPECT_TRUE(c.closed_within(2000ms));
  }
  Client next(server.port());
  ASSERT_TRUE(next.send(get));
  EXPECT_TRUE(is_hello(next.response()));
}

// The resident memory of this process, in KiB (VmRSS).
long resident_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string key; in >> key;) {
    if (long kib = 0; key == "VmRSS:" && in >> kib) return kib;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

// 50 requests with a header line of 1 MiB each: the server refuses each past 8 KiB and keeps
// none of it. The servers run in this process (the processes server's workers aside, whose
// reader is the same), so its resident memory must stay flat: well under the 50 MiB sent.
TEST_P(HttpServer, KeepsItsMemoryFlatUnderHugeHeaderLines) {
  Running server(GetParam().serve, quick());
  const std::string huge = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a');
  auto send_huge = [&](int times) {
    for (int i = 0; i < times; ++i) {
      Client c(server.port());
      c.send(huge);  // the server closes part-way
      c.closed_within(2000ms);
    }
  };
  send_huge(5);  // what the first ones allocate for good (buffers, a thread's arena)
  const long before = resident_kib();
  send_huge(50);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Under the sanitizers freed memory is held back on purpose (ASan's quarantine).
  EXPECT_LT(resident_kib() - before, 16 * 1024) << "KiB more after 50 MiB of header lines";
#endif
  Client next(server.port());
  ASSERT_TRUE(next.send(get));
  EXPECT_TRUE(is_hello(next.response()));
}

TEST_P(HttpServer, ClosesSilentAndSlowlorisClients) {
  Running server(GetParam().serve, quick());  // idle timeout 300 ms
  Client silent(server.port());
  Client half(server.port());
  ASSERT_TRUE(half.send("GET / HTTP/1.1\r\nHo"));
  Client slowloris(server.port());
  const auto start = std::chrono::steady_clock::now();
  bool closed = false;
  // One byte every 100 ms: each read is in time, the request never completes.
  for (int i = 0; i < 40 && !closed; ++i) {
    closed = !slowloris.send("X") || slowloris.closed_within(100ms);
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed) << "a slowloris client kept its connection 4 s";
  EXPECT_LT(took, 3s);
  if (GetParam().concurrent) {  // the sequential server reaches them one after another
    EXPECT_TRUE(silent.closed_within(2000ms));
    EXPECT_TRUE(half.closed_within(2000ms));
  }
  Client next(server.port());
  ASSERT_TRUE(next.send(get));
  EXPECT_TRUE(is_hello(next.response()));
}

TEST_P(HttpServer, SurvivesResets) {
  Running server(GetParam().serve, quick());
  for (int i = 0; i < 20; ++i) {
    Client c(server.port());
    c.send(i % 2 ? get : "GET / HTTP/1.1\r\nHo");  // reset after a request, or inside one
    c.reset();
  }
  Client next(server.port());
  ASSERT_TRUE(next.send(get));
  EXPECT_TRUE(is_hello(next.response()));
}

// A concurrent server answers a second client while the first sits idle on its keep-alive
// connection. The sequential server must not: it is still serving the first, and answers
// the second only once the first has gone.
TEST_P(HttpServer, ServesAnotherClientWhileOneIsIdle) {
  Running server(GetParam().serve, quick());
  auto idle = std::make_unique<Client>(server.port());
  ASSERT_TRUE(idle->send(get));
  ASSERT_TRUE(is_hello(idle->response()));
  Client other(server.port());
  ASSERT_TRUE(other.send(get));
  if (GetParam().concurrent) {
    EXPECT_TRUE(is_hello(other.response(250ms))) << "blocked behind an idle keep-alive client";
  } else {
    EXPECT_FALSE(other.response(250ms)) << "a sequential server answered two clients at once";
    idle.reset();  // the first client leaves: the second is served
    EXPECT_TRUE(is_hello(other.response()));
  }
}

// 64 clients, one slow request each (20 ms of backend): concurrently about 20 ms, one after
// another 1.28 s. The bound, half the sequential time, leaves a wide margin for a loaded
// machine and a sanitizer build, where a forked worker's first request alone pays for its
// copy-on-write faults.
TEST_P(HttpServer, SlowBackendRequestsOverlap) {
  constexpr auto backend = 20ms;
  Config config = quick();
  config.variant = Variant::slow;
  config.backend = backend;
  config.workers = 64;
  Running server(GetParam().serve, config);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 64; ++i) clients.push_back(std::make_unique<Client>(server.port()));
  const auto start = std::chrono::steady_clock::now();
  for (auto& c : clients) ASSERT_TRUE(c->send(http::get_request("/", false)));
  for (auto& c : clients) ASSERT_TRUE(is_hello(c->response()));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, backend);
  if (GetParam().concurrent) {
    EXPECT_LT(took, 64 * backend / 2);
  }
}

TEST_P(HttpServer, LeavesNoDescriptorBehind) {
  // One server with ten clients, run and stopped. The first run in a process may open what
  // a library keeps for the process's life (libuv's signal pipe, say): the count is taken
  // after it, and the second run must give back every descriptor it opened.
  auto serve_ten_clients = [this] {
    Running server(GetParam().serve, quick());
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 10; ++i) {
      clients.push_back(std::make_unique<Client>(server.port()));
      clients.back()->send(get);
      ASSERT_TRUE(is_hello(clients.back()->response()));
    }
    clients.clear();
    server.finish();
  };
  serve_ten_clients();
  const int before = open_fds();
  serve_ten_clients();
  EXPECT_EQ(open_fds(), before);
}

TEST_P(HttpServer, StopsPromptlyWithAnIdleClientConnected) {
  Running server(GetParam().serve, quick());
  Client idle(server.port());
  ASSERT_TRUE(idle.send(get));
  ASSERT_TRUE(is_hello(idle.response()));
  const auto start = std::chrono::steady_clock::now();
  server.finish();  // the idle client is closed by the idle timeout at the latest
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

// The suite's servers and nginx, which is held to the basics only (its parser is its own).
std::vector<ServerCase> basics_cases() {
  std::vector<ServerCase> all(std::begin(server_cases), std::end(server_cases));
  all.push_back({"nginx", nginx, true});
  all.push_back({"nginx_2", nginx_2, true});
  return all;
}

INSTANTIATE_TEST_SUITE_P(EveryServer, HttpBasics, ::testing::ValuesIn(basics_cases()),
                         [](const auto& info) { return std::string(info.param.name); });
INSTANTIATE_TEST_SUITE_P(EveryServer, HttpServer, ::testing::ValuesIn(server_cases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace cmbench::http_server
