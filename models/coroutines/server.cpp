#include "models/coroutines/server.hpp"

#include <sys/epoll.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "models/core/accept_pause.hpp"
#include "models/coroutines/connection.hpp"
#include "models/coroutines/event.hpp"
#include "models/coroutines/event_loop.hpp"

namespace cmbench::coroutines {
namespace detail {

// A listening socket, the handler, and the count of its handlers' tasks still running.
// Shared by the Server and those tasks, so the handler (and a lambda's captures) outlive
// every task it started.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(EventLoop& loop, ClientConnected handler, std::uint16_t port, std::size_t limit)
      : handler_(std::move(handler)),
        loop_(loop),
        limit_(limit),
        socket_(tcp::listen(port)),
        port_(tcp::local_port(socket_.get())) {
    watcher_.emplace(loop_.engine(), socket_.get(), [this](std::uint32_t) { accept_ready(); });
    watcher_->want(EPOLLIN);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() { close(); }

  std::uint16_t port() const noexcept { return port_; }
  bool is_serving() const noexcept { return static_cast<bool>(socket_); }

  void close() noexcept {
    if (!socket_) return;
    if (retrying_) loop_.engine().cancel(retry_);
    watcher_.reset();  // before the fd it watches; nothing of ours runs inside its handler
    socket_.reset();
    closed_.set();
    if (active_ == 0) idle_.set();
  }

  void report(const std::string& what) { loop_.engine().report_error(what); }

  // Counts a handler's task from before it is scheduled until its frame is gone.
  class Slot {
   public:
    explicit Slot(std::shared_ptr<Listener> l) noexcept : l_(std::move(l)) { ++l_->active_; }
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (l_ && --l_->active_ == 0 && !l_->socket_) l_->idle_.set();
    }
    Listener& server() const noexcept { return *l_; }

   private:
    std::shared_ptr<Listener> l_;
  };

  // For the server's coroutines (serve_client, wait_closed, serve_forever).
  ClientConnected handler_;
  Event closed_;  // set by close()
  Event idle_;    // set once closed with no handler task left
  bool serving_forever_ = false;

 private:
  void accept_ready();

  // Invariant: socket_ is open ⇔ watcher_ is set ⇔ the server is serving (closed_ not
  // set); while an accept failure pauses it, the watcher wants nothing and retry_ is a
  // pending timer (retrying_). active_ counts the Slots alive: handler tasks not finished.
  EventLoop& loop_;
  std::size_t limit_;
  Fd socket_;
  std::uint16_t port_;
  std::optional<Watcher> watcher_;  // declared after socket_: it goes first
  Engine::TimerHandle retry_{};
  bool retrying_ = false;
  AcceptPauses pauses_{"start_server"};
  std::size_t active_ = 0;
};

namespace {

// The task of one connection: runs the handler, and reports what it raises (asyncio logs
// "Unhandled exception in client_connected_cb"); a cancellation passes through.
Task<void> serve_client(Listener::Slot slot, std::shared_ptr<Connection> c) {
  // A coroutine's parameters live as long as its frame, which a TaskRef (current_task())
  // may keep after the task has finished: the slot must end with the body instead.
  Listener::Slot active = std::move(slot);
  try {
    Task<void> handling = active.server().handler_(StreamReader(c), StreamWriter(c));
    c.reset();  // the handler's reader and writer are the connection's only handles now
    co_await handling;
  } catch (const std::exception& e) {
    active.server().report(std::string("start_server: a connection's handler raised: ") + e.what());
  } catch (const CancelledError&) {
    throw;
  } catch (...) {
    active.server().report(
        "start_server: a connection's handler raised an exception not derived from "
        "std::exception");
  }
}

}  // namespace

void Listener::accept_ready() {
  // With eager tasks (RunOptions::eager_tasks) create_task runs a handler's first step in
  // here: it may close the server, even drop the last Server.
  auto self = shared_from_this();
  // At most 64 per turn, so that a burst of connections cannot starve the rest of the loop.
  for (int i = 0; i < 64 && socket_; ++i) {
    Fd accepted;
    try {
      accepted = tcp::accept(socket_.get());
    } catch (const std::system_error& e) {
      // Out of fds (EMFILE), say: level-triggered, the socket would wake us at once again.
      // Pause, as asyncio does, and let connections end meanwhile.
      if (const std::string line = pauses_.pausing(e.code().message()); !line.empty()) report(line);
      watcher_->want(0);
      retrying_ = true;
      retry_ = loop_.engine().call_later(accept_pause, [this] {
        retrying_ = false;
        watcher_->want(EPOLLIN);
      });
      return;
    }
    if (!accepted) return;
    auto c = std::make_shared<Connection>(loop_.engine(), std::move(accepted), limit_);
    Task<void> task = create_task(serve_client(Slot(shared_from_this()), std::move(c)));
    task.core().retrieve();  // the task reports its own failure: nobody need await it
  }
}

}  // namespace detail

Server& Server::operator=(Server&& o) noexcept {
  if (this != &o) {
    if (l_) l_->close();
    l_ = std::move(o.l_);
  }
  return *this;
}

Server::~Server() {
  if (l_) l_->close();
}

std::uint16_t Server::port() const noexcept {
  return l_->port();
}
bool Server::is_serving() const noexcept {
  return l_->is_serving();
}
void Server::close() {
  l_->close();
}

namespace {

Task<void> wait_idle(std::shared_ptr<detail::Listener> l) {
  co_await l->idle_.wait();
}

Task<void> serve(std::shared_ptr<detail::Listener> l) {
  if (!l->is_serving()) throw InvalidStateError("serve_forever: the server is closed");
  if (l->serving_forever_)
    throw InvalidStateError("serve_forever: another task is already serving it forever");
  l->serving_forever_ = true;
  struct Serving {
    detail::Listener& l;
    ~Serving() { l.serving_forever_ = false; }
  } serving{*l};
  try {
    co_await l->closed_.wait();
  } catch (const CancelledError&) {
    l->close();
    throw;
  }
}

}  // namespace

Task<void> Server::wait_closed() {
  return wait_idle(l_);
}
Task<void> Server::serve_forever() {
  return serve(l_);
}

Task<Server> start_server(ClientConnected handler, std::uint16_t port, std::size_t limit) {
  if (!handler) throw std::invalid_argument("start_server: no handler");
  detail::check_limit(limit);
  EventLoop& loop = detail::running_loop("start_server");
  co_return Server(std::make_shared<detail::Listener>(loop, std::move(handler), port, limit));
}

Task<Server> start_server(ClientConnected handler, std::string_view host, std::uint16_t port,
                          std::size_t limit) {
  detail::check_host(host, "start_server");
  return start_server(std::move(handler), port, limit);
}

}  // namespace cmbench::coroutines
