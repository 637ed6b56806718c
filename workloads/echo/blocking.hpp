// What the three blocking echo servers (sequential, threads, processes) share: the handler
// of their socketserver-like servers, socketserver's echo handler in C++:
//
//     while data := self.request.recv(65536):
//         self.request.sendall(data)
//
// The models differ only in who runs it: the accepting thread itself, a thread per
// connection, or pre-forked worker processes.
#pragma once

#include <cstdint>

#include "models/core/fd.hpp"

namespace cmbench::echo {

// Writes back what it reads, reading at most `read_size` bytes at a time (spec.hpp), until
// the client closes or resets the connection. No timeout, no framing. A send that blocks
// holds the next recv back, so a client that does not read stops the echo (the kernel's
// buffers are the only ones). Returns the bytes echoed.
std::uint64_t echo_connection(Fd connection);

}  // namespace cmbench::echo
