#include "tcp_server.hpp"

#include <stdexcept>
#include <system_error>
#include <utility>

#include "models/core/tcp.hpp"
#include "models/futures/io_loop.hpp"

namespace cmbench::futures {

TCPServer::TCPServer(StreamHandler handle_stream) : handle_stream_(std::move(handle_stream)) {}

TCPServer::~TCPServer() {
  if (paused_) loop_->engine().cancel(resume_);
}  // the watcher goes before the socket it watches

void TCPServer::listen(std::uint16_t port) {
  if (socket_) throw std::logic_error("TCPServer: already listening");
  loop_ = &IOLoop::current();
  socket_ = tcp::listen(port);
  watcher_ = std::make_unique<Watcher>(loop_->engine(), socket_.get(),
                                       [this](std::uint32_t) { accept_ready(); });
  watcher_->want(EPOLLIN);
}

std::uint16_t TCPServer::port() const {
  if (!socket_) throw std::logic_error("TCPServer: not listening");
  return tcp::local_port(socket_.get());
}

void TCPServer::stop() {
  if (!watcher_) return;
  if (std::exchange(paused_, false)) loop_->engine().cancel(resume_);
  watcher_->want(0);
  // Freed on the next turn: stop() may be called from the watcher's own handler.
  loop_->engine().call_soon([gone = std::move(watcher_)] {});
  socket_.reset();
}

void TCPServer::accept_ready() {
  for (int i = 0; i < 64 && socket_; ++i) {
    Fd connection;
    try {
      connection = tcp::accept(socket_.get());
    } catch (const std::system_error& e) {
      // Out of descriptors, say. Level-triggered, the socket would call again at once:
      // pause, as asyncio does, and let connections end meanwhile.
      if (const std::string line = pauses_.pausing(e.code().message()); !line.empty())
        loop_->engine().report_error(line);
      watcher_->want(0);
      paused_ = true;
      resume_ = loop_->engine().call_later(accept_pause, [this] {
        paused_ = false;
        watcher_->want(EPOLLIN);
      });
      return;
    }
    if (!connection) return;
    try {
      handle_stream_(IOStream(std::move(connection)));
    } catch (const std::exception& e) {
      loop_->engine().report_error(e.what());
    } catch (...) {
      loop_->engine().report_error("an exception not derived from std::exception");
    }
  }
}

}  // namespace cmbench::futures
