#include "catalog.hpp"

#include <cstdlib>
#include <string>

#include "cpu_bound/spec.hpp"
#include "echo/spec.hpp"
#include "http_fetch/spec.hpp"
#include "http_server/servers.hpp"
#include "models/callbacks/info.hpp"
#include "models/coroutines/info.hpp"
#include "models/fibers/info.hpp"
#include "models/futures/info.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "peers/references.hpp"
#include "selftest/selftest.hpp"
#include "sleep_fanout/spec.hpp"

namespace cmbench {
namespace {

// Registers every model's implementation of one workload, in the catalog's model order.
// `sequential_not_applicable` names the cells the sequential model has no version of.
template <class W>
void add_workload(
    Catalog& c, Workload spec,
    std::function<std::string(const ParamValues&)> sequential_not_applicable = nullptr) {
  const std::string name = spec.name;
  c.add_workload(std::move(spec));
  c.add_cell(name, "sequential",
             typed_cell(W::make_params, W::sequential, W::verify, sequential::info), "",
             std::move(sequential_not_applicable));
  c.add_cell(name, "threads", typed_cell(W::make_params, W::threads, W::verify, threads::info));
  c.add_cell(name, "processes",
             typed_cell(W::make_params, W::processes, W::verify, processes::info));
  c.add_cell(name, "callbacks",
             typed_cell(W::make_params, W::callbacks, W::verify, callbacks::info));
  c.add_cell(name, "futures", typed_cell(W::make_params, W::futures, W::verify, futures::info));
  c.add_cell(name, "coroutines",
             typed_cell(W::make_params, W::coroutines, W::verify, coroutines::info));
  c.add_cell(name, "fibers", typed_cell(W::make_params, W::fibers, W::verify, W::fibers_info));
}

// A workload whose event-driven models also run their work on the loop thread itself.
template <class W>
void add_on_loop_variants(Catalog& c, const std::string& name) {
  c.add_cell(name, "callbacks",
             typed_cell(W::make_params, W::callbacks_on_loop, W::verify, callbacks::info),
             "on_loop");
  c.add_cell(name, "futures",
             typed_cell(W::make_params, W::futures_on_loop, W::verify, futures::info), "on_loop");
  c.add_cell(name, "coroutines",
             typed_cell(W::make_params, W::coroutines_on_loop, W::verify, coroutines::info),
             "on_loop");
  c.add_cell(name, "fibers", typed_cell(W::make_params, W::fibers_on_loop, W::verify, fibers::info),
             "on_loop");
}

// A workload whose coroutines also run with frames from the frame pool, so that the report
// shows what the allocator costs beside the default operator new.
template <class W>
void add_frame_pool_variant(Catalog& c, const std::string& name) {
  c.add_cell(name, "coroutines",
             typed_cell(W::make_params, W::coroutines_pooled, W::verify, coroutines::info),
             "pooled");
}

// Namespaces as template arguments: one struct per workload naming its functions.
struct SleepFanout {
  static constexpr auto make_params = sleep_fanout::make_params;
  static constexpr auto verify = sleep_fanout::verify;
  static constexpr auto sequential = sleep_fanout::sequential;
  static constexpr auto threads = sleep_fanout::threads;
  static constexpr auto processes = sleep_fanout::processes;
  static constexpr auto callbacks = sleep_fanout::callbacks;
  static constexpr auto futures = sleep_fanout::futures;
  static constexpr auto coroutines = sleep_fanout::coroutines;
  static constexpr auto coroutines_pooled = sleep_fanout::coroutines_pooled;
  static constexpr auto fibers = sleep_fanout::fibers;
  static constexpr const ModelInfo& fibers_info = fibers::info;
};
struct CpuBound {
  static constexpr auto make_params = cpu_bound::make_params;
  static constexpr auto verify = cpu_bound::verify;
  static constexpr auto sequential = cpu_bound::sequential;
  static constexpr auto threads = cpu_bound::threads;
  static constexpr auto processes = cpu_bound::processes;
  static constexpr auto callbacks = cpu_bound::callbacks;
  static constexpr auto callbacks_on_loop = cpu_bound::callbacks_on_loop;
  static constexpr auto futures = cpu_bound::futures;
  static constexpr auto futures_on_loop = cpu_bound::futures_on_loop;
  static constexpr auto coroutines = cpu_bound::coroutines;
  static constexpr auto coroutines_on_loop = cpu_bound::coroutines_on_loop;
  // On the work-stealing pool: parallel, unlike the model's hub.
  static constexpr auto fibers = cpu_bound::fibers;
  static constexpr const ModelInfo& fibers_info = fibers::work_stealing_info;
  static constexpr auto fibers_on_loop = cpu_bound::fibers_on_loop;
};

struct HttpFetch {
  static constexpr auto make_params = http_fetch::make_params;
  static constexpr auto verify = http_fetch::verify;
  static constexpr auto sequential = http_fetch::sequential;
  static constexpr auto threads = http_fetch::threads;
  static constexpr auto processes = http_fetch::processes;
  static constexpr auto callbacks = http_fetch::callbacks;
  static constexpr auto futures = http_fetch::futures;
  static constexpr auto coroutines = http_fetch::coroutines;
  static constexpr auto fibers = http_fetch::fibers;
  static constexpr const ModelInfo& fibers_info = fibers::info;
};

// http_fetch: the seven clients. The bound M means nothing to the sequential client, which
// has one fetch in flight whatever M is: its bounded cells would repeat the unbounded one.
void add_http_fetch(Catalog& c) {
  add_workload<HttpFetch>(c, http_fetch::describe(), [](const ParamValues& v) -> std::string {
    return v.integer("M") > 0 ? "a sequential client fetches one URL at a time whatever M is" : "";
  });
  // The floor: the fewest system calls an honest client makes per fetch.
  c.add_cell("http_fetch", "epoll",
             typed_cell(http_fetch::make_params, http_fetch::epoll, http_fetch::verify,
                        references::epoll));
}

// echo: every model's server and the reference servers, from one table.
void add_echo(Catalog& c) {
  c.add_workload(echo::describe());
  for (const auto& s : echo::servers()) {
    auto run = [serve = s.serve](const echo::Params& p) {
      return http_server::run_under_load(p, serve);
    };
    c.add_cell("echo", std::string(s.model->name),
               typed_cell(echo::make_params, run, echo::verify, *s.model), std::string(s.variant));
  }
}

// http_server: every model's server and the reference servers, from one table.
void add_http_server(Catalog& c) {
  c.add_workload(http_server::describe());
  for (const auto& s : http_server::servers()) {
    std::function<std::string(const ParamValues&)> not_applicable = nullptr;
    if (!s.has_slow_variant)
      not_applicable = [](const ParamValues& v) -> std::string {
        return v.text("variant") == "slow"
                   ? "the slow variant needs a backend to wait on, which stock nginx has not"
                   : "";
      };
    auto run = [serve = s.serve](const http_server::Params& p) {
      return http_server::run_under_load(p, serve);
    };
    c.add_cell("http_server", std::string(s.model->name),
               typed_cell(http_server::make_params, run, http_server::verify, *s.model),
               std::string(s.variant), std::move(not_applicable));
  }
}

}  // namespace

Catalog build_catalog(bool with_selftest) {
  Catalog c;
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
  add_workload<SleepFanout>(c, sleep_fanout::describe());
  add_workload<CpuBound>(c, cpu_bound::describe());
  add_frame_pool_variant<SleepFanout>(c, "sleep_fanout");
  add_on_loop_variants<CpuBound>(c, "cpu_bound");
  add_http_server(c);
  add_http_fetch(c);
  add_echo(c);
  if (with_selftest) selftest::add_to(c);
  return c;
}

const Catalog& catalog() {
  static const Catalog c = [] {
    const char* s = std::getenv("CMBENCH_SELFTEST");
    return build_catalog(s && std::string(s) == "1");
  }();
  return c;
}

}  // namespace cmbench
