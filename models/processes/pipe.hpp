// Pipes between a parent and the children it forks: a pipe pair of owned descriptors (Fd,
// from the core) and whole-buffer reads and writes.
//
// Guarantees: every pipe is created close-on-exec (an exec'd program never inherits it);
// read_full, read_to_end and write_all retry after EINTR and after partial transfers, so
// a signal or a full pipe never loses or splits data on the caller's side; failures are
// std::system_error carrying errno.
// Does not guarantee: atomicity. POSIX makes a single write of at most PIPE_BUF bytes
// atomic (never interleaved with other writers); write_all of a larger buffer may be split
// between other writers' data. Message protocols built on these (pool.hpp) keep each message
// within PIPE_BUF for that reason.
// Cost (measured here): a write and its read ≈ 0.7 µs up to 4 KiB, ≈ 5.5 µs for 32 KiB; a
// round trip between two processes through two pipes a few µs (≈ 7 µs for a Pool of one
// worker), 30–40 µs when the reader sleeps and must be woken on the other vCPU.
// Thread-safety: the functions are reentrant.
#pragma once

#include <cstddef>
#include <string>

#include "models/core/fd.hpp"

namespace cmbench::processes {

using cmbench::Fd;

struct Pipe {
  Fd read;
  Fd write;
};

// pipe2(O_CLOEXEC). Throws std::system_error (EMFILE when the process is out of descriptors).
Pipe make_pipe();

// Sets O_NONBLOCK on the open file description: every process sharing it sees the flag, so
// only call it on an end that no child uses.
void set_nonblocking(int fd);

// Reads until `size` bytes have arrived or the writers have all closed (EOF). Returns the
// number of bytes read: `size`, or less at EOF.
std::size_t read_full(int fd, void* buffer, std::size_t size);

// Reads until EOF and returns everything read.
std::string read_to_end(int fd);

// Writes all `size` bytes, blocking while the pipe is full. EPIPE (no reader left) is
// thrown as std::system_error if SIGPIPE is ignored or blocked; otherwise SIGPIPE ends the
// process first, which is what a child whose parent has gone should do.
void write_all(int fd, const void* buffer, std::size_t size);

}  // namespace cmbench::processes
