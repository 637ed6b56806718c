// http_fetch: the pages, the Page reader, the origin server, the verifier, and what every
// model's client must do beyond the smallest cell (cells_test runs that): honour the bound
// M, and fail clearly and promptly, with nothing left open, when the origin resets a
// connection in the middle of a response.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <atomic>
#include <utility>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "http_fetch/spec.hpp"
#include "models/callbacks/info.hpp"
#include "models/core/tcp.hpp"
#include "models/coroutines/info.hpp"
#include "models/fibers/info.hpp"
#include "models/futures/info.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "workloads/peers/references.hpp"
#include "workloads/serving/origin.hpp"

using namespace cmbench;
using namespace cmbench::http_fetch;
using namespace std::chrono_literals;

namespace {

int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// A blocking GET over a connection of its own, reading until the server closes.
std::string fetch_raw(std::uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, std::size_t(n));
  }
  ::close(fd);
  return got;
}

struct Client {
  const char* name;
  Result (*fetch)(const Params&);
  const ModelInfo* model;
};

const Client clients[] = {
    {"sequential", http_fetch::sequential, &sequential::info},
    {"threads", http_fetch::threads, &threads::info},
    {"processes", http_fetch::processes, &processes::info},
    {"callbacks", http_fetch::callbacks, &callbacks::info},
    {"futures", http_fetch::futures, &futures::info},
    {"fibers", http_fetch::fibers, &fibers::info},
    {"coroutines", http_fetch::coroutines, &coroutines::info},
    {"epoll", http_fetch::epoll, &references::epoll},
};

Params params(std::size_t n, std::chrono::microseconds d, std::size_t m,
              std::optional<std::size_t> reset_at = std::nullopt) {
  Params p;
  p.n = n;
  p.delay = d;
  p.max_in_flight = m;
  p.origin = Origin::start({d, reset_at});
  p.port = p.origin->port();
  return p;
}

// Descriptors open once a model's runtime is up: a loop a model keeps per thread (its
// epoll set, its wake-up descriptor) is made on first use and kept, not left behind.
int open_fds_after_warming(const Client& c) {
  c.fetch(params(1, 1ms, 0));  // its origin is gone before the count
  return open_fds();
}

// An origin gone wrong, on a thread of this process: it accepts every connection, reads the
// request, then does as `how` says, until it is destroyed (which closes what it held).
class HostileOrigin {
 public:
  enum class How { silent, half_then_stall, short_body_then_close, reset };

  explicit HostileOrigin(How how)
      : how_(how), listener_(tcp::listen(0)), port_(tcp::local_port(listener_.get())) {
    thread_ = std::thread([this] { serve(); });
  }
  ~HostileOrigin() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  void serve() {
    std::vector<Fd> held;  // the silent and stalled connections, closed at the end
    while (!stop_) {
      pollfd ready{listener_.get(), POLLIN, 0};
      if (::poll(&ready, 1, 10) <= 0) continue;
      Fd c = tcp::accept(listener_.get());
      if (!c) continue;
      pollfd request{c.get(), POLLIN, 0};
      ::poll(&request, 1, 1000);  // the GET comes in one segment
      char buf[4096];
      [[maybe_unused]] auto got = ::recv(c.get(), buf, sizeof buf, 0);
      const std::string_view half = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc";
      if (how_ == How::half_then_stall || how_ == How::short_body_then_close) [[maybe_unused]]
        auto sent = ::send(c.get(), half.data(), half.size(), MSG_NOSIGNAL);
      if (how_ == How::reset) {
        linger now{1, 0};  // close with RST
        ::setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &now, sizeof now);
      }
      if (how_ == How::silent || how_ == How::half_then_stall) held.push_back(std::move(c));
    }
  }

  How how_;
  Fd listener_;
  std::uint16_t port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// What a client's run threw: the FetchError's words, and how long it took to fail.
