#include "models/processes/prefork_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "models/core/blocking_tcp.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::processes {

PreforkServer::PreforkServer(Handler handle, int workers)
    : handle_(std::move(handle)), listener_(blocking_tcp::listen()) {
  for (int i = 0; i < std::max(1, workers); ++i)
    workers_.emplace_back([this] {
      std::uint64_t served = 0;
      AcceptPauses pauses("PreforkServer");
      while (Fd connection = blocking_tcp::accept(listener_.get(), pauses)) {
        handle_(std::move(connection));
        ++served;
      }
      return served;
    });
}

std::uint16_t PreforkServer::port() const {
  return tcp::local_port(listener_.get());
}

void PreforkServer::serve_forever() {
  for (auto& w : workers_) w.join();
}

// Shutting the shared socket down wakes every worker's accept at once (EINVAL).
void PreforkServer::shutdown() noexcept {
  ::shutdown(listener_.get(), SHUT_RDWR);
}

}  // namespace cmbench::processes
