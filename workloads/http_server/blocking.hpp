// What the three blocking servers (sequential, threads, processes) share: one connection
// served with blocking calls, the handler of their socketserver-like servers. They differ
// only in who calls serve_connection: the accepting thread itself, a thread per connection,
// or pre-forked worker processes. That difference is the model; this file is not.
#pragma once

#include <cstdint>

#include "models/core/fd.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

// Serves one connection until the client closes it, sends a malformed request (answered
// 400, then closed), resets it, or completes no request for the idle timeout (a silent or a
// slowloris client: closed within twice the timeout). Pipelined requests are answered in
// order, in one write when they arrive together. Returns the requests answered.
std::uint64_t serve_connection(Fd connection, const Config& config);

}  // namespace cmbench::http_server