std::string failure_of(const Client& c, const Params& p, std::chrono::nanoseconds& took) {
  auto start = std::chrono::steady_clock::now();
  try {
    c.fetch(p);
  } catch (const FetchError& e) {
    took = std::chrono::steady_clock::now() - start;
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a FetchError: ") + e.what();
  }
  return "(no FetchError)";
}

}  // namespace

TEST(HttpFetchPages, BodiesDependOnTheUrlAndDigestsMatch) {
  std::set<std::uint32_t> lengths;
  std::set<std::uint64_t> sums;
  for (std::size_t i = 0; i < 200; ++i) {
    std::string b = body(i);
    EXPECT_GE(b.size(), 100u);
    EXPECT_LE(b.size(), 1123u);
    EXPECT_EQ(b, body(i));  // deterministic
    EXPECT_EQ(digest_of(b), expected(i));
    lengths.insert(expected(i).length);
    sums.insert(expected(i).checksum);
  }
  EXPECT_GT(lengths.size(), 100u);
  EXPECT_EQ(sums.size(), 200u);
  EXPECT_EQ(target(42), "/item/42");
  EXPECT_EQ(index_of("/item/42"), 42);
  EXPECT_EQ(index_of("/item/0"), 0);
  for (auto bad :
       {"/item/", "/item/042", "/item/4x", "/items/4", "/item/-1", "/", "/item/99999999999999"})
    EXPECT_EQ(index_of(bad), -1) << bad;
}

TEST(HttpFetchPages, RequestsAreValidHttp) {
  http::RequestReader reader;
  reader.feed(request(7));
  http::Request r;
  ASSERT_EQ(reader.next(r), http::Status::ready);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/item/7");
  EXPECT_FALSE(r.keep_alive);
}

TEST(HttpFetchPage, ReadsAResponseWholeOrByteByByte) {
  std::string response;
  http::write_response(response, 200, "OK", "application/octet-stream", body(3), false);
  Page whole(3);
  EXPECT_TRUE(whole.feed(response));
  EXPECT_EQ(whole.digest(), expected(3));
  Page bytes(3);
  for (std::size_t k = 0; k + 1 < response.size(); ++k)
    EXPECT_FALSE(bytes.feed(response.substr(k, 1)));
  auto room = bytes.buffer(1);
  room[0] = response.back();
  EXPECT_TRUE(bytes.commit(1));
  EXPECT_TRUE(bytes.done());
  EXPECT_EQ(bytes.digest(), expected(3));
  EXPECT_NO_THROW(bytes.end_of_stream());
}

TEST(HttpFetchPage, FailuresNameTheUrl) {
  std::string response;
  http::write_response(response, 200, "OK", "text/plain", body(5), false);
  auto message = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const FetchError& e) {
      return e.what();
    }
    return "no FetchError";
  };
  Page cut(5);
  cut.feed(response.substr(0, 50));
  EXPECT_EQ(message([&] { cut.end_of_stream(); }),
            "GET /item/5: the connection closed after 50 bytes, in the middle of the response");
  EXPECT_EQ(message([&] { Page(5).end_of_stream(); }),
            "GET /item/5: the connection closed before any response");
  std::string not_found;
  http::write_response(not_found, 404, "Not Found", "text/plain", "x", false);
  EXPECT_EQ(message([&] { Page(6).feed(not_found); }), "GET /item/6: status 404");
  EXPECT_NE(message([&] {
              Page(7).feed("HTTP/1.1 200 OK\r\nbogus\r\n\r\n");
            }).find("GET /item/7: malformed response"),
            std::string::npos);
  EXPECT_NE(message([&] { Page(8).feed(response + "extra"); }).find("after the end"),
            std::string::npos);
  EXPECT_EQ(message([] { Page(9).fail("connection reset"); }), "GET /item/9: connection reset");
}

