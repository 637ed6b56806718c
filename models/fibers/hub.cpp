#include "hub.hpp"

#include <boost/fiber/algo/round_robin.hpp>
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif
#include <cstdio>
#include <stdexcept>
#include <string>

#include "models/fibers/greenlet.hpp"

namespace cmbench::fibers {
namespace {

thread_local Hub* this_thread_hub = nullptr;

// Greenlets finished since the dispatcher's last turn before it gets the next one: each
// holds a stack until then. 64 keeps a megabyte of stacks waiting at most.
constexpr std::size_t release_batch = 64;
// Other fibers run between two turns of the dispatcher (and so of the reactor) at most: the
// bound on how long ready greenlets can keep I/O and timers waiting. Tokio and Go's
// scheduler poll their I/O or global queue every 61 ticks for the same reason.
constexpr std::size_t dispatch_interval = 64;

}  // namespace

Hub::Hub(const RunOptions& options)
    : options_(options), stacks_(options.stack_size, options.guard_pages) {}

Hub::~Hub() = default;

Hub* Hub::current() noexcept {
  return this_thread_hub;
}

Hub& Hub::require(const char* what) {
  if (!this_thread_hub) detail::no_scheduler(what);
  return *this_thread_hub;
}

void Hub::adopt(GreenletCore* g) noexcept {
  g->prev_live_ = last_live_;
  g->next_live_ = nullptr;
  (last_live_ ? last_live_->next_live_ : first_live_) = g;
  last_live_ = g;
  ++live_;
}

void Hub::set_max_blocking_time(std::chrono::nanoseconds threshold,
                                std::function<void(std::string_view)> report) {
  const bool on = threshold.count() > 0 && report;
  max_blocking_ns_ = on ? threshold.count() : 0;
  on_blocking_ = on ? std::move(report) : nullptr;
  timed_ = nullptr;
  if (!on) return engine_.set_slow_callback(threshold, nullptr);
  engine_.set_slow_callback(threshold, [this](const Engine::SlowCallback& slow) {
    char line[160];
    std::snprintf(line, sizeof line, "the hub was blocked: %s took %.3f seconds", slow.kind,
                  static_cast<double>(slow.took.count()) / 1e9);
    on_blocking_(line);
  });
}

void Hub::check_blocking(std::int64_t now) noexcept {
  GreenletCore* g = std::exchange(timed_, nullptr);
  const std::int64_t took = now - picked_at_;
  if (!g || took <= max_blocking_ns_) return;
  trace::slow(trace_id(g), took);
  char line[160];
  std::snprintf(line, sizeof line,
                "<Greenlet at %p> appears to be blocked: it held the hub for %.3f seconds",
                static_cast<const void*>(g), static_cast<double>(took) / 1e9);
  try {
    on_blocking_(line);
  } catch (...) {
  }
}

void Hub::finished(GreenletCore* g) noexcept {
  // Its last run ends here (the greenlet is freed before the next pick).
  if (max_blocking_ns_ > 0 && g == timed_) [[unlikely]]
    check_blocking(monotonic_ns());
  (g->prev_live_ ? g->prev_live_->next_live_ : first_live_) = g->next_live_;
  (g->next_live_ ? g->next_live_->prev_live_ : last_live_) = g->prev_live_;
  g->prev_live_ = g->next_live_ = nullptr;
  --live_;
  ++finished_since_dispatch_;
}

void Hub::awakened(context* ctx) noexcept {
  if (ctx->is_context(boost::fibers::type::dispatcher_context)) {
    dispatcher_ = ctx;
    dispatcher_ready_ = true;
  } else if (next_first_) {
    next_first_ = false;
    ready_.push_front(*ctx);
  } else {
    ready_.push_back(*ctx);
  }
}

bool Hub::yield_running() noexcept {
  GreenletCore* g = running_;
  if (g == nullptr || g->ctx_ == nullptr || ready_.empty()) return false;
  // Queued before the switch rather than after it (Boost's way), which is the same order:
  // pick_next takes the front, someone else, or gives the dispatcher its turn.
  ready_.push_back(*g->ctx_);
  g->ctx_->suspend();
  return true;
}

context* Hub::pick_next() noexcept {
  const bool timing = max_blocking_ns_ > 0;
  if (timing) [[unlikely]]
    check_blocking(monotonic_ns());
  // Called by the dispatcher, at its turn: the reactor's turn too, unless suspend_until has
  // just run one or the reactor has nothing to report.
  if (open_ && last_picked_ != nullptr && last_picked_ == dispatcher_) {
    if (!polled_ && !engine_.quiet()) engine_.run_once(false);
    polled_ = false;
  }
  context* next;
  if (dispatcher_ready_ &&
      (ready_.empty() || picks_since_dispatch_ >= dispatch_interval ||
       finished_since_dispatch_ >= release_batch || remote_.load(std::memory_order_relaxed))) {
    dispatcher_ready_ = false;
    picks_since_dispatch_ = finished_since_dispatch_ = 0;
    remote_.store(false, std::memory_order_relaxed);
    next = dispatcher_;
  } else if (ready_.empty()) {
    return nullptr;
  } else {
    next = &ready_.front();
    ready_.pop_front();
    ++picks_since_dispatch_;
  }
  last_picked_ = next;
  running_ = GreenletCore::of(next);
  if (timing) [[unlikely]] {
    timed_ = running_;
    picked_at_ = monotonic_ns();
  }
#if defined(__SANITIZE_THREAD__)
  // Pairs with wake()'s release: a greenlet woken from another thread (an Event set there,
  // a pool greenlet's result) sees what the waker did before the wake (wait.hpp).
  __tsan_acquire(next);
#endif
  return next;
}

void Hub::suspend_until(const std::chrono::steady_clock::time_point& tp) noexcept {
  // steady_clock is CLOCK_MONOTONIC in libstdc++, the reactor's clock.
  std::int64_t deadline =
      tp == std::chrono::steady_clock::time_point::max()
          ? -1
          : std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
  engine_.run_once_until(
      deadline, [](void* hub) { return static_cast<Hub*>(hub)->ready_.empty(); }, this);
  polled_ = true;
}

void Hub::open() {
  if (this_thread_hub)
    throw std::logic_error("fibers::run: this thread already runs a hub (run() does not nest)");
  if (detail::on_work_stealing_pool())
    throw std::logic_error("fibers::run: not on a thread of the work-stealing pool");
  scheduler_ = context::active()->get_scheduler();
  scheduler_->set_algo(boost::intrusive_ptr<algorithm>(this));
  this_thread_hub = this;
  open_ = true;
}

namespace detail {

bool schedule_on_this_hub(context* ctx) noexcept {
  return this_thread_hub != nullptr && this_thread_hub->schedule_local(ctx);
}

}  // namespace detail

void Hub::close() {
  // What the main greenlet left running is killed, as asyncio.run cancels its leftovers.
  while (first_live_) {
    Ref<GreenletCore> g(first_live_);
    g->kill(true);
  }
  // Offloaded work (file reads) whose greenlet is gone still completes here.
  while (engine_.offloaded() > 0) engine_.run_once(true);
  // Boost frees finished fibers when its dispatcher runs: give it turns until every stack
  // is back (one is enough unless a fiber was still finishing).
  for (int turn = 0; stacks_.outstanding() > 0 && turn < 1000; ++turn) context::active()->yield();
  open_ = false;
  this_thread_hub = nullptr;
  context::active()->get_scheduler()->set_algo(
      boost::intrusive_ptr<algorithm>(new boost::fibers::algo::round_robin()));
}

}  // namespace cmbench::fibers
