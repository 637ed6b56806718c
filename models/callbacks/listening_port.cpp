#include "listening_port.hpp"

#include <sys/epoll.h>

#include "models/callbacks/connection.hpp"
#include "models/callbacks/reactor.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::callbacks {

ListeningPort::ListeningPort(Reactor& reactor, std::uint16_t port, Factory& factory)
    : reactor_(reactor),
      factory_(factory),
      fd_(tcp::listen(port)),
      port_(tcp::local_port(fd_.get())),
      watcher_(reactor.engine(), fd_.get(), [this](std::uint32_t) { accept_waiting(); }) {
  watcher_.want(EPOLLIN);
}

void ListeningPort::accept_waiting() {
  for (int i = 0; i < 64; ++i) {
    Fd fd = tcp::accept(fd_.get());
    if (!fd) return;
    reactor_.adopt(std::make_unique<Connection>(reactor_, std::move(fd), factory_)).start();
  }
}

void ListeningPort::stop_listening() {
  watcher_.want(0);
  fd_.reset();
}

}  // namespace cmbench::callbacks
