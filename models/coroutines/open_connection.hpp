// open_connection: a TCP connection to a server on 127.0.0.1, as a reader and a writer
// (asyncio's).
//
//   auto [reader, writer] = co_await open_connection(port);
//   writer.write("ping\n");
//   std::string line = co_await reader.readline();
//
// Cancellation: a task cancelled while it waits to connect raises CancelledError there.
// Cost: a socket, a non-blocking connect and one wait for the socket to be writable.
// Thread-safety: the streams belong to the thread of the running loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "models/coroutines/stream_reader.hpp"
#include "models/coroutines/stream_writer.hpp"
#include "models/coroutines/task.hpp"

namespace cmbench::coroutines {

// Connects to 127.0.0.1:port. Raises ConnectionRefusedError if nobody listens there.
Task<std::pair<StreamReader, StreamWriter>> open_connection(std::uint16_t port,
                                                            std::size_t limit = stream_limit);
// The same, in asyncio's spelling; host must be "127.0.0.1" (std::invalid_argument if not).
Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string_view host,
                                                            std::uint16_t port,
                                                            std::size_t limit = stream_limit);

}  // namespace cmbench::coroutines
