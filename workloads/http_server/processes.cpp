// http_server, processes: pre-forked workers, as Apache's prefork and gunicorn's sync
// workers do. The parent listens, forks the workers, and each worker accepts from the same
// listening socket and serves one connection at a time with blocking calls. With keep-alive
// clients a worker is held by its client, so there is one worker per connection of the load.
// Workers are separate processes: a crash in one leaves the others serving.
#include <sys/socket.h>

#include <vector>

#include "blocking.hpp"
#include "models/core/tcp.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::http_server {

void processes(Control& c) {
  Fd listener = listen_blocking();
  const int fd = listener.get();
  std::vector<mp::Process<std::uint64_t>> workers;
  for (int i = 0; i < std::max(1, c.config().workers); ++i)
    workers.emplace_back([&] {
      std::uint64_t answered = 0;
      while (Fd connection = accept_blocking(fd))
        answered += serve_connection(std::move(connection), c.config());
      return answered;
    });
  {
    // Shutting the shared socket down wakes every worker's accept at once.
    auto serving = c.serving(tcp::local_port(fd), [fd] { ::shutdown(fd, SHUT_RDWR); });
    for (auto& w : workers) w.join();
  }
}

}  // namespace cmbench::http_server
