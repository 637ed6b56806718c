// What the libuv reference servers (http_server's and echo's) share: how they listen, run and
// stop. One uv_loop run by the calling thread; a uv_tcp listener on 127.0.0.1 (an ephemeral
// port) whose connection callback is the server's; stopping is a uv_async that closes
// the listener and itself, so that uv_run returns once the last connection's handles are
// closed. A failed accept is the server's to report: libuv keeps listening.
#pragma once

#include <uv.h>

#include <stdexcept>
#include <string>

#include "models/core/host.hpp"
#include "models/core/sigpipe.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::peers::libuv_listener {

// The object a handle's `data` names: each server's connection points its handles at itself.
template <class T>
T* owner(void* handle) {
  return static_cast<T*>(static_cast<uv_handle_t*>(handle)->data);
}
// A connection's TCP handle (its member `tcp`) as the stream libuv reads and writes.
template <class Connection>
uv_stream_t* stream(Connection* c) {
  return reinterpret_cast<uv_stream_t*>(&c->tcp);
}

inline void check(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(std::string("libuv: ") + what + ": " + uv_strerror(rc));
}

// Serves through `control` until it stops: `control.serving(port, stop)` learns the port
// and how to stop (the workloads' Control). The listener's `data` is `data`, for
// on_connection to find what it needs. Throws std::runtime_error if the loop cannot listen.
template <class Control>
void serve(Control& control, void* data, uv_connection_cb on_connection) {
  uv_loop_t loop;
  check(uv_loop_init(&loop), "uv_loop_init");
  uv_tcp_t listener;
  uv_tcp_init(&loop, &listener);  // no socket yet: bind makes it
  listener.data = data;
  sockaddr_in address;
  int length = sizeof address;
  uv_ip4_addr(host::server_address_text().c_str(), 0, &address);
  // A failure here closes what the loop has (the loop finishes closing it) and throws.
  auto give_up = [&](int rc, const char* what) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    check(rc, what);
  };
  int rc = uv_tcp_bind(&listener, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener), tcp::default_backlog, on_connection);
  if (rc == 0) rc = uv_tcp_getsockname(&listener, reinterpret_cast<sockaddr*>(&address), &length);
  if (rc < 0) give_up(rc, "listening on the server address");
  // Stopping closes the listener and this handle; the loop ends with the last connection.
  uv_async_t stop;
  stop.data = &listener;
  rc = uv_async_init(&loop, &stop, [](uv_async_t* a) {
    uv_close(static_cast<uv_handle_t*>(a->data), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
  });
  if (rc < 0) give_up(rc, "uv_async_init");
  {
    // libuv writes with writev(2): a client gone mid-answer would raise SIGPIPE. Node.js
    // ignores it for the process; this loop's thread blocks it while it serves.
    const SigpipeBlocked blocked;
    auto serving = control.serving(ntohs(address.sin_port), [&stop] { uv_async_send(&stop); });
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  check(uv_loop_close(&loop), "uv_loop_close");
}

}  // namespace cmbench::peers::libuv_listener
