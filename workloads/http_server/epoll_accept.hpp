// What the hand-written epoll floors (http_server's and echo's) do when their listener is
// readable: accept every waiting connection, register it in the epoll set (EPOLLIN, keyed by
// the connection's key()) and keep it by descriptor number. Everything else about a floor,
// its loop and its connections, stays in its own file.
//
// A failed accept (out of descriptors, say) is reported on stderr and the listener is taken
// out of the epoll set: the floor listens again 10 ms later, so a resource limit slows it
// down and never makes it spin. A connection the epoll set refuses (out of kernel memory)
// is reported and dropped. Cost: one accept4 and one epoll_ctl per connection.
#pragma once

#include <sys/epoll.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <system_error>
#include <vector>

#include "models/core/fd.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::http_server {

// `make(Fd)` builds the connection. Returns false when an accept failed and the listener
// has left the epoll set (the caller listens again later); true once none is waiting.
template <class Connection, class Make>
bool accept_waiting(int listener, int epoll, std::vector<std::unique_ptr<Connection>>& conns,
                    int& live, Make make, const char* who) {
  for (;;) {
    Fd fd;
    try {
      fd = tcp::accept(listener);
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "%s: %s; retrying in 10 ms\n", who, e.what());
      ::epoll_ctl(epoll, EPOLL_CTL_DEL, listener, nullptr);
      return false;
    }
    if (!fd) return true;
    const int n = fd.get();
    if (std::size_t(n) >= conns.size()) conns.resize(n + 1);
    std::unique_ptr<Connection> c = make(std::move(fd));
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = c->key();
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, n, &e) < 0) {
      std::fprintf(stderr, "%s: epoll_ctl: %s\n", who, std::strerror(errno));
      continue;
    }
    conns[n] = std::move(c);
    ++live;
  }
}

}  // namespace cmbench::http_server
