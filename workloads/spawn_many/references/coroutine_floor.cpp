// spawn_many's coroutine floor: what a task costs when it is nothing but a C++20 coroutine.
// No loop, no queue, no task object: a parent creates a lazy coroutine and awaits it at
// once, transferring to it; the child's end transfers straight back. One frame allocated,
// run and freed per task. A skynet node awaits its ten children one after the other (depth
// first), so at most depth + 1 frames are alive; flat runs its N tasks one after the other.
// This is the line under the coroutines model's rows, whose tasks also pass through the
// event loop and gather.
#include <coroutine>
#include <stdexcept>
#include <utility>

#include "../spec.hpp"

namespace cmbench::spawn_many {
namespace {

// A lazy coroutine with a 64-bit result. Invariant: the frame starts suspended; whoever
// awaits it stores its own handle in `parent` before the body first runs; the body ends
// suspended at its final point, and only the owning Lazy destroys the frame.
class Lazy {
 public:
  struct promise_type {
    std::int64_t value = 0;
    std::coroutine_handle<> parent = std::noop_coroutine();  // the root has none

    Lazy get_return_object() { return Lazy(Handle::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct BackToParent {
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(Handle self) noexcept {
          return self.promise().parent;
        }
        void await_resume() const noexcept {}
      };
      return BackToParent{};
    }
    void return_value(std::int64_t v) noexcept { value = v; }
    void unhandled_exception() { throw; }  // the bodies below never throw
  };
  using Handle = std::coroutine_handle<promise_type>;

  explicit Lazy(Handle h) : frame_(h) {}
  Lazy(Lazy&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  Lazy& operator=(Lazy&&) = delete;
  ~Lazy() {
    if (frame_) frame_.destroy();
  }

  // co_await: start the child; the awaiting coroutine resumes when the child ends.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    frame_.promise().parent = awaiting;
    return frame_;
  }
  std::int64_t await_resume() const noexcept { return frame_.promise().value; }

  // For a coroutine nobody awaits: runs it to its end (nothing here ever suspends midway).
  std::int64_t run() {
    frame_.resume();
    if (!frame_.done()) throw std::logic_error("a floor coroutine suspended before its end");
    return frame_.promise().value;
  }

 private:
  Handle frame_;
};

Lazy task(std::int64_t i) {
  co_return i;
}

Lazy skynet(std::int64_t num, int depth) {
  if (depth == 0) co_return num;
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += co_await skynet(num * 10 + i, depth - 1);
  co_return sum;
}

}  // namespace

Result coroutine_floor(const Params& p) {
  Result r;
  if (p.shape == Shape::skynet) {
    r.sum = skynet(0, p.depth).run();
    return r;
  }
  r.values.reserve(static_cast<std::size_t>(p.n));
  for (std::int64_t i = 0; i < p.n; ++i) r.values.push_back(task(i).run());
  return r;
}

}  // namespace cmbench::spawn_many
