// The fibers model: the hub, greenlets and gevent's vocabulary (models/fibers/).
#include "models/fibers/fibers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace cmbench::fibers {
namespace {

using namespace std::chrono_literals;

TEST(Fibers, RunReturnsMainsResult) {
  EXPECT_EQ(run([] { return 42; }), 42);
}

TEST(Fibers, SpawnGetResultsAndExceptions) {
  run([] {
    auto ok = spawn([](int a, int b) { return a + b; }, 2, 3);
    auto bad = spawn([]() -> int { throw std::runtime_error("boom"); });
    EXPECT_EQ(ok.get(), 5);
    EXPECT_THROW(bad.get(), std::runtime_error);
    EXPECT_TRUE(ok.successful());
    EXPECT_FALSE(bad.successful());
  });
}

TEST(Fibers, SleepsOverlap) {
  auto start = std::chrono::steady_clock::now();
  run([] {
    std::vector<Greenlet<void>> gs;
    for (int i = 0; i < 100; ++i) gs.push_back(spawn([] { sleep(20ms); }));
    joinall(gs);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(Fibers, KillAndTimeout) {
  run([] {
    auto g = spawn([] { sleep(10s); });
    sleep();
    g.kill();
    EXPECT_TRUE(g.ready());
    EXPECT_THROW(g.get(), GreenletExit);
    bool timed_out = false;
    try {
      Timeout t(10ms);
      sleep(10s);
    } catch (const TimeoutError&) {
      timed_out = true;
    }
    EXPECT_TRUE(timed_out);
  });
}

TEST(Fibers, SocketEcho) {
  run([] {
    auto server = Socket::listen();
    auto peer = spawn([&] {
      Socket c = server.accept();
      char buf[64];
      std::size_t n = c.recv(std::span<char>(buf));
      c.sendall(std::string_view(buf, n));
    });
    Socket s = Socket::connect(server.port());
    s.sendall("hello");
    char buf[64];
    std::size_t n = s.recv(std::span<char>(buf));
    EXPECT_EQ(std::string(buf, n), "hello");
    peer.get();
  });
}

TEST(Fibers, WorkStealing) {
  long total = run_work_stealing([] {
    std::vector<Greenlet<long>> parts;
    for (long i = 0; i < 100; ++i) parts.push_back(spawn([i] { return i; }));
    long t = 0;
    for (auto& p : parts) t += p.get();
    return t;
  });
  EXPECT_EQ(total, 4950);
}

}  // namespace
}  // namespace cmbench::fibers
