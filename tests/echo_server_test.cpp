// Every echo server, model and reference alike, against the same clients: messages of
// 1 KiB to 100 KiB echoed byte for byte, one at a time and pipelined; several connections
// at once (the sequential server: one after the other); peers that leave mid-message, reset,
// or send without reading, after which the server still serves; a client that does not read
// is not read either (backpressure, not a growing buffer); no descriptor left behind;
// a stop that lets open connections finish and returns promptly once their clients have
// closed; and 50 clients × 100 messages. Every wait is bounded: a server that hangs fails
// the test, it does not hang the run. The cell under the real load generator is in
// cells_test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "echo/spec.hpp"
#include "http_test_client.hpp"
#include "models/core/span.hpp"

namespace cmbench::echo {
namespace {

using namespace std::chrono_literals;
using serving::Config;
using serving::Server;
using http_server::test::Running;

// `size` bytes that differ from message to message (`seed`) and along the message, so that
// a byte lost, repeated or taken from another message shows.
std::string pattern(std::size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = char((i * 131 + seed * 17 + (i >> 9)) & 0xff);
  return s;
}

std::int64_t deadline_after(std::chrono::milliseconds wait) {
  return monotonic_ns() + std::int64_t{wait.count()} * 1'000'000;
}

int ms_left(std::int64_t deadline) {
  std::int64_t left = (deadline - monotonic_ns()) / 1'000'000;
  return left < 0 ? 0 : int(left);
}

// A non-blocking client connection that sends its messages and checks what comes back,
// byte for byte, as it comes. One message at a time (the next is sent once the previous has
// come back whole, the load generator's closed loop), or all of them at once (pipelined).
// drive() below moves any number of them forward together with poll(), so sending and
// receiving never wait for each other.
class EchoClient {
 public:
  // receive_buffer: SO_RCVBUF, if not 0 (a small one, set before connecting, keeps the
  // kernel from growing it: a client that does not read then soon holds the server up).
  explicit EchoClient(std::uint16_t port, int receive_buffer = 0)
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      error_ = std::string("connect: ") + std::strerror(errno);
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~EchoClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  EchoClient(const EchoClient&) = delete;
  EchoClient& operator=(const EchoClient&) = delete;

  // Queues a message to be sent and echoed.
  void add(std::string message, bool pipelined = false) {
    if (pipelined) {
      out_ += message;
      expected_ += message;
    } else {
      pending_.push_back(std::move(message));
      next_message();
    }
  }

  bool done() const {
    return !error_.empty() ||
           (pending_.empty() && sent_ == out_.size() && got_ == expected_.size());
  }
  const std::string& error() const { return error_; }
  std::string progress() const {
    return "received " + std::to_string(got_) + " of " + std::to_string(expected_.size()) +
           " bytes, sent " + std::to_string(sent_) + " of " + std::to_string(out_.size()) + ", " +
           std::to_string(pending_.size()) + " message(s) not yet sent";
  }

  short events() const {
    short e = 0;
    if (got_ < expected_.size()) e |= POLLIN;
    if (sent_ < out_.size()) e |= POLLOUT;
    return e;
  }

  // Sends and receives what the socket allows now.
  void step() {
    while (error_.empty() && sent_ < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (n <= 0) return fail(std::string("send: ") + std::strerror(errno));
      sent_ += std::size_t(n);
    }
    char buffer[64 * 1024];
    while (error_.empty() && got_ < expected_.size()) {
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (n < 0) return fail(std::string("recv: ") + std::strerror(errno));
      if (n == 0) return fail("the server closed the connection");
      if (std::size_t(n) > expected_.size() - got_) return fail("more bytes came back than sent");
      if (std::memcmp(buffer, expected_.data() + got_, std::size_t(n)) != 0)
        return fail("the echo differs from what was sent, after " + std::to_string(got_) +
                    " bytes");
      got_ += std::size_t(n);
      next_message();
    }
  }

  // Sends `bytes` (or what the kernel takes of them within `wait`) and expects nothing.
  std::size_t send_raw(std::string_view bytes, std::chrono::milliseconds wait = 500ms) {
    const std::int64_t deadline = deadline_after(wait);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += std::size_t(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, std::min(ms_left(deadline), 200)) <= 0) break;  // it stopped taking
    }
    return sent;
  }

