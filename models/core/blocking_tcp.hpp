// Blocking TCP on the loopback interface, for the models that block a thread (or a
// process) per wait: sequential, threads, processes. Their servers differ only in who
// serves an accepted connection; listening, accepting and sending all are the same calls.
//
// Guarantees: the listening socket binds the server address only (tcp.hpp) and is blocking and
// close-on-exec; accepted connections are blocking, close-on-exec, with TCP_NODELAY set (as
// tcp.hpp's). A failed accept for lack of a resource (out of descriptors, say) pauses accepting for
// a second (accept_pause.hpp), said at most once a minute: a resource limit slows a server, it
// neither ends it nor makes it spin. Thread-safety: functions are reentrant; accept() may be called
// on one listening socket from several threads or processes at once (each connection goes to one of
// them).
#pragma once

#include <cstdint>
#include <string_view>

#include "models/core/accept_pause.hpp"
#include "models/core/fd.hpp"

namespace cmbench::blocking_tcp {

// A blocking listening socket on the server address:port (0: an ephemeral port).
Fd listen(std::uint16_t port = 0);

// The next connection, blocking until one arrives; an empty Fd once the listening socket
// has been shut down (::shutdown(fd, SHUT_RDWR): how a blocking server is stopped from
// another thread). `pauses` words a failed accept, and belongs to the calling thread.
Fd accept(int listener, AcceptPauses& pauses);

// Writes all of `bytes`, blocking while the send buffer is full; false if the connection
// failed (the peer went away or reset it). Never raises SIGPIPE.
bool send_all(int fd, std::string_view bytes);

}  // namespace cmbench::blocking_tcp
