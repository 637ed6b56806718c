// ListeningPort: a listening TCP socket on 127.0.0.1 and the factory it builds protocols with
// (Twisted's IListeningPort, what listen_tcp returns).
//
// Each readable event accepts up to 64 waiting connections (then lets the loop turn, so that a
// flood of connections cannot starve established ones; level-triggered epoll calls again for
// the rest), and gives each a Connection with factory.build_protocol(). When accept fails for
// want of a resource (out of descriptors), it stops watching the socket for a second and
// says so at most once a minute (models/core/accept_pause.hpp), rather than spin.
//
// Guarantees: port() is the port actually bound (the kernel's choice after listen_tcp(0)).
// stop_listening() closes the socket at once; connections already accepted go on. Unlike
// Twisted's, it returns nothing (the close is immediate, there is nothing to wait for).
// Owned by its Reactor, which keeps it until the Reactor is destroyed.
// Thread-safety: the reactor's thread only.
#pragma once

#include <cstdint>

#include "models/core/accept_pause.hpp"
#include "models/core/engine.hpp"
#include "models/core/fd.hpp"

namespace cmbench::callbacks {

class Reactor;
class Factory;

class ListeningPort {
 public:
  ListeningPort(const ListeningPort&) = delete;
  ListeningPort& operator=(const ListeningPort&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  void stop_listening();
  bool listening() const noexcept { return static_cast<bool>(fd_); }

 private:
  friend class Reactor;
  ListeningPort(Reactor& reactor, std::uint16_t port, Factory& factory);
  void accept_waiting();

  Reactor& reactor_;
  Factory& factory_;
  Fd fd_;
  std::uint16_t port_;
  Watcher watcher_;  // after fd_: stops watching before the socket closes
  AcceptPauses pauses_{"listen_tcp"};
  Engine::TimerHandle resume_{};  // pending while an accept failure pauses the port
  bool paused_ = false;
};

}  // namespace cmbench::callbacks
