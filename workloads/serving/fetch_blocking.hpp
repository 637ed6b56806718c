// One page fetched from the origin with blocking system calls, as
// urllib.request.urlopen(url, timeout=...).read() fetches it: what the blocking clients of
// the fetching workloads share (sequential, threads and processes in http_fetch and
// fetch_and_process). They differ only in who calls fetch_blocking: one loop, threads, or
// the workers of a process pool. That difference is the model; this file is not.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "workloads/serving/pages.hpp"

namespace cmbench::serving {

// How long one blocking call (connect, send, a recv) may wait by default before the fetch
// fails: a last-resort bound, so that an origin that stops answering fails the run instead
// of hanging it. Far above any delay the suite asks of the origin.
inline constexpr std::chrono::milliseconds blocking_timeout{30'000};

// Fetches /item/<index> from 127.0.0.1:port over a connection of its own: connect, send
// request(index), read until the response is complete, close. The span runs from before the
// connect to the last read. Each blocking call waits at most `timeout` (SO_SNDTIMEO bounds
// connect and send, SO_RCVTIMEO each recv): an origin that accepts and never answers fails
// the fetch about `timeout` after the request went out. Throws FetchError naming the URL for
// any failure (refused, reset, closed early, malformed, not 200, a call that waited
// `timeout`); the socket is closed on every path. Thread-safe. Per page: socket, two
// setsockopt, connect, send, a recv or two, close.
Fetched fetch_blocking(std::uint16_t port, std::size_t index,
                       std::chrono::milliseconds timeout = blocking_timeout);

}  // namespace cmbench::serving
