#include "models/coroutines/connection.hpp"

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "models/core/host.hpp"
#include "models/coroutines/event_loop.hpp"

namespace cmbench::coroutines::detail {

// An errno from a socket as the exception Python would raise for it.
std::exception_ptr os_error(int err, const std::string& what) {
  auto code = std::error_code(err, std::generic_category());
  switch (err) {
    case ECONNREFUSED:
      return std::make_exception_ptr(ConnectionRefusedError(code, what));
    case ECONNRESET:
    case EPIPE:
    case ESHUTDOWN:
      return std::make_exception_ptr(ConnectionResetError(code, what));
    case ECONNABORTED:
      return std::make_exception_ptr(ConnectionError(code, what));
    default:
      return std::make_exception_ptr(std::system_error(code, what));
  }
}

EventLoop& running_loop(const char* who) {
  EventLoop* loop = EventLoop::running();
  if (!loop) throw InvalidStateError(std::string(who) + ": no running event loop (use run())");
  return *loop;
}

void check_limit(std::size_t limit) {
  if (limit == 0) throw std::invalid_argument("streams: the limit must be at least 1 byte");
}

void check_host(std::string_view host, const char* who) {
  // The one address this process serves on and connects to: loopback unless it was placed on
  // another host (models/core/host.hpp). "localhost" would need a resolver.
  if (host != host::server_address_text())
    throw std::invalid_argument(std::string(who) + ": host must be \"" +
                                host::server_address_text() + "\" (this process's server address)");
}

void Connection::wake_reader() noexcept {
  if (DataWait* r = std::exchange(reader_, nullptr)) r->task()->wake();
}

}  // namespace cmbench::coroutines::detail
