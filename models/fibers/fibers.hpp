// The fibers model in one include: gevent's vocabulary on Boost.Fiber and the shared
// reactor. fibers::run(main) is gevent's "spawn main and join it": it sets up the hub on
// this thread, runs main as a greenlet, kills what main left running, and returns main's
// result (or raises its exception). In a trace, the thread's lane is a loop's for the
// length of the call.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include "models/fibers/event.hpp"
#include "models/fibers/file.hpp"
#include "models/fibers/greenlet.hpp"
#include "models/fibers/hub.hpp"
#include "models/fibers/iwait.hpp"
#include "models/fibers/pool.hpp"
#include "models/fibers/queue.hpp"
#include "models/fibers/socket.hpp"
#include "models/fibers/threadpool.hpp"
#include "models/fibers/timeout.hpp"
#include "models/fibers/work_stealing.hpp"

namespace cmbench::fibers {

template <class F>
auto run(F&& main, const RunOptions& options = {}) {
  using R = std::invoke_result_t<std::decay_t<F>>;
  // This thread runs the hub's loop meanwhile: its lane is the loop's, and the trace's
  // blocking-call hooks leave the greenlets' non-blocking sockets alone.
  trace::LoopScope loop;
  boost::intrusive_ptr<Hub> hub(new Hub(options));
  hub->open();
  std::optional<Greenlet<R>> g;
  {
    // Closed however main ends, before its result is given back.
    struct Closer {
      Hub& hub;
      ~Closer() { hub.close(); }
    } closer{*hub};
    g.emplace(spawn(std::forward<F>(main)));
    g->set_name("main");
    g->join();
  }
  return g->get();
}

}  // namespace cmbench::fibers
