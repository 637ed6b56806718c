// The fibers model's blocking-looking I/O (models/fibers/socket.hpp, file.hpp): sockets
// against a greenlet peer and against a plain OS thread with blocking POSIX sockets,
// backpressure in sendall, the end of the stream, refused and reset connections, close()
// under a waiting greenlet, misuse, a hundred concurrent clients, kill and Timeout in the
// middle of a recv, and files through the offload pool (a kill in the middle of a read).
// After every test no descriptor is left open.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "fibers_sanitizers.hpp"
#include "models/core/fd.hpp"
#include "models/core/offload_pool.hpp"
#include "models/core/tcp.hpp"
#include "models/fibers/fibers.hpp"

namespace cmbench::fibers {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

// Every test: the descriptors open after it are those open before it (run()'s epoll and
// eventfd are gone with its hub, every Socket and File is closed). Skipped under ASan with
// stack redzones (above).
class NoDescriptorLeft : public ::testing::Test {
 protected:
  void SetUp() override {
    before_ = open_fds();
    if (asan_checks_stack_frames()) GTEST_FAIL() << asan_stack_frames;
  }
  void TearDown() override { EXPECT_EQ(open_fds(), before_) << "a descriptor was left open"; }

 private:
  std::size_t before_ = 0;
};

class FibersIo : public NoDescriptorLeft {};
class FibersIoErrors : public NoDescriptorLeft {};
class FibersFile : public NoDescriptorLeft {};

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

// Everything until the end of the stream.
std::string recv_all(Socket& s) {
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = s.recv(std::span<char>(buf))) out.append(buf.data(), n);
  return out;
}

// A connected pair on the loopback interface: {client, server side}.
std::pair<Socket, Socket> connected_pair() {
  Socket server = Socket::listen();
  Socket client = Socket::connect(server.port());
  return {std::move(client), server.accept()};
}

// Closes with an RST instead of a FIN: the peer's next read fails with ECONNRESET.
void reset(Socket& s) {
  linger abort{1, 0};
  ::setsockopt(s.fileno(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  s.close();
}

// ---- a plain OS thread's blocking sockets, as the other end -----------------------------

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

Fd blocking_listener(std::uint16_t& port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 ||
      ::listen(fd.get(), 16) != 0 || ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len))
    throw std::system_error(errno, std::generic_category(), "blocking listener");
  port = ntohs(a.sin_port);
  return fd;
}

Fd blocking_connect(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback(port);
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::system_error(errno, std::generic_category(), "blocking connect");
  return fd;
}

void blocking_write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) throw std::system_error(errno, std::generic_category(), "blocking write");
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string blocking_read_all(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) throw std::system_error(errno, std::generic_category(), "blocking read");
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// ---- round trips -----------------------------------------------------------------------

TEST_F(FibersIo, EchoBetweenTwoGreenlets) {
  run([] {
    Socket server = Socket::listen();
    EXPECT_TRUE(server.is_open());
    EXPECT_NE(server.port(), 0);
    auto peer = spawn([&] {
      Socket conn = server.accept();
      std::string got = recv_all(conn);
      conn.sendall(upper(got));
      return got;
    });
    Socket s = Socket::connect(server.port());
    const std::string_view hello = "hello, ";
    std::size_t sent = s.send(std::as_bytes(std::span(hello.data(), hello.size())));
    EXPECT_GT(sent, 0u);  // a send sends at least one byte
    s.sendall(hello.substr(sent));
    s.sendall("world");
    s.shutdown_write();  // the peer's recv loop ends
    EXPECT_EQ(recv_all(s), "HELLO, WORLD");
    EXPECT_EQ(peer.get(), "hello, world");
    EXPECT_EQ(s.send(std::span<const std::byte>()), 0u);  // nothing to send: at once
  });
}

