// http_server: the source documents' "Hello, world!" servers (Twisted, Tornado, gevent,
// asyncio), each model's own, under the same load: C keep-alive connections from the load
// generator, a process of its own (models/core/load.hpp).
//
// Two variants: `hello` answers at once, so the server's cost per request decides;
// `slow` first waits `backend` (1 ms) on a timer for every request, as if it asked a slow
// backend, so that concurrency decides: a server that waits for one client at a time serves
// at most 1/backend requests per second, whatever the CPU.
//
// Every server speaks through the shared HTTP code (models/core/http.hpp): the strict
// request reader, 400 and close for anything malformed, keep-alive and pipelining. Every
// connection silent for `idle_timeout` (between requests or inside one: a slowloris) is
// closed.
//
// Parameters: variant; C connections; rate (requests/s, 0: as fast as possible); T, the
// measured time; pin (`split`: the server on CPU 0, the load generator on CPU 1).
// Result: what the load generator saw, and the server's own CPU time over the run.
// Verified: responses arrived, every one correct (status, framing, body); no reset or
// refused connection; for a concurrent model no request timed out (the sequential server
// serves one connection at a time: its timeouts are counted and reported, not a failure);
// in the slow variant the median latency is at least the backend's wait (the wait happened).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/core/load.hpp"
#include "cells/registry.hpp"

namespace cmbench::http_server {

enum class Variant { hello, slow };

// What a server needs to know to serve.
struct Config {
  Variant variant = Variant::hello;
  std::chrono::microseconds backend{1000};       // slow: each request waits this long first
  std::chrono::milliseconds idle_timeout{2000};  // a connection silent this long is closed
  int workers = 0;  // processes: pre-forked workers (0: one per connection of the load)
};

// The meeting point of a model's server and whoever runs it (the harness, `cmbench serve`,
// a test). The server calls serving() once it listens, with its port and a function that
// makes it stop: stop listening, finish the connections it has (their clients close them,
// or the idle timeout does), and return. It keeps what serving() returns for as long as that
// function may be called (declared after what the function uses, so it goes first): the
// function is called at most once, from another thread, and never after that guard is gone.
//
// Thread-safety: every member may be called from any thread.
class Control {
 public:
  explicit Control(Config config) : config_(config) {}
  const Config& config() const { return config_; }

  class Serving {
   public:
    explicit Serving(Control* c) : c_(c) {}
    Serving(Serving&& other) noexcept : c_(std::exchange(other.c_, nullptr)) {}
    Serving& operator=(Serving&&) = delete;
    ~Serving();

   private:
    Control* c_;
  };

  // The server's side: it listens on `port`; `stop` ends it (from any thread).
  [[nodiscard]] Serving serving(std::uint16_t port, std::function<void()> stop);
  // The runner's side, after the server function returned (normally or by an exception).
  void ended();

  // Waits until the server listens (its port) or has ended without listening (nullopt).
  std::optional<std::uint16_t> wait_serving();
  // Asks the server to stop, if it is serving and has not been asked yet.
  void stop();

 private:
  const Config config_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<std::uint16_t> port_;
  std::function<void()> stop_;  // empty once called, or once the server stopped serving
  bool ended_ = false;
};

// A model's server: serves through `control` until asked to stop.
using Serve = void (*)(Control& control);

// One model's server per file, workloads/http_server/<model>.cpp.
void sequential(Control& c);
void threads(Control& c);
void processes(Control& c);
void callbacks(Control& c);
void futures(Control& c);
void fibers(Control& c);
void coroutines(Control& c);

struct Params {
  Config server;
  load::Options load;  // its port is filled in once the server listens
  bool pin = false;    // server on CPU 0, load generator on CPU 1
};

struct Result {
  load::Report load;
  // The server's user + system time over the load generator's measured window: this
  // process's and its descendants' (pre-forked workers, nginx's), the generator's excluded.
  std::int64_t server_cpu_ns = 0;
  std::int64_t window_ns = 0;  // the measured window, as this process saw it
};

Workload describe();
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// What every workload of a server under the load generator shares (http_server, echo).
// The load's shape from the parameters C, T and pin: C connections (and as many pre-forked
// workers), a closed loop, T measured after a warm-up (warmup_for), and a per-request
// timeout within the window, so that requests a server never answers (the sequential
// server's other clients) are counted as timeouts rather than left in flight.
Params loaded(const ParamValues& v);
// The warm-up before a window of T: T/2, at least 100 ms and at most 200 ms (200 ms from
// T = 400 ms on). Connections open, pools and workers start and the first page faults are
// paid before the measured window.
std::chrono::milliseconds warmup_for(std::chrono::milliseconds t);
// Seconds one run under load takes (the warm-up, T, starting and stopping), for estimates.
double window_seconds(const ParamValues& v);
// The parameters loaded() reads: C (with its default), and T and pin.
ParamSpec connections_param(const std::string& default_c);
std::vector<ParamSpec> window_params();
// What the generator saw, checked: no wrong answer, no connection error, answers in the
// window, no timeout for a concurrent model, the server's CPU measured. `answers` and
// `requests` word it ("responses" and "requests", "echoes" and "messages"). Ok: tasks are
// the answers, and the peak in flight is the most the client had outstanding at once.
Verdict verify_load(const Result& r, const ModelInfo& m, const std::string& answers,
                    const std::string& requests);

// Runs `serve` on this thread while the load generator, started from a second thread in a
// process of its own, loads it; then stops the server and collects both sides' figures.
// The generator says when its measured window starts and ends; the server's CPU clocks are
// read at both instants. Throws if the server fails or the generator cannot run.
Result run_under_load(const Params& p, Serve serve);

// The cell of a server: what the registry calls.
template <Serve S>
Result cell(const Params& p) {
  return run_under_load(p, S);
}

// Runs a server until `stop_when` returns (called on a second thread; it blocks until the
// server should stop), for `cmbench serve` and for tests that bring their own client.
// `on_port` learns the port as soon as the server listens.
void serve_until(Serve serve, const Config& config,
                 const std::function<void(std::uint16_t port)>& on_port,
                 const std::function<void()>& stop_when);

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);

}  // namespace cmbench::http_server
