#include "models/sequential/tcp_server.hpp"

#include <sys/socket.h>

#include <utility>

#include "models/core/blocking_tcp.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::sequential {

TCPServer::TCPServer(Handler handle)
    : handle_(std::move(handle)), listener_(blocking_tcp::listen()) {}

std::uint16_t TCPServer::port() const {
  return tcp::local_port(listener_.get());
}

void TCPServer::serve_forever() {
  AcceptPauses pauses("TCPServer");
  while (Fd connection = blocking_tcp::accept(listener_.get(), pauses))
    handle_(std::move(connection));
}

// Shutting the listening socket down wakes a blocked accept, which then sees EINVAL.
void TCPServer::shutdown() noexcept {
  ::shutdown(listener_.get(), SHUT_RDWR);
}

}  // namespace cmbench::sequential