TEST(HttpFetchOrigin, AnswersAfterItsDelayAndStopsWithNothingLeft) {
  const int fds = open_fds();
  {
    auto origin = Origin::start({20ms, std::nullopt});
    auto t0 = std::chrono::steady_clock::now();
    std::string got = fetch_raw(origin->port(), request(11));
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
    Page page(11);
    ASSERT_TRUE(page.feed(got)) << got;
    EXPECT_EQ(page.digest(), expected(11));
    EXPECT_EQ(fetch_raw(origin->port(), "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").substr(0, 12),
              "HTTP/1.1 404");
    EXPECT_EQ(fetch_raw(origin->port(), "bogus\r\n\r\n").substr(0, 12), "HTTP/1.1 400");
  }  // the origin is reaped here: the listener in no_leftover_children_test checks it
  EXPECT_EQ(open_fds(), fds);
}

TEST(HttpFetchOrigin, ResetsTheChosenResponseHalfway) {
  auto origin = Origin::start({1ms, 2});
  Page whole(1);
  EXPECT_TRUE(whole.feed(fetch_raw(origin->port(), request(1))));
  std::string cut = fetch_raw(origin->port(), request(2));
  Page page(2);
  EXPECT_FALSE(page.feed(cut));
  EXPECT_THROW(page.end_of_stream(), FetchError);
}

TEST(HttpFetchVerify, CatchesWhatAClientCouldGetWrong) {
  Params p;
  p.n = 3;
  p.delay = 1ms;
  auto good = [] {
    Result r;
    for (std::size_t i = 0; i < 3; ++i) r.push_back({expected(i), {0, 2'000'000}});
    return r;
  };
  EXPECT_TRUE(verify(p, good(), threads::info).ok);
  Result r = good();
  r.pop_back();
  EXPECT_FALSE(verify(p, r, threads::info).ok);
  r = good();
  r[1].digest.checksum ^= 1;
  EXPECT_NE(verify(p, r, threads::info).why.find("/item/1"), std::string::npos);
  r = good();
  r[2].span.end_ns = 500'000;  // shorter than the delay
  EXPECT_FALSE(verify(p, r, threads::info).ok);
  EXPECT_FALSE(verify(p, good(), sequential::info).ok);  // they overlapped
  p.max_in_flight = 2;
  EXPECT_NE(verify(p, good(), threads::info).why.find("above the bound"), std::string::npos);
  r = good();
  for (std::size_t i = 0; i < 3; ++i)
    r[i].span = {std::int64_t(i) * 3'000'000, std::int64_t(i) * 3'000'000 + 2'000'000};
  p.max_in_flight = 0;
  EXPECT_NE(verify(p, r, threads::info).why.find("never overlapped"), std::string::npos);
  EXPECT_TRUE(verify(p, r, sequential::info).ok);
}

class HttpFetchClient : public ::testing::TestWithParam<Client> {};

TEST_P(HttpFetchClient, FetchesEveryPageWithinTheBound) {
  const Client& c = GetParam();
  // 20 ms per page: a thread start under a sanitizer on a loaded machine can take
  // milliseconds, and with 2 ms pages a thread per URL once finished each fetch before the
  // next thread began (no overlap to see). 12 pages still take a sequential client 240 ms.
  for (std::size_t m : {std::size_t{0}, std::size_t{3}}) {
    Params p = params(12, 20ms, m);
    Verdict v = verify(p, c.fetch(p), *c.model);
    EXPECT_TRUE(v.ok) << c.name << " M=" << m << ": " << v.why;
    if (m > 0) {
      EXPECT_LE(v.peak_in_flight, m);
    }
  }
}

TEST_P(HttpFetchClient, AResetMidResponseFailsTheRunClearlyWithNothingLeftOpen) {
  const Client& c = GetParam();
  const int fds = open_fds_after_warming(c);
  for (std::size_t m : {std::size_t{0}, std::size_t{2}}) {
    Params p = params(12, 1ms, m, 5);
    std::chrono::nanoseconds took{};
    std::string what = failure_of(c, p, took);
    EXPECT_NE(what.find("GET /item/5: "), std::string::npos)
        << c.name << " M=" << m << ": " << what;
    // Promptly: the reset is seen within milliseconds; 20 s leaves room for a loaded machine.
    EXPECT_LT(took, 20s) << c.name;
  }
  EXPECT_EQ(open_fds(), fds) << c.name << " left descriptors open";
}

