// The origin server of the fetching workloads (http_fetch, fetch_and_process): HTTP/1.1 on
// 127.0.0.1 (or inside a namespace of scripts/hosts, on its address) that answers GET /item/<i>
// with body(i) (pages.hpp), `delay` after the request arrived. It runs as a process of its own, the
// executable `cmbench-origin`, so that its CPU time and descriptors are not the client's: one
// thread, epoll, and one timerfd. Since every request waits the same delay, requests come due in
// the order they arrived, and one FIFO queue of deadlines is the whole timer.
//
// Guarantees: each answer leaves no earlier than `delay` after its request was complete
// (a timerfd at the deadline; timer slack set to 1 ns); requests for anything else get 404,
// malformed ones 400 and a close. The process ends when its standard input closes: the
// harness holds the other end, so the origin never outlives it. Cost: one accept, one read,
// one write and one close per fetch, about 15 µs of the origin's CPU.
//
// For tests, `reset_at` makes the origin send half of the response to /item/<reset_at>
// and then reset the connection (SO_LINGER 0): the client must fail, clearly and promptly.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cells/child_process.hpp"

namespace cmbench::serving {

struct OriginOptions {
  std::chrono::microseconds delay{10'000};
  std::optional<std::size_t> reset_at;  // the URL index whose response is cut by a reset
  std::string host = "loopback";        // or a namespace: placement.hpp
};

// A running origin process; stopped (stdin closed, then reaped) on destruction.
class Origin {
 public:
  // Starts `cmbench-origin` ($CMBENCH_ORIGIN, or the one built with this tree) and waits
  // until it listens. Throws std::runtime_error if it cannot start.
  static std::shared_ptr<const Origin> start(const OriginOptions& options);
  ~Origin();
  Origin(const Origin&) = delete;
  Origin& operator=(const Origin&) = delete;

  std::uint16_t port() const { return port_; }
  // Where it listens, in network byte order: 127.0.0.1, or its namespace's address.
  std::uint32_t address() const { return address_; }
  pid_t pid() const { return child_->pid(); }

 private:
  Origin() = default;
  std::optional<Child> child_;  // its stdin a pipe: closing it ends the origin
  std::uint16_t port_ = 0;
  std::uint32_t address_ = 0;
};

// What the `cmbench-origin` process runs: listens on the server address (host.hpp; an
// ephemeral port), writes "<port> <address>" and a newline to `port_out`, then serves until
// `stop_fd` is readable or at its end. Throws std::system_error when the machine refuses.
void serve_origin(const OriginOptions& options, int port_out, int stop_fd);

}  // namespace cmbench::serving
