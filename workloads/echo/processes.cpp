// echo, processes: pre-forked workers, as a prefork server (Apache's prefork, gunicorn's
// sync workers) would echo. The parent listens and forks c.config().workers workers (at
// least one); each accepts from the shared listening socket and echoes one connection at a
// time with blocking recv and send. A connection holds its worker until its client closes
// it, so concurrency is the number of workers: clients beyond it wait in the listen queue.
// Workers are separate processes: a crash in one leaves the others serving.
//
// Backpressure is the kernel's: a send that blocks holds the worker's next recv back.
// Stopping shuts the shared listening socket down, which wakes every worker's accept; each
// worker ends once its current client has closed its connection.
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "http_server/blocking.hpp"
#include "models/core/tcp.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::echo {

void processes(Control& c) {
  Fd listener = http_server::listen_blocking();
  const int fd = listener.get();
  std::vector<mp::Process<std::uint64_t>> workers;
  for (int i = 0; i < std::max(1, c.config().workers); ++i)
    workers.emplace_back([fd] {
      std::uint64_t echoed = 0;  // bytes, reported back through join()
      while (Fd connection = http_server::accept_blocking(fd))
        echoed += http_server::echo_connection(std::move(connection), read_size);
      return echoed;
    });
  {
    auto serving = c.serving(tcp::local_port(fd), [fd] { ::shutdown(fd, SHUT_RDWR); });
    for (auto& w : workers) w.join();
  }
}

}  // namespace cmbench::echo
