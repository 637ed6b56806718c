#include "timeout.hpp"

#include <string>

namespace cmbench::fibers {

void sleep(std::chrono::nanoseconds d) {
  if (d.count() <= 0) {
    // One check, after the turn: an interrupt pending before it is still pending then.
    GreenletCore* g = trace::on() ? GreenletCore::current() : nullptr;
    if (g) trace::suspended(trace_id(g), trace::Wait::none);  // ready at once
    Hub* hub = Hub::current();
    if (!hub || !hub->yield_running()) context::active()->yield();
    if (g) trace::resumed(trace_id(g));
    interruption_point();
    return;
  }
  interruption_point();
  Engine& reactor = Hub::require("fibers::sleep").engine();
  struct Sleeping final : Park {
    Engine& reactor;
    Engine::TimerHandle timer{};
    explicit Sleeping(Engine& r) : reactor(r) {}
    bool withdraw() noexcept override { return reactor.cancel(timer); }
  } sleeping(reactor);
  sleeping.timer =
      reactor.call_later(d, [ctx = context::active()] { wake(ctx, trace::Cause::timer); });
  park(sleeping, trace::Wait::timer);
}

TimeoutError::TimeoutError(const Timeout* source)
    : std::runtime_error("fibers::Timeout expired"), source_(source) {}

Timeout::Timeout(std::chrono::nanoseconds d) : hub_(Hub::require("fibers::Timeout")) {
  GreenletCore* g = GreenletCore::current();
  if (!g) throw std::logic_error("fibers::Timeout: not inside a greenlet");
  target_ = Ref<GreenletCore>(g);
  timer_ = hub_.engine().call_later(d, [this] {
    armed_ = false;
    expired_ = true;
    target_->interrupt(std::make_exception_ptr(TimeoutError(this)), this);
  });
  armed_ = true;
}

void Timeout::cancel() noexcept {
  if (armed_) {
    hub_.engine().cancel(timer_);
    armed_ = false;
  }
  if (target_ && target_->pending_from_ == this) {
    target_->pending_ = nullptr;
    target_->pending_from_ = nullptr;
  }
}

}  // namespace cmbench::fibers
