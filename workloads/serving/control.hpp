// The meeting point of a server under test and whoever runs it: what the server is told
// (Config), how it says it listens and how it is asked to stop (Control), and a server as
// the cells and `cmbench serve` name it (Server). Every workload that loads a server
// (http_server, echo) writes its servers against these.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "models/core/model.hpp"

namespace cmbench::serving {

enum class Variant { hello, slow };

// What a server needs to know to serve.
struct Config {
  Variant variant = Variant::hello;
  std::chrono::microseconds backend{1000};       // slow: each request waits this long first
  std::chrono::milliseconds idle_timeout{2000};  // a connection silent this long is closed
  int workers = 0;  // processes: pre-forked workers (0: one per connection of the load)
};

// The server calls serving() once it listens, with its port and a function that makes it
// stop: stop listening, finish the connections it has (their clients close them, or the
// idle timeout does), and return. It keeps what serving() returns for as long as that
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

// A server: serves through `control` until asked to stop.
using Serve = void (*)(Control& control);

// A server by its label, as cells and `cmbench serve` name it: the model (or reference)
// and a variant of it.
struct Server {
  const ModelInfo* model;
  std::string_view variant;  // "" for the model's own; nginx's 2-worker row is "2workers"
  Serve serve;
  bool has_slow_variant = true;  // false: the slow backend cannot be expressed (nginx)
};

}  // namespace cmbench::serving
