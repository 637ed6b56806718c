// What the three blocking clients (sequential, threads, processes) share: one page fetched
// with blocking system calls, as urllib.request.urlopen(url).read() fetches it. They differ
// only in who calls fetch_blocking: one loop, a thread per URL (or M worker threads), or the
// workers of a process Pool. That difference is the model; this file is not.
#pragma once

#include <cstddef>
#include <cstdint>

#include "spec.hpp"

namespace cmbench::http_fetch {

// How long one blocking call (connect, send, a read) may wait before the fetch fails: a
// last-resort bound, so that an origin that stops answering fails the run instead of hanging
// it. Far above any delay the suite asks of the origin.
inline constexpr int blocking_timeout_s = 30;

// Fetches /item/<index> from 127.0.0.1:port over a connection of its own: connect, send
// request(index), read until the response is complete, close. The span runs from before the
// connect to the last read. Throws FetchError naming the URL for any failure (refused,
// reset, closed early, malformed, not 200, a call that waited blocking_timeout_s); the
// socket is closed on every path. Thread-safe. Per page: socket, two setsockopt, connect,
// send, a recv or two, close.
Fetched fetch_blocking(std::uint16_t port, std::size_t index);

}  // namespace cmbench::http_fetch
