// The origin's loop. A connection is in one of three states: reading its request (polled
// for input), waiting until its answer is due (not polled: the earliest due time is the
// poll's timeout), or sending its answer (polled for output), after which it is closed.
#include "origin.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <system_error>

#include "demo.hpp"
#include "models/core/http.hpp"
#include "models/core/span.hpp"
#include "models/core/tcp.hpp"
#include "models/core/trace.hpp"
#include "spec.hpp"

namespace cmbench::demos::fetch_and_save {
namespace {

struct Connection {
  Fd fd;
  http::RequestReader reader;
  std::int64_t due = -1;  // -1 while the request is being read
  std::string out;        // the answer, once due
  std::size_t sent = 0;
};

}  // namespace

Origin::Origin() {
  listener_ = tcp::listen(0, 16);
  port_ = tcp::local_port(listener_.get());
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) < 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  stop_read_ = Fd(ends[0]);
  stop_write_ = Fd(ends[1]);
  for (const Site& s : sites) waits_.push_back(units(s.wait));
  thread_ = std::thread([this] { serve(); });
  say("origin at http://127.0.0.1:{}", port_);
}

Origin::~Origin() {
  stop_write_.reset();  // the pipe reads end of stream: serve() returns
  thread_.join();
}

void Origin::serve() noexcept {
  trace::name_thread("origin");
  std::vector<Connection> conns;
  try {
    for (;;) {
      // What to poll, and until when.
      std::vector<pollfd> polled{{stop_read_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
      std::int64_t next_due = INT64_MAX;
      const std::int64_t before = monotonic_ns();
      for (auto& c : conns) {
        if (c.due < 0) {
          polled.push_back({c.fd.get(), POLLIN, 0});
        } else if (c.due <= before) {  // sending, and the socket was full
          polled.push_back({c.fd.get(), POLLOUT, 0});
        } else {
          next_due = std::min(next_due, c.due);
        }
      }
      // poll(2), whose waits the trace shows (ppoll's it does not); its milliseconds are
      // rounded up, so an answer is never early and at most 1 ms late.
      int timeout_ms = -1;
      if (next_due != INT64_MAX) {
        const std::int64_t left = std::max<std::int64_t>(0, next_due - monotonic_ns());
        timeout_ms = static_cast<int>((left + 999'999) / 1'000'000);
      }
      if (::poll(polled.data(), polled.size(), timeout_ms) < 0) {
        if (errno == EINTR) continue;
        throw std::system_error(errno, std::generic_category(), "poll");
      }
      if (polled[0].revents) return;  // stopped
      if (polled[1].revents & POLLIN)
        while (Fd fd = tcp::accept(listener_.get()))
          conns.push_back({std::move(fd), {}, -1, {}, 0});

      // Requests that arrived: each answer is due its site's wait from now.
      for (auto& c : conns) {
        if (c.due >= 0) continue;
        std::span<char> room = c.reader.buffer(4096);
        std::optional<std::size_t> n;
        try {
          n = tcp::read(c.fd.get(), std::as_writable_bytes(room));
        } catch (const std::system_error&) {
          n = 0;  // a reset: the client is gone
        }
        if (!n) continue;  // nothing yet
        if (*n == 0) {
          c.fd.reset();
          continue;
        }
        c.reader.commit(*n);
        http::Request r;
        const http::Status status = c.reader.next(r);
        if (status == http::Status::incomplete) continue;
        c.due = monotonic_ns();
        if (status == http::Status::bad) {
          c.out = http::bad_request_response();
          continue;
        }
        c.out.clear();
        for (std::size_t i = 0; i < sites.size(); ++i) {
          if (r.target != "/" + std::string(sites[i].name)) continue;
          c.due += waits_[i].count();
          http::write_response(c.out, 200, "OK", "text/html", page(sites[i]), false);
        }
        if (c.out.empty())
          http::write_response(c.out, 404, "Not Found", "text/plain", "no such page\n", false);
      }

      // Answers that are due, or under way: as much as the socket takes; closed once sent.
      const std::int64_t now = monotonic_ns();
      for (auto& c : conns) {
        if (!c.fd || c.due < 0 || c.due > now) continue;
        try {
          while (c.sent < c.out.size()) {
            auto n = tcp::write(c.fd.get(), std::as_bytes(std::span(c.out)).subspan(c.sent));
            if (!n) break;  // the socket is full: polled for output
            c.sent += *n;
          }
        } catch (const std::system_error&) {
          c.sent = c.out.size();  // the client is gone
        }
        if (c.sent == c.out.size()) c.fd.reset();
      }
      std::erase_if(conns, [](const Connection& c) { return !c.fd; });
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "origin: %s; it stops serving\n", e.what());
    listener_.reset();  // no client waits for an answer that will not come
  }
}

}  // namespace cmbench::demos::fetch_and_save
