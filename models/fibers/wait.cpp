#include "wait.hpp"

#include <exception>
#include <utility>

#include "models/fibers/greenlet.hpp"
#include "models/fibers/hub.hpp"

namespace cmbench::fibers {

void interruption_point() {
  GreenletCore* g = GreenletCore::current();
  if (g && g->pending_) {
    g->pending_from_ = nullptr;
    std::rethrow_exception(std::exchange(g->pending_, nullptr));
  }
}

void park(Park& p, SpinGuard& held, trace::Wait on) {
  GreenletCore* g = GreenletCore::current();
  if (g) {
    g->parked_ = &p;
    trace::suspended(trace_id(g), on);
  }
#if defined(__SANITIZE_THREAD__)
  // Boost unlocks `held` after the switch, in libboost_fiber, where TSan does not see it:
  // what this fiber did under the lock happens before whoever takes it next.
  __tsan_release(held.mutex());
#endif
  context::active()->suspend(held);
  if (g) {
    trace::resumed(trace_id(g));  // on the thread it resumes on (the pool's: either)
    g->parked_ = nullptr;
    interruption_point();
  }
}

void park(Park& p, trace::Wait on) {
  GreenletCore* g = GreenletCore::current();
  if (g) {
    g->parked_ = &p;
    trace::suspended(trace_id(g), on);
  }
  context::active()->suspend();
  if (g) {
    trace::resumed(trace_id(g));
    g->parked_ = nullptr;
    interruption_point();
  }
}

// ---- WaitQueue ---------------------------------------------------------------------------

// A waiting fiber, on its own stack for the length of the wait.
struct WaitQueue::Node final : Park {
  explicit Node(WaitQueue& q) noexcept : queue(q), ctx(context::active()) {}
  bool withdraw() noexcept override {
    SpinGuard lock(queue.guard_);
    if (!linked) return false;
    queue.unlink(*this);
    return true;
  }

  WaitQueue& queue;
  context* ctx;
  Node* prev = nullptr;
  Node* next = nullptr;
  bool linked = false;
};

void WaitQueue::link(Node& n) noexcept {
  n.prev = tail_;
  n.next = nullptr;
  (tail_ ? tail_->next : head_) = &n;
  tail_ = &n;
  n.linked = true;
}

void WaitQueue::unlink(Node& n) noexcept {
  (n.prev ? n.prev->next : head_) = n.next;
  (n.next ? n.next->prev : tail_) = n.prev;
  n.prev = n.next = nullptr;
  n.linked = false;
}

void WaitQueue::wait(SpinGuard& held, trace::Wait on) {
  GreenletCore* g = GreenletCore::current();
  if (g && g->pending_) {
    held.unlock();
    interruption_point();
  }
  Node n(*this);
  link(n);
  park(n, held, on);
}

bool WaitQueue::wait_until(SpinGuard& held, std::int64_t deadline_ns, trace::Wait on) {
  GreenletCore* g = GreenletCore::current();
  if (g && g->pending_) {
    held.unlock();
    interruption_point();
  }
  Engine& reactor = Hub::require("a timed wait").engine();
  Node n(*this);
  link(n);
  bool timed_out = false;
  auto timer = reactor.call_at(deadline_ns, [&n, &timed_out] {
    if (n.withdraw()) {
      timed_out = true;
      wake(n.ctx, trace::Cause::timer);
    }
  });
  // The timer refers to this frame: it must not outlive the wait, however it ends.
  struct Disarm {
    Engine& r;
    Engine::TimerHandle h;
    ~Disarm() { r.cancel(h); }
  } disarm{reactor, timer};
  park(n, held, on);
  return !timed_out;
}

bool WaitQueue::notify_one() noexcept {
  Node* n = head_;
  if (!n) return false;
  unlink(*n);
  wake(n->ctx);
  return true;
}

void WaitQueue::notify_all() noexcept {
  while (notify_one()) {
  }
}

}  // namespace cmbench::fibers