  // Up to `n` bytes, whatever arrives within `wait`.
  std::string receive(std::size_t n, std::chrono::milliseconds wait) {
    const std::int64_t deadline = deadline_after(wait);
    std::string in;
    char buffer[64 * 1024];
    while (in.size() < n) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, ms_left(deadline)) <= 0) break;
      ssize_t got = ::recv(fd_, buffer, std::min(sizeof buffer, n - in.size()), 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) break;
      in.append(buffer, std::size_t(got));
    }
    return in;
  }

  // Resets the connection (SO_LINGER {1, 0}: close sends RST).
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }

  int fd() const { return fd_; }

 private:
  // One at a time: the next queued message goes once everything sent has come back.
  void next_message() {
    if (pending_.empty() || got_ < expected_.size() || sent_ < out_.size()) return;
    out_ = std::move(pending_.front());
    pending_.pop_front();
    expected_ = out_;
    sent_ = got_ = 0;
  }
  void fail(std::string what) {
    if (error_.empty()) error_ = std::move(what) + " (" + progress() + ")";
  }

  int fd_;
  std::deque<std::string> pending_;  // one-at-a-time messages not yet sent
  std::string out_;                  // bytes to send; sent_ of them are
  std::string expected_;             // bytes to receive back; got_ of them have, checked
  std::size_t sent_ = 0, got_ = 0;
  std::string error_;
};

// Moves every client forward until each is done or `wait` has passed: "" if every echo came
// back whole and right, else what went wrong.
std::string drive(const std::vector<EchoClient*>& clients, std::chrono::milliseconds wait = 10s) {
  const std::int64_t deadline = deadline_after(wait);
  for (;;) {
    std::vector<pollfd> polls;
    std::vector<EchoClient*> busy;
    for (EchoClient* c : clients)
      if (!c->done()) {
        polls.push_back({c->fd(), c->events(), 0});
        busy.push_back(c);
      }
    if (busy.empty()) break;
    if (ms_left(deadline) == 0) {
      std::string what;
      for (std::size_t i = 0; i < clients.size(); ++i)
        if (!clients[i]->done())
          what += "client " + std::to_string(i) + " timed out: " + clients[i]->progress() + "\n";
      return what;
    }
    if (::poll(polls.data(), polls.size(), std::min(ms_left(deadline), 100)) < 0 && errno != EINTR)
      return std::string("poll: ") + std::strerror(errno);
    for (std::size_t i = 0; i < polls.size(); ++i)
      if (polls[i].revents) busy[i]->step();
  }
  std::string what;
  for (std::size_t i = 0; i < clients.size(); ++i)
    if (!clients[i]->error().empty())
      what += "client " + std::to_string(i) + ": " + clients[i]->error() + "\n";
  return what;
}

std::string drive(EchoClient& client, std::chrono::milliseconds wait = 10s) {
  return drive(std::vector<EchoClient*>{&client}, wait);
}

int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Stops the server on a thread of its own, so that the test can go on meanwhile; the
// future is ready once finish() has returned.
std::future<void> finish_async(Running& server) {
  return std::async(std::launch::async, [&server] { server.finish(); });
}

// Waits for a stop begun by finish_async. A server that never stops cannot be joined, so
// the whole binary ends with a clear message rather than hang.
void wait_finished(std::future<void>& finished, std::chrono::seconds wait = 10s) {
  if (finished.wait_for(wait) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: the echo server did not stop within %lld s\n",
                 static_cast<long long>(wait.count()));
    std::abort();
  }
  finished.get();  // rethrows what the server threw
}

// One of echo::servers(), by its label.
struct ServerCase {
  std::string name;
  const Server* server;
  friend void PrintTo(const ServerCase& c, std::ostream* os) { *os << c.name; }
};

std::vector<ServerCase> server_cases() {
  std::vector<ServerCase> all;
  for (const Server& s : servers()) {
    std::string name(s.model->name);
    if (!s.variant.empty()) name += "_" + std::string(s.variant);
    all.push_back({name, &s});
  }
  return all;
}

