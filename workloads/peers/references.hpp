// The reference rows: industrial peers measured beside the models, in the same run, with the
// same load and the same verification. They are not models (ModelInfo::reference): the
// report draws them apart, as the lines the models are read against.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::references {

inline constexpr ModelInfo epoll{
    .name = "epoll",
    .style = "a hand-written epoll loop (the floor)",
    .idiom = "one thread, epoll_wait, non-blocking sockets, no abstraction at all",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 10'000,
    .limit_reason =
        "one fd per connection, and the load generator needs as many: 10 000 stays far inside the "
        "fd limits the harness sets",
    .task_start_us = 5,
    .reference = true,
};

inline constexpr ModelInfo asio{
    .name = "asio",
    .style = "standalone asio, C++20 coroutines",
    .idiom = "io_context on one thread, co_spawn per connection, async_read_some / async_write",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 10'000,
    .limit_reason = "one fd per connection, as for epoll",
    .task_start_us = 5,
    .reference = true,
};

inline constexpr ModelInfo libuv{
    .name = "libuv",
    .style = "libuv (Node.js's loop)",
    .idiom = "one uv_loop, uv_listen / uv_read_start / uv_write callbacks",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 10'000,
    .limit_reason = "one fd per connection, as for epoll",
    .task_start_us = 5,
    .reference = true,
};

inline constexpr ModelInfo nginx{
    .name = "nginx",
    .style = "nginx (event-driven worker processes)",
    .idiom = "a master and N worker processes, each an epoll loop; `return 200` from the config",
    .concurrent = true,
    .parallel = true,
    .max_tasks = 4'000,
    .limit_reason = "worker_connections 4096 in the generated configuration",
    .task_start_us = 5,
    .reference = true,
};

inline constexpr ModelInfo io_uring{
    .name = "io_uring",
    .style = "io_uring through liburing (asynchronous file I/O in the kernel)",
    .idiom =
        "one ring on one thread; open, read, write and fdatasync as queued requests, a "
        "bounded number of files in flight",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 100'000,
    .limit_reason = "the files in flight are bounded by the ring; M only sets how many go through",
    .task_start_us = 2,
    .reference = true,
};

}  // namespace cmbench::references
