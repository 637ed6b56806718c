// The models' own servers, each in its framework's words: socketserver's TCPServer
// (sequential) and ThreadingTCPServer (threads), a pre-forking server (processes), gevent's
// StreamServer (fibers), and asyncio's start_server closed from another thread
// (coroutines). Each is run on a thread of its own, asked to serve, and stopped from the
// test's thread, as the workloads' harness stops them.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "models/core/blocking_tcp.hpp"
#include "models/coroutines/close_threadsafe.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/server.hpp"
#include "models/coroutines/stream_reader.hpp"
#include "models/coroutines/stream_writer.hpp"
#include "models/fibers/fibers.hpp"
#include "models/fibers/stream_server.hpp"
#include "models/processes/prefork_server.hpp"
#include "models/sequential/tcp_server.hpp"
#include "models/threads/threading_tcp_server.hpp"

namespace cmbench {
namespace {

// A blocking client with a 5 s bound on every wait: connects, sends `message`, half-closes,
// and returns what came back before the server closed the connection.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    timeval tv{5, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  bool connected() const { return connected_; }
  std::string exchange(std::string_view message) {
    if (!blocking_tcp::send_all(fd_.get(), message)) return "(send failed)";
    ::shutdown(fd_.get(), SHUT_WR);
    std::string back;
    char buffer[256];
    for (;;) {
      ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return n == 0 ? back : back + "(recv failed)";
      back.append(buffer, std::size_t(n));
    }
  }

 private:
  Fd fd_;
  bool connected_ = false;
};

// The blocking handler of the socketserver-like servers: reads until the client's
// half-close, then answers `reply(what it read)`.
std::function<void(Fd)> answering(std::function<std::string(const std::string&)> reply) {
  return [reply](Fd connection) {
    std::string got;
    char buffer[256];
    ssize_t n;
    while ((n = ::recv(connection.get(), buffer, sizeof buffer, 0)) > 0)
      got.append(buffer, std::size_t(n));
    blocking_tcp::send_all(connection.get(), reply(got));
  };
}

std::string echoed(const std::string& got) {
  return "echo: " + got;
}

// Runs serve_forever on a thread of its own; stop() and join on destruction.
template <class Server>
class Serving {
 public:
  explicit Serving(Server& server) : thread_([&server] { server.serve_forever(); }) {}
  ~Serving() {
    if (thread_.joinable()) thread_.join();
  }
  void join() { thread_.join(); }

 private:
  std::thread thread_;
};

TEST(SequentialTCPServer, AnswersEachConnectionAndStopsFromAnotherThread) {
  sequential::TCPServer server(answering(echoed));
  Serving serving(server);
  for (const char* message : {"one", "two"}) {
    Client client(server.port());
    ASSERT_TRUE(client.connected());
    EXPECT_EQ(client.exchange(message), std::string("echo: ") + message);
  }
  server.shutdown();
  serving.join();
}

TEST(ThreadsThreadingTCPServer, ServesConnectionsAtOnceAndWaitsForTheirThreads) {
  // The first connection's handler waits until the second has been answered: only a
  // server that serves both at once gets past it.
  std::promise<void> second_answered;
  std::shared_future<void> released = second_answered.get_future().share();
  std::atomic<int> handled{0};
  threads::ThreadingTCPServer server([&](Fd connection) {
    answering([&](const std::string& got) {
      if (got == "first") released.wait();
      ++handled;
      return echoed(got);
    })(std::move(connection));
  });
  Serving serving(server);
  Client first(server.port());
  ASSERT_TRUE(first.connected());
  std::future<std::string> first_back =
      std::async(std::launch::async, [&] { return first.exchange("first"); });
  Client second(server.port());
  EXPECT_EQ(second.exchange("second"), "echo: second");
  second_answered.set_value();
  EXPECT_EQ(first_back.get(), "echo: first");
  server.shutdown();
  serving.join();  // returns once both connections' threads have finished
  EXPECT_EQ(handled.load(), 2);
}

TEST(ProcessesPreforkServer, ServesInItsWorkerProcessesAndStopsThemAll) {
  processes::PreforkServer server(
      answering([](const std::string&) { return std::to_string(::getpid()); }), 2);
  Serving serving(server);
  for (int i = 0; i < 3; ++i) {
    Client client(server.port());
    ASSERT_TRUE(client.connected());
    std::string pid = client.exchange("whose?");
    ASSERT_FALSE(pid.empty());
    EXPECT_NE(pid, std::to_string(::getpid())) << "a worker, not the parent, served it";
  }
  server.shutdown();
  serving.join();  // every worker woke from its accept and ended
}

TEST(FibersStreamServer, ServesEachConnectionOnAGreenletAndStopsFromAnotherThread) {
  std::promise<fibers::StreamServer*> listening;
  std::thread hub([&] {
    fibers::run([&] {
      fibers::StreamServer server([](fibers::Socket sock) {
        std::string got;
        char buffer[256];
        while (std::size_t n = sock.recv(std::span(buffer, sizeof buffer))) got.append(buffer, n);
        sock.sendall(echoed(got));
      });
      listening.set_value(&server);
      server.serve_forever();
    });
  });
  fibers::StreamServer* server = listening.get_future().get();
  for (const char* message : {"one", "two"}) {
    Client client(server->port());
    ASSERT_TRUE(client.connected());
    EXPECT_EQ(client.exchange(message), std::string("echo: ") + message);
  }
  server->stop_threadsafe();
  hub.join();
}

coroutines::Task<void> echo_after_end(coroutines::StreamReader reader,
                                      coroutines::StreamWriter writer) {
  std::string got;
  while (true) {
    std::string data = co_await reader.read(256);
    if (data.empty()) break;
    got += data;
  }
  writer.write(echoed(got));
  co_await writer.drain();
}

TEST(CoroutinesCloseThreadsafe, ClosesTheServerFromAnotherThread) {
  std::promise<std::pair<std::uint16_t, std::function<void()>>> listening;
  std::thread loop([&] {
    coroutines::run([&]() -> coroutines::Task<void> {
      coroutines::ClientConnected handler = echo_after_end;
      coroutines::Server server = co_await coroutines::start_server(handler);
      listening.set_value({server.port(), coroutines::close_threadsafe(server)});
      co_await server.serve_forever();  // returns once close() has run
      co_await server.wait_closed();
    }());
  });
  auto [port, close] = listening.get_future().get();
  for (const char* message : {"one", "two"}) {
    Client client(port);
    ASSERT_TRUE(client.connected());
    EXPECT_EQ(client.exchange(message), std::string("echo: ") + message);
  }
  close();
  loop.join();
}

}  // namespace
}  // namespace cmbench
