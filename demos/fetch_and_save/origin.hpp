// Origin: the web server of the fetch_and_save demo, on 127.0.0.1 and a thread of the
// demo's own process. GET /news, /docs and /blog are answered with their page after 1, 2
// and 1 units (spec.hpp: sites), then the connection is closed; anything else gets 404,
// a malformed request 400.
//
// Why in-process and not the suite's cmbench-origin (workloads/http_fetch): that process
// answers every URL after one and the same delay, and this demo is about pages that take
// different times; a thread needs no binary to find, and cannot outlive the demo that
// made it. The thread is one poll(2) loop (no model of the suite: the server is scenery,
// the clients are the lesson), so it adds one lane, "origin", to the timeline.
//
// Guarantees: each answer leaves no earlier than its wait after the whole request came;
// the destructor stops the thread (through a pipe it polls) and joins it, and closes the
// listening socket and every connection: no server is left once the demo ends. If the
// loop fails (a system call refused), it says so on stderr and closes everything, so
// that clients fail instead of waiting. Thread-safety: construct and destroy on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "models/core/fd.hpp"

namespace cmbench::demos::fetch_and_save {

class Origin {
 public:
  // Listens on an ephemeral port of 127.0.0.1 and starts serving; says "origin at ...".
  // Throws std::system_error when the socket, the pipe or the thread cannot be made.
  Origin();
  ~Origin();
  Origin(const Origin&) = delete;
  Origin& operator=(const Origin&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  void serve() noexcept;

  Fd listener_;
  Fd stop_read_, stop_write_;  // a byte on the pipe (or its closing) ends serve()
  std::uint16_t port_ = 0;
  std::vector<std::chrono::nanoseconds> waits_;  // the sites' waits, read once on this thread
  std::thread thread_;
};

}  // namespace cmbench::demos::fetch_and_save