TEST_F(FibersIo, EchoWithAnOsThreadUsingBlockingSocketsAsTheClient) {
  run([] {
    Socket server = Socket::listen();
    std::string reply;
    std::thread client([&reply, port = server.port()] {
      Fd fd = blocking_connect(port);
      blocking_write_all(fd.get(), "ping from a thread");
      ::shutdown(fd.get(), SHUT_WR);
      reply = blocking_read_all(fd.get());
    });
    Socket conn = server.accept();  // the hub waits for the thread's connection
    conn.sendall(upper(recv_all(conn)));
    conn.close();
    client.join();  // it has all it needs: the reply and the end of the stream
    EXPECT_EQ(reply, "PING FROM A THREAD");
  });
}

TEST_F(FibersIo, EchoWithAnOsThreadUsingBlockingSocketsAsTheServer) {
  std::uint16_t port = 0;
  Fd listener = blocking_listener(port);
  std::thread server([&listener] {
    Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    blocking_write_all(conn.get(), upper(blocking_read_all(conn.get())));
  });
  std::string reply = run([port] {
    Socket s = Socket::connect(port);
    s.sendall(pattern(100'000));
    s.shutdown_write();
    return recv_all(s);
  });
  server.join();
  EXPECT_EQ(reply, upper(pattern(100'000)));
}

TEST_F(FibersIo, ALargeSendallWaitsForASlowReader) {
  run([] {
    const std::string payload = pattern(8 << 20);
    auto [sender, receiver] = connected_pair();
    int small = 64 * 1024;  // small kernel buffers: backpressure comes early
    ::setsockopt(sender.fileno(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    ::setsockopt(receiver.fileno(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    bool sent = false;
    auto writer = spawn([&] {
      sender.sendall(payload);
      sent = true;
      sender.shutdown_write();
    });
    sleep(20ms);
    EXPECT_FALSE(sent);  // parked in sendall: nobody reads
    std::string received;
    std::vector<char> chunk(64 * 1024);  // on the heap: a greenlet's stack is 16 KiB
    for (int reads = 1; std::size_t n = receiver.recv(std::span<char>(chunk)); ++reads) {
      received.append(chunk.data(), n);
      if (reads % 16 == 0) sleep(1ms);  // slower than the writer
    }
    writer.get();
    EXPECT_TRUE(sent);
    EXPECT_EQ(received.size(), payload.size());
    EXPECT_TRUE(received == payload);
  });
}

TEST_F(FibersIo, RecvReturnsZeroAtTheEndOfTheStreamAndAgainAfterThat) {
  run([] {
    auto [a, b] = connected_pair();
    b.sendall("last");
    b.shutdown_write();
    std::array<char, 16> buf;
    EXPECT_EQ(a.recv(std::span<char>(buf)), 4u);
    EXPECT_EQ(a.recv(std::span<char>(buf)), 0u);
    EXPECT_EQ(a.recv(std::span<char>(buf)), 0u);
    a.sendall("the other way");  // a half-close closes one direction only
    a.shutdown_write();
    EXPECT_EQ(recv_all(b), "the other way");

    // A recv waiting when the peer closes returns 0 too.
    auto [c, d] = connected_pair();
    auto reader = spawn([&c] {
      std::array<char, 16> buf;
      return c.recv(std::span<char>(buf));
    });
    sleep();
    d.close();
    EXPECT_EQ(reader.get(), 0u);
  });
}

TEST_F(FibersIo, AHundredConcurrentClientsOfOneServer) {
  static constexpr int clients = 100;
  run([] {
    Socket server = Socket::listen();
    auto acceptor = spawn([&server] {
      std::vector<Greenlet<void>> handlers;
      for (int i = 0; i < clients; ++i)
        handlers.push_back(spawn([conn = server.accept()]() mutable {
          std::array<char, 256> buf;
          while (std::size_t n = conn.recv(std::span<char>(buf)))
            conn.sendall(std::string_view(buf.data(), n));
        }));
      joinall(handlers);
    });
    auto message = [](int i) { return "client " + std::to_string(i) + " " + pattern(i * 100); };
    std::vector<Greenlet<std::string>> gs;
    for (int i = 0; i < clients; ++i)
      gs.push_back(spawn([&, i] {
        Socket s = Socket::connect(server.port());
        s.sendall(message(i));
        s.shutdown_write();
        return recv_all(s);
      }));
    for (int i = 0; i < clients; ++i) EXPECT_EQ(gs[i].get(), message(i)) << "client " << i;
    acceptor.get();
  });
}

TEST_F(FibersIo, AGreenletBlockedInRecvDoesNotBlockTheOthers) {
  run([] {
    auto [a, b] = connected_pair();
    auto reader = spawn([&a] {
      std::array<char, 16> buf;
      return a.recv(std::span<char>(buf));  // no data for a while
    });
    int ticks = 0;
    std::vector<Greenlet<void>> others;
    for (int i = 0; i < 10; ++i)
      others.push_back(spawn([&ticks] {
        for (int k = 0; k < 5; ++k) {
          sleep(1ms);
          ++ticks;
        }
      }));
    joinall(others);
    EXPECT_EQ(ticks, 50);
    EXPECT_FALSE(reader.ready());
    b.sendall("x");
    EXPECT_EQ(reader.get(), 1u);
  });
}

// ---- interrupting a greenlet in the middle of I/O ----------------------------------------

TEST_F(FibersIo, KillingAGreenletBlockedInRecvAcceptOrSendLeavesTheSocketUsable) {
  run([] {
    auto [a, b] = connected_pair();
    std::array<char, 16> buf;
    auto reader = spawn([&] { return a.recv(std::span<char>(buf)); });
    sleep();
    reader.kill();
    EXPECT_THROW(reader.get(), GreenletExit);
    b.sendall("after");
    EXPECT_EQ(a.recv(std::span<char>(buf)), 5u);  // the slot is free for the next reader

    Socket server = Socket::listen();
    auto acceptor = spawn([&] { return server.accept(); });
    sleep();
    acceptor.kill();
    EXPECT_THROW(acceptor.get(), GreenletExit);
    auto late = spawn([&] { return Socket::connect(server.port()); });
    Socket conn = server.accept();
    EXPECT_TRUE(conn.is_open());
    late.get();

    const std::string big = pattern(16 << 20);  // more than the kernel buffers hold
    auto writer = spawn([&] { b.sendall(big); });
    sleep(5ms);
    EXPECT_FALSE(writer.ready());
    writer.kill();
    EXPECT_THROW(writer.get(), GreenletExit);
    Timeout t(5ms);  // the buffer is still full: this send waits, it does not raise misuse
    EXPECT_THROW(b.sendall(big), TimeoutError);
  });
}

TEST_F(FibersIo, ATimeoutExpiresInsideRecvAndTheSocketStaysUsable) {
  run([] {
    auto [a, b] = connected_pair();
    std::array<char, 16> buf;
    auto start = Clock::now();
    try {
      Timeout t(5ms);
      a.recv(std::span<char>(buf));
      ADD_FAILURE() << "recv without data returned";
    } catch (const TimeoutError&) {
    }
    EXPECT_GE(Clock::now() - start, 5ms);
    b.sendall("late");
    EXPECT_EQ(a.recv(std::span<char>(buf)), 4u);
    EXPECT_EQ(std::string_view(buf.data(), 4), "late");
  });
}

// ---- errors ----------------------------------------------------------------------------

TEST_F(FibersIoErrors, ConnectingToAPortNobodyListensOnRaisesEconnrefused) {
  std::uint16_t port;
  {
    Fd listener = tcp::listen(0);
    port = tcp::local_port(listener.get());
  }
  run([port] {
    try {
      Socket::connect(port);
      ADD_FAILURE() << "connected to a port nobody listens on";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ECONNREFUSED) << e.what();
    }
  });
}

TEST_F(FibersIoErrors, APeerResetRaisesEconnresetInAWaitingRecv) {
  run([] {
    auto [a, b] = connected_pair();
    auto reader = spawn([&a] {
      std::array<char, 16> buf;
      a.recv(std::span<char>(buf));
    });
    sleep();  // waiting in recv
    reset(b);
    try {
      reader.get();
      ADD_FAILURE() << "recv on a reset connection returned";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), ECONNRESET) << e.what();
    }
  });
}

TEST_F(FibersIoErrors, CloseFromAnotherGreenletWakesAWaitingRecvWithEbadf) {
  run([] {
    auto [a, b] = connected_pair();
    auto reader = spawn([&a] {
      std::array<char, 16> buf;
      a.recv(std::span<char>(buf));
    });
    sleep();
    a.close();
    EXPECT_FALSE(a.is_open());
    try {
      reader.get();
      ADD_FAILURE() << "recv on a socket closed under it returned";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EBADF);
      EXPECT_THAT(e.what(), HasSubstr("closed by another greenlet"));
    }
    // Every later call on it raises EBADF; close() again is harmless.
    std::array<char, 16> buf;
    EXPECT_THROW(a.recv(std::span<char>(buf)), std::system_error);
    EXPECT_THROW(a.sendall("x"), std::system_error);
    EXPECT_THROW(a.port(), std::system_error);
    a.close();
    Socket never_opened;
    EXPECT_FALSE(never_opened.is_open());
    EXPECT_EQ(never_opened.fileno(), -1);
    try {
      never_opened.recv(std::span<char>(buf));
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EBADF);
    }
  });
}

TEST_F(FibersIoErrors, TwoGreenletsReceivingOnOneSocketIsLogicError) {
  run([] {
    auto [a, b] = connected_pair();
    std::array<char, 16> buf;
    auto first = spawn([&] { return a.recv(std::span<char>(buf)); });
    sleep();  // first waits to read
    try {
      a.recv(std::span<char>(buf));
      ADD_FAILURE() << "a second reader was let in";
    } catch (const std::logic_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("already waiting to read"));
    }
    b.sendall("x");
    EXPECT_EQ(first.get(), 1u);  // the first reader was not disturbed
  });
}

TEST_F(FibersIoErrors, SocketsOutsideRunRaiseLogicError) {
  EXPECT_THROW(Socket::listen(), std::logic_error);
  EXPECT_THROW(Socket::connect(1), std::logic_error);
}

// ---- files -----------------------------------------------------------------------------

// A file under /tmp, made by mkstemp, removed with this object.
struct TempFile {
  std::string path;
  TempFile() {
    char name[] = "/tmp/cmbench-fibers-XXXXXX";
    int fd = ::mkstemp(name);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
    ::close(fd);
    path = name;
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

TEST_F(FibersFile, WriteThenReadBack) {
  TempFile file;
  const std::string big = pattern((1 << 20) + 5);  // more than read_file's 64 KiB chunks
  run([&] {
    write_file(file.path, "hello\n");
    EXPECT_EQ(read_file(file.path), "hello\n");

    File f = File::open(file.path, O_WRONLY | O_APPEND);
    EXPECT_GE(f.fileno(), 0);
    f.write("world\n");
    f.close();
    EXPECT_EQ(f.fileno(), -1);

    File r = File::open(file.path, O_RDONLY);
    std::string got;
    std::array<std::byte, 5> buf;
    while (std::size_t n = r.read(buf)) got.append(reinterpret_cast<const char*>(buf.data()), n);
    EXPECT_EQ(got, "hello\nworld\n");
    EXPECT_EQ(r.read(buf), 0u);  // at the end, again

    write_file(file.path, big);  // truncates
    EXPECT_TRUE(read_file(file.path) == big);
  });
}

TEST_F(FibersFile, AMissingFileRaisesEnoent) {
  run([] {
    const std::string missing = "/tmp/cmbench-fibers-no-such-dir/file";
    for (auto call : {+[](const std::string& p) { File::open(p, O_RDONLY); },
                      +[](const std::string& p) { read_file(p); },
                      +[](const std::string& p) { write_file(p, "x"); }}) {
      try {
        call(missing);
        ADD_FAILURE() << "a missing file was opened";
      } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT) << e.what();
      }
    }
  });
}

TEST_F(FibersFile, AGreenletKilledDuringAReadLeavesTheCallToCompleteAndBeDropped) {
  // A FIFO with no writer makes a read that blocks its offload thread until we write.
  char dir[] = "/tmp/cmbench-fibers-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string fifo = std::string(dir) + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  File f;  // outlives run(), which waits for the abandoned call
  run([&] {
    f = File::open(fifo, O_RDWR);  // O_RDWR: opening does not wait for a writer
    auto reader = spawn([&] {
      std::array<std::byte, 16> buf;
      return f.read(buf);
    });
    int ticks = 0;
    for (int i = 0; i < 5; ++i) {
      sleep(1ms);  // the hub goes on while the read blocks its thread
      ++ticks;
    }
    EXPECT_EQ(ticks, 5);
    EXPECT_FALSE(reader.ready());
    reader.kill();
    EXPECT_THROW(reader.get(), GreenletExit);
    // The abandoned read completes now, on its thread; its byte is dropped.
    Fd writer(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    ASSERT_EQ(::write(writer.get(), "x", 1), 1);
  });
  // Nothing is left in the FIFO: the abandoned read took the byte (run() waited for it).
  char c;
  EXPECT_EQ(::fcntl(f.fileno(), F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(::read(f.fileno(), &c, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
  f.close();
  ::unlink(fifo.c_str());
  ::rmdir(dir);
}

// A call still queued on the offload pool when its greenlet is killed runs later, after
// the File's destructor has closed its descriptor and the next open() has reused the
// number: it works on a duplicate of its own, so the abandoned write never lands in the
// other file.
TEST_F(FibersFile, AnAbandonedWriteNeverLandsInAnotherFile) {
  TempFile victim, other;
  char dir[] = "/tmp/cmbench-fibers-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const unsigned threads = OffloadPool::instance().threads();
  std::vector<std::string> fifos;
  for (unsigned i = 0; i < threads; ++i) {
    fifos.push_back(std::string(dir) + "/fifo" + std::to_string(i));
    ASSERT_EQ(::mkfifo(fifos.back().c_str(), 0600), 0);
  }
  Fd reused;  // outlives run(), which waits for the abandoned write
  run([&] {
    std::vector<File> blocking;
    for (const std::string& path : fifos) blocking.push_back(File::open(path, O_RDWR));
    File doomed = File::open(victim.path, O_WRONLY);
    const int doomed_fd = doomed.fileno();
    // Every offload thread blocks in a read of its FIFO: the next call waits in the queue.
    std::vector<Greenlet<std::size_t>> readers;
    for (File& f : blocking)
      readers.push_back(spawn([&f] {
        std::array<std::byte, 1> buf;
        return f.read(buf);
      }));
    sleep(5ms);
    auto writer = spawn([&doomed] {
      File mine = std::move(doomed);  // closed when the kill unwinds this greenlet
      mine.write("abandoned");
    });
    sleep(1ms);
    writer.kill();
    reused = Fd(::open(other.path.c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_EQ(reused.get(), doomed_fd) << "precondition: the lowest free number is reused";
    for (const std::string& path : fifos) {
      Fd w(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
      ASSERT_EQ(::write(w.get(), "x", 1), 1);
    }
    joinall(readers);
  });
  reused.reset();
  EXPECT_EQ(std::filesystem::file_size(other.path), 0u) << "the abandoned write landed here";
  for (const std::string& path : fifos) ::unlink(path.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace cmbench::fibers
