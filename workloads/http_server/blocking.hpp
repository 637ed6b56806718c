// What the three blocking servers (sequential, threads, processes) share: a listening
// socket in blocking mode, and one connection served with blocking calls. They differ only
// in who calls serve_connection: the accepting thread itself, a thread per connection, or
// pre-forked worker processes. That difference is the model; this file is not.
#pragma once

#include <cstddef>
#include <cstdint>

#include "models/core/fd.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

// A blocking listening socket on 127.0.0.1, ephemeral port.
Fd listen_blocking();

// The next connection, blocking until one arrives; an empty Fd once the listening socket
// has been shut down (the server's stop). Other failures (out of fds, say) are reported on
// stderr and retried after 10 ms: a resource limit slows the server, it does not end it.
Fd accept_blocking(int listener);

// Serves one connection until the client closes it, sends a malformed request (answered
// 400, then closed), resets it, or completes no request for the idle timeout (a silent or a
// slowloris client: closed within twice the timeout). Pipelined requests are answered in
// order, in one write when they arrive together. Returns the requests answered.
std::uint64_t serve_connection(Fd connection, const Config& config);

// The echo workload's connection (workloads/echo): writes back what it reads, reading at
// most `read_size` bytes at a time, until the client closes or resets the connection. No
// timeout, no framing. A send that blocks holds the next recv back, so a client that does
// not read stops the echo (the kernel's buffers are the only ones). Returns the bytes echoed.
std::uint64_t echo_connection(Fd connection, std::size_t read_size);

}  // namespace cmbench::http_server
