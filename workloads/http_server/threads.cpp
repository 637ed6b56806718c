// http_server, threads: a thread per connection, as socketserver.ThreadingTCPServer does.
// The main thread only accepts; each connection gets its own thread, which blocks in recv
// while its client thinks. Simple and concurrent, at the price of a stack and a kernel
// thread per client (and a cross-CPU wake-up, 30–40 µs here, whenever the scheduler puts
// the reader on the other core).
#include <sys/socket.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "blocking.hpp"
#include "models/core/tcp.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

void threads(Control& c) {
  Fd listener = listen_blocking();
  // Connection threads are detached; the server waits for the last one before it returns.
  std::mutex m;
  std::condition_variable all_done;
  int live = 0;
  {
    auto serving = c.serving(tcp::local_port(listener.get()),
                             [fd = listener.get()] { ::shutdown(fd, SHUT_RDWR); });
    while (Fd connection = accept_blocking(listener.get())) {
      std::lock_guard lock(m);
      ++live;
      std::thread([&, connection = std::move(connection)]() mutable {
        serve_connection(std::move(connection), c.config());
        std::lock_guard lock(m);
        if (--live == 0) all_done.notify_all();
      }).detach();
    }
  }
  std::unique_lock lock(m);
  all_done.wait(lock, [&] { return live == 0; });
}

}  // namespace cmbench::http_server
