// Non-blocking loopback TCP: an ephemeral listener on 127.0.0.1, connect, accept, partial
// reads and writes reported as values, end of stream, a refused connection.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "models/core/tcp.hpp"

using namespace cmbench;

namespace {
void wait_for(int fd, short events) {
  pollfd p{fd, events, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
}
std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s));
}
}  // namespace

TEST(Tcp, ListensOnLoopbackOnlyOnAnEphemeralPort) {
  Fd l = tcp::listen(0);
  std::uint16_t port = tcp::local_port(l.get());
  EXPECT_GT(port, 0);
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(l.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
  EXPECT_EQ(ntohl(a.sin_addr.s_addr), INADDR_LOOPBACK);
}

TEST(Tcp, ConnectAcceptWriteReadAndEndOfStream) {
  Fd l = tcp::listen(0);
  EXPECT_FALSE(tcp::accept(l.get())) << "nothing is waiting yet";
  Fd c = tcp::connect(tcp::local_port(l.get()));
  wait_for(c.get(), POLLOUT);
  EXPECT_EQ(tcp::connect_error(c.get()), 0);
  wait_for(l.get(), POLLIN);
  Fd s = tcp::accept(l.get());
  ASSERT_TRUE(s);

  std::byte buf[64];
  EXPECT_FALSE(tcp::read(s.get(), buf)) << "would block, as a value";
  EXPECT_EQ(tcp::write(c.get(), bytes("hello")), 5u);
  wait_for(s.get(), POLLIN);
  auto n = tcp::read(s.get(), buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n), "hello");
  tcp::shutdown_write(c.get());
  wait_for(s.get(), POLLIN);
  EXPECT_EQ(tcp::read(s.get(), buf), 0u) << "end of stream";
}

TEST(Tcp, AFullSocketBufferIsAPartialWriteThenWouldBlock) {
  Fd l = tcp::listen(0);
  Fd c = tcp::connect(tcp::local_port(l.get()));
  wait_for(c.get(), POLLOUT);
  wait_for(l.get(), POLLIN);
  Fd s = tcp::accept(l.get());
  std::string big(1 << 20, 'x');
  std::size_t total = 0;
  for (int i = 0; i < 64; ++i) {
    auto w = tcp::write(c.get(), bytes(big));
    if (!w) break;
    total += *w;
  }
  EXPECT_GT(total, 0u);
  EXPECT_FALSE(tcp::write(c.get(), bytes(big))) << "nobody reads: the buffer fills";
}

TEST(Tcp, ARefusedConnectionIsReportedByConnectError) {
  std::uint16_t port;
  {
    Fd l = tcp::listen(0);
    port = tcp::local_port(l.get());
  }  // closed: nothing listens there now
  Fd c = tcp::connect(port);
  wait_for(c.get(), POLLOUT);
  EXPECT_EQ(tcp::connect_error(c.get()), ECONNREFUSED);
}
