#include "catalog.hpp"

#include "cpu_bound/spec.hpp"
#include "echo/spec.hpp"
#include "error_handling/spec.hpp"
#include "fetch_and_process/spec.hpp"
#include "file_pipeline/spec.hpp"
#include "http_fetch/spec.hpp"
#include "http_server/spec.hpp"
#include "memory_per_task/spec.hpp"
#include "models/callbacks/info.hpp"
#include "models/coroutines/info.hpp"
#include "models/fibers/info.hpp"
#include "models/futures/info.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "peers/references.hpp"
#include "ping_pong/spec.hpp"
#include "python/rows.hpp"
#include "sleep_fanout/spec.hpp"
#include "spawn_many/references/floors.hpp"
#include "spawn_many/spec.hpp"

namespace cmbench {

Catalog build_catalog() {
  Catalog c;
  // The models, in the order every table and chart shows them; the reference rows last.
  c.add_model(sequential::info);
  c.add_model(threads::info);
  c.add_model(processes::info);
  c.add_model(callbacks::info);
  c.add_model(futures::info);
  c.add_model(fibers::info);
  c.add_model(coroutines::info);
  c.add_model(references::epoll);
  c.add_model(references::asio);
  c.add_model(references::libuv);
  c.add_model(references::nginx);
  c.add_model(references::io_uring);
  c.add_model(references::tbb);
  c.add_model(references::coroutine_floor);
  c.add_model(python::info);
  // The workloads, in the order the suite runs them and the report shows them.
  sleep_fanout::register_cells(c);
  cpu_bound::register_cells(c);
  http_server::register_cells(c);
  http_fetch::register_cells(c);
  echo::register_cells(c);
  file_pipeline::register_cells(c);
  fetch_and_process::register_cells(c);
  error_handling::register_cells(c);
  ping_pong::register_cells(c);
  spawn_many::register_cells(c);
  memory_per_task::register_cells(c);
  return c;
}

const Catalog& catalog() {
  static const Catalog c = build_catalog();
  return c;
}

}  // namespace cmbench