class EchoServer : public ::testing::TestWithParam<ServerCase> {
 protected:
  static Config config(int workers = 8) {
    Config c;
    c.workers = workers;  // processes: enough for every client a test holds open at once
    return c;
  }
  bool concurrent() const { return GetParam().server->model->concurrent; }
};

TEST_P(EchoServer, EchoesMessagesByteForByte) {
  Running server(GetParam().server->serve, config());
  const std::size_t sizes[] = {1024, 10 * 1024, 100 * 1024};
  {
    EchoClient one_at_a_time(server.port());
    unsigned seed = 0;
    for (int round = 0; round < 2; ++round)
      for (std::size_t size : sizes) one_at_a_time.add(pattern(size, ++seed));
    EXPECT_EQ(drive(one_at_a_time), "");
  }
  // The same messages sent all at once, without waiting for their echoes: the server must
  // keep reading while its writes wait for the client, or stop reading without losing bytes.
  EchoClient pipelined(server.port());
  unsigned seed = 100;
  for (int round = 0; round < 2; ++round)
    for (std::size_t size : sizes) pipelined.add(pattern(size, ++seed), /*pipelined=*/true);
  EXPECT_EQ(drive(pipelined), "");
}

// A concurrent server echoes several connections at once. The sequential server must not:
// a second client gets nothing while the first stays connected, and its echo once the
// first has gone.
TEST_P(EchoServer, EchoesSeveralConnectionsAtOnce) {
  Running server(GetParam().server->serve, config());
  if (concurrent()) {
    std::vector<std::unique_ptr<EchoClient>> clients;
    std::vector<EchoClient*> all;
    for (unsigned i = 0; i < 8; ++i) {
      clients.push_back(std::make_unique<EchoClient>(server.port()));
      for (unsigned m = 0; m < 5; ++m)
        clients.back()->add(pattern(10 * 1024 + i * 100, i * 10 + m));
      all.push_back(clients.back().get());
    }
    EXPECT_EQ(drive(all), "");
  } else {
    auto first = std::make_unique<EchoClient>(server.port());
    first->add(pattern(1024, 1));
    ASSERT_EQ(drive(*first), "");
    EchoClient second(server.port());
    const std::string message = pattern(1024, 2);
    ASSERT_EQ(second.send_raw(message), message.size());
    EXPECT_EQ(second.receive(message.size(), 250ms), "")
        << "a sequential server echoed two clients at once";
    first.reset();  // the first client leaves: the second is served
    EXPECT_EQ(second.receive(message.size(), 5000ms), message);
  }
}

// Peers that leave badly cost the server their own connection only: one sends half a
// message and closes, one sends a message and resets at once, one sends megabytes without
// reading (until the server's writes to it block, or buffer) and then resets.
TEST_P(EchoServer, ServesOnAfterPeersThatLeaveMidMessage) {
  Running server(GetParam().server->serve, config());
  const std::string big = pattern(100 * 1024, 7);
  const std::string flood = pattern(16 * 1024 * 1024, 8);
  for (int round = 0; round < 2; ++round) {
    {
      EchoClient half(server.port());
      half.send_raw(std::string_view(big).substr(0, big.size() / 2));
    }  // closed, its echo perhaps unread
    {
      EchoClient resets(server.port());
      resets.send_raw(big);
      resets.reset();
    }
    {
      EchoClient never_reads(server.port(), 64 * 1024);
      EXPECT_GT(never_reads.send_raw(flood, 1500ms), 0u);
      never_reads.reset();
    }
    EchoClient next(server.port());
    next.add(pattern(10 * 1024, round));
    next.add(pattern(100 * 1024, round + 10));
    EXPECT_EQ(drive(next), "") << "round " << round;
  }
}