TEST_P(HttpFetchClient, ARefusedConnectionFailsTheRunNamingTheUrl) {
  const Client& c = GetParam();
  Params p = params(6, 1ms, 0);
  {
    Fd probe = tcp::listen(0);
    p.port = tcp::local_port(probe.get());
  }  // closed: connections to its port are refused
  const int fds = open_fds_after_warming(c);
  std::chrono::nanoseconds took{};
  std::string what = failure_of(c, p, took);
  // Pool.map reports the first failure to arrive, whichever URL's; the others, URL order's.
  const std::string url = c.model == &processes::info ? "GET /item/" : "GET /item/0: ";
  EXPECT_NE(what.find(url), std::string::npos) << c.name << ": " << what;
  EXPECT_NE(what.find("refused"), std::string::npos) << c.name << ": " << what;
  EXPECT_EQ(open_fds(), fds) << c.name << " left descriptors open";
}

TEST_P(HttpFetchClient, AStatusOtherThan200FailsTheRun) {
  const Client& c = GetParam();
  // A server that answers its one connection 404, then closes once the client has read it.
  Fd listener = tcp::listen(0);
  Params p = params(1, 1ms, 0);
  p.port = tcp::local_port(listener.get());
  std::thread server([&] {
    Fd conn;
    for (int i = 0; i < 5000 && !(conn = tcp::accept(listener.get())); ++i)
      std::this_thread::sleep_for(1ms);
    std::string_view reply =
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (conn) {
      EXPECT_EQ(::write(conn.get(), reply.data(), reply.size()), ssize_t(reply.size()));
    }
    std::this_thread::sleep_for(50ms);
  });
  std::chrono::nanoseconds took{};
  std::string what = failure_of(c, p, took);
  server.join();
  EXPECT_NE(what.find("GET /item/0: status 404"), std::string::npos) << c.name << ": " << what;
}

// Every client gives up on an origin that accepts and never answers, answers half a response
// and stalls, sends less body than its Content-Length and closes, or resets: within its
// per-fetch timeout (300 ms here), naming the URL, with nothing left open.
TEST_P(HttpFetchClient, GivesUpOnAHostileOriginWithinItsTimeoutNamingTheUrl) {
  const Client& c = GetParam();
  const int fds = open_fds_after_warming(c);
  using How = HostileOrigin::How;
  const std::pair<How, const char*> cases[] = {{How::silent, "silent"},
                                               {How::half_then_stall, "half, then stalls"},
                                               {How::short_body_then_close, "short body"},
                                               {How::reset, "reset"}};
  for (const auto& [how, what_it_does] : cases) {
    HostileOrigin origin(how);
    Params p;
    p.n = 3;
    p.delay = 0us;
    p.port = origin.port();
    p.timeout = 300ms;
    std::chrono::nanoseconds took{};
    const std::string what = failure_of(c, p, took);
    EXPECT_NE(what.find("GET /item/"), std::string::npos)
        << c.name << ", " << what_it_does << ": " << what;
    if (how == How::silent || how == How::half_then_stall) {
      EXPECT_NE(what.find("300 ms"), std::string::npos)
          << c.name << ", " << what_it_does << ": " << what;
      EXPECT_GE(took, 300ms) << c.name << ", " << what_it_does;
    }
    // Each fetch is bounded by 300 ms; 10 s leaves room for a loaded, sanitized machine.
    EXPECT_LT(took, 10s) << c.name << ", " << what_it_does;
  }
  EXPECT_EQ(open_fds(), fds) << c.name << " left descriptors open";
}

TEST_P(HttpFetchClient, NoUrlsGiveNoPages) {
  const Client& c = GetParam();
  Params p = params(1, 1ms, 0);
  p.n = 0;
  EXPECT_TRUE(c.fetch(p).empty()) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Models, HttpFetchClient, ::testing::ValuesIn(clients),
                         [](const auto& info) { return std::string(info.param.name); });
