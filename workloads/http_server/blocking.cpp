#include "blocking.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <thread>

#include "models/core/blocking_tcp.hpp"
#include "models/core/http.hpp"
#include "models/core/span.hpp"

namespace cmbench::http_server {

using blocking_tcp::send_all;

std::uint64_t serve_connection(Fd connection, const Config& config) {
  const int fd = connection.get();
  const auto idle = config.idle_timeout;
  timeval tv{static_cast<time_t>(idle.count() / 1000),
             static_cast<suseconds_t>(idle.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::int64_t idle_ns = std::int64_t{idle.count()} * 1'000'000;

  http::RequestReader reader;
  http::Request request;
  std::string out;
  std::uint64_t answered = 0;
  std::int64_t deadline = monotonic_ns() + idle_ns;  // for the next complete request
  for (;;) {
    std::span<char> room = reader.buffer();
    ssize_t n = ::recv(fd, room.data(), room.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return answered;  // closed, reset, or silent for the whole timeout
    reader.commit(std::size_t(n));
    for (;;) {
      http::Status status = reader.next(request);
      if (status == http::Status::incomplete) break;
      if (status == http::Status::bad) {
        send_all(fd, out);
        send_all(fd, http::bad_request_response());
        return answered;
      }
      if (config.variant == Variant::slow) {  // answer what is ready before waiting
        if (!send_all(fd, out)) return answered;
        out.clear();
        std::this_thread::sleep_for(config.backend);
      }
      out += http::hello_response(request.keep_alive);
      ++answered;
      deadline = monotonic_ns() + idle_ns;
      if (!request.keep_alive) {
        send_all(fd, out);
        return answered;
      }
    }
    if (!send_all(fd, out)) return answered;
    out.clear();
    if (!reader.idle() && monotonic_ns() > deadline) return answered;  // a slowloris
  }
}

}  // namespace cmbench::http_server