// A client that sends without reading its echo: the server's writes to it cannot go, and a
// server with backpressure then stops reading it, so what it takes is what the kernel's
// buffers hold (about 10 MB here), not all that is sent. One that keeps reading into a
// buffer of its own takes all 64 MiB.
TEST_P(EchoServer, StopsReadingAClientThatDoesNotRead) {
  Running server(GetParam().server->serve, config());
  {
    const std::string flood = pattern(64 * 1024 * 1024, 3);
    EchoClient never_reads(server.port(), 64 * 1024);
    const std::size_t sent = never_reads.send_raw(flood, 5000ms);
    EXPECT_LT(sent, flood.size() / 2)
        << "the server took " << sent << " bytes from a client that reads nothing: it buffers "
        << "what it cannot write instead of pausing that connection";
    never_reads.reset();
  }
  EchoClient next(server.port());
  next.add(pattern(10 * 1024, 1));
  EXPECT_EQ(drive(next), "");
}

TEST_P(EchoServer, LeavesNoDescriptorBehind) {
  // A server's whole life with some clients, twice. The first run in a process may open
  // what a library keeps for the process's life: the count is taken after it, and the
  // second run must give back every descriptor it opened.
  auto life = [this] {
    Running server(GetParam().server->serve, config());
    {
      std::vector<std::unique_ptr<EchoClient>> clients;
      std::vector<EchoClient*> all;
      for (unsigned i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<EchoClient>(server.port()));
        clients.back()->add(pattern(10 * 1024, i));
        all.push_back(clients.back().get());
        if (!concurrent()) {  // one after another
          ASSERT_EQ(drive(*clients.back()), "");
          clients.back().reset();
          all.clear();
        }
      }
      ASSERT_EQ(drive(all), "");
      EchoClient resets(server.port());
      resets.send_raw(pattern(1000, 9));
      resets.reset();
    }
    auto finished = finish_async(server);
    wait_finished(finished);
  };
  life();
  const int before = open_fds();
  life();
  EXPECT_EQ(open_fds(), before);
}

// Asked to stop, a server stops accepting but lets its open connections finish: a client
// connected before the stop is still echoed, and the server returns soon after it closes.
TEST_P(EchoServer, StopsOnceItsClientsHaveClosed) {
  Running server(GetParam().server->serve, config());
  auto client = std::make_unique<EchoClient>(server.port());
  client->add(pattern(1024, 1));
  ASSERT_EQ(drive(*client), "");
  auto finished = finish_async(server);
  EXPECT_EQ(finished.wait_for(200ms), std::future_status::timeout)
      << "the server returned with a client still connected";
  client->add(pattern(10 * 1024, 2));
  EXPECT_EQ(drive(*client), "") << "a connection open at the stop was not served on";
  const auto closed = std::chrono::steady_clock::now();
  client.reset();
  wait_finished(finished);
  EXPECT_LT(std::chrono::steady_clock::now() - closed, 3s);
}

TEST_P(EchoServer, StopsPromptlyWhenNoClientIsLeft) {
  Running server(GetParam().server->serve, config());
  for (unsigned i = 0; i < 3; ++i) {
    EchoClient client(server.port());
    client.add(pattern(1024, i));
    ASSERT_EQ(drive(client), "");
  }
  const auto start = std::chrono::steady_clock::now();
  auto finished = finish_async(server);
  wait_finished(finished);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

// 50 clients × 100 messages of 1 B to 16 KiB, all connections at once in a closed loop (the
// sequential server: the clients one after another), a few seconds at most.
TEST_P(EchoServer, ManyClientsManyMessages) {
  constexpr unsigned clients_n = 50, messages = 100;
  Running server(GetParam().server->serve, config(clients_n));
  std::vector<std::unique_ptr<EchoClient>> clients;
  std::vector<EchoClient*> all;
  for (unsigned i = 0; i < clients_n; ++i) {
    clients.push_back(std::make_unique<EchoClient>(server.port()));
    for (unsigned m = 0; m < messages; ++m)
      clients.back()->add(pattern(std::size_t{1} << ((i + m) % 15), i * messages + m));
    all.push_back(clients.back().get());
    if (!concurrent()) {
      ASSERT_EQ(drive(*clients.back()), "") << "client " << i;
      clients.back().reset();
      all.clear();
    }
  }
  EXPECT_EQ(drive(all, 30s), "");
}

INSTANTIATE_TEST_SUITE_P(EveryServer, EchoServer, ::testing::ValuesIn(server_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace cmbench::echo
