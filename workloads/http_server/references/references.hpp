// The reference servers of http_server: the same "Hello, world!" with the same shared HTTP
// code (except nginx, which is its own), each the best its kind does on this machine. They
// run under the same load, in the same run, so that the models' rows are read against them.
//
//   epoll    a minimal hand-written single-thread epoll server: the floor
//   asio     standalone asio with C++20 coroutines (co_spawn, async_read_some)
//   libuv    libuv's uv_listen / uv_read_start / uv_write, one loop
//   nginx    nginx with 1 worker (and nginx_2: 2 workers), `return 200`, from a generated
//            config in a temporary directory; started and stopped by PID
#pragma once

#include "http_server/spec.hpp"

namespace cmbench::http_server {

void epoll(Control& c);
void asio(Control& c);
void libuv(Control& c);
void nginx(Control& c);
void nginx_2(Control& c);

}  // namespace cmbench::http_server
