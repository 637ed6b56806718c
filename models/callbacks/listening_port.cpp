#include "listening_port.hpp"

#include <sys/epoll.h>

#include <system_error>
#include <utility>

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
    Fd fd;
    try {
      fd = tcp::accept(fd_.get());
    } catch (const std::system_error& e) {
      // Level-triggered, the socket would call again at once: pause, let connections end.
      if (const std::string line = pauses_.pausing(e.code().message()); !line.empty())
        reactor_.engine().report_error(line);
      watcher_.want(0);
      paused_ = true;
      resume_ = reactor_.engine().call_later(accept_pause, [this] {
        paused_ = false;
        watcher_.want(EPOLLIN);
      });
      return;
    }
    if (!fd) return;
    reactor_.adopt(std::make_unique<Connection>(reactor_, std::move(fd), factory_)).start();
  }
}

void ListeningPort::stop_listening() {
  if (std::exchange(paused_, false)) reactor_.engine().cancel(resume_);
  watcher_.want(0);
  fd_.reset();
}

}  // namespace cmbench::callbacks
