// ping_pong, symmetric_transfer: the floor of a coroutine hand-off. Two raw C++20 coroutines
// pass the token by symmetric transfer: await_suspend returns the other one's handle, which
// the compiler turns into a tail call (sibling-call optimisation, on at -O2), so a hand-off
// is a store, an indirect jump and a load. No loop, no queue, no task: what is left of the
// coroutines model once everything that makes it asyncio is taken away. One thread, so
// `same` only.
#include <coroutine>
#include <stdexcept>
#include <utility>

#include "models/core/span.hpp"
#include "ping_pong/spec.hpp"

namespace cmbench::ping_pong {
namespace {

// The least a coroutine can be: it starts suspended, stays suspended at its end for its
// owner to destroy, and has no result.
class Player {
 public:
  struct promise_type {
    Player get_return_object() { return Player(Handle::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { throw; }  // nothing here throws
  };
  using Handle = std::coroutine_handle<promise_type>;

  explicit Player(Handle h) : handle_(h) {}
  Player(Player&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Player& operator=(Player&&) = delete;
  ~Player() {
    if (handle_) handle_.destroy();
  }
  Handle handle() const { return handle_; }

 private:
  Handle handle_;
};

// Where the two meet. Invariant: exactly one of them runs; `token` is what it was handed.
struct Table {
  std::int64_t token = 0;
  std::int64_t handoffs = 0;
  std::coroutine_handle<> a, b;
};

// Hands the token to `to` and resumes it in the same breath; returns what comes back.
struct Pass {
  Table& table;
  std::coroutine_handle<> to;
  std::int64_t token;
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
    table.token = token;
    return to;
  }
  std::int64_t await_resume() noexcept {
    ++table.handoffs;
    return table.token;
  }
};

Player ping(Table& t, std::int64_t rounds, Result& r) {
  std::int64_t token = 0;
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < rounds; ++i) token = co_await Pass{t, t.b, token + 1};
  r.elapsed_ns = monotonic_ns() - start;
  r.token = token;
}

// Never ends: its last Pass leaves it suspended, and its owner destroys it there.
Player pong(Table& t) {
  ++t.handoffs;  // its first token arrives as it starts
  std::int64_t token = t.token;
  for (;;) token = co_await Pass{t, t.a, token + 1};
}

}  // namespace

Result symmetric_transfer(const Params& p) {
  Pin pin(p.cpu_a);
  Table table;
  Result r;
  Player a = ping(table, p.rounds, r);
  Player b = pong(table);
  table.a = a.handle();
  table.b = b.handle();
  a.handle().resume();  // returns when ping ends, after its last round
  if (!a.handle().done()) throw std::logic_error("symmetric_transfer: ping did not finish");
  r.handoffs = table.handoffs;
  r.cpu_a = r.cpu_b = current_cpu();
  return r;
}

}  // namespace cmbench::ping_pong
