// echo, threads: a thread per connection, as socketserver.ThreadingTCPServer with an echo
// handler. The main thread only accepts; each connection's thread loops on a blocking recv
// and send, so a client that thinks, or one that does not read its echo, holds only its own
// thread. The cost is a stack and a kernel thread per client, and a wake-up that may cross
// CPUs on every message.
//
// Backpressure is the kernel's: a send that blocks holds that thread's next recv back.
// Stopping shuts the listening socket down; the server returns once the last connection's
// client has closed it.
#include <sys/socket.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "http_server/blocking.hpp"
#include "models/core/tcp.hpp"
#include "spec.hpp"

namespace cmbench::echo {

void threads(Control& c) {
  Fd listener = http_server::listen_blocking();
  // Connection threads are detached; the server waits for the last one before it returns.
  std::mutex m;
  std::condition_variable all_done;
  int live = 0;
  {
    auto serving = c.serving(tcp::local_port(listener.get()),
                             [fd = listener.get()] { ::shutdown(fd, SHUT_RDWR); });
    while (Fd connection = http_server::accept_blocking(listener.get())) {
      std::lock_guard lock(m);
      ++live;
      std::thread([&, connection = std::move(connection)]() mutable {
        http_server::echo_connection(std::move(connection), read_size);
        std::lock_guard lock(m);
        if (--live == 0) all_done.notify_all();
      }).detach();
    }
  }
  std::unique_lock lock(m);
  all_done.wait(lock, [&] { return live == 0; });
}

}  // namespace cmbench::echo
