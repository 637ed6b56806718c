// TCPClient: opens connections to 127.0.0.1 (tornado.tcpclient.TCPClient).
//
// connect(port) starts a non-blocking connect and returns a future that resolves with the
// IOStream once the connection is made, or fails with std::system_error (ECONNREFUSED, ...)
// if it cannot be. Never blocks; 127.0.0.1 only. Thread-safety: the loop thread, on the
// current loop. Cost: a socket, a connect and one epoll round trip.
#pragma once

#include <cstdint>

#include "models/futures/future.hpp"
#include "models/futures/iostream.hpp"

namespace cmbench::futures {

class TCPClient {
 public:
  static Future<IOStream> connect(std::uint16_t port) { return IOStream::connect(port); }
};

}  // namespace cmbench::futures
