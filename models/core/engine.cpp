#include "engine.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <system_error>

#include "models/core/offload_pool.hpp"
#include "models/core/span.hpp"
#include "models/core/trace.hpp"

namespace cmbench {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The wake-up eventfd's entry in epoll carries this address instead of a Watcher's.
char wakeup_tag;

// In a catch block: hands the exception's message to the engine's error handler.
void report_current_exception(Engine& engine) noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    engine.report_error(e.what());
  } catch (...) {
    engine.report_error("an exception not derived from std::exception");
  }
}

}  // namespace

// ---- Watcher ---------------------------------------------------------------------------

Watcher::Watcher(Engine& r, int fd, std::function<void(std::uint32_t)> on_ready)
    : reactor_(r), fd_(fd), on_ready_(std::move(on_ready)) {}

Watcher::~Watcher() {
  want(0);
  reactor_.forget(*this);
}

void Watcher::want(std::uint32_t events) {
  reactor_.update(*this, events);
}

// ---- Engine ---------------------------------------------------------------------------

Engine::Engine()
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wakeup_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      events_(256),
      now_(monotonic_ns()),
      timers_(now_) {
  if (!epoll_fd_) fail("epoll_create1");
  if (!wakeup_fd_) fail("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wakeup_tag;
  if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wakeup_fd_.get(), &ev) < 0)
    fail("epoll_ctl(wakeup)");
}

Engine::~Engine() {
  // A pool thread may still be about to post a completion here: wait for it to let go.
  while (in_pool_.load(std::memory_order_acquire) > 0)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
}

bool Engine::alive() const noexcept {
  return !ready_->empty() || timers_.size() > 0 || watching_ > 0 || offloaded_ > 0 || holds_ > 0;
}

void Engine::report_error(std::string_view what) noexcept {
  ++errors_;
  try {
    if (on_error_) return on_error_(what);
  } catch (...) {
  }
  std::fprintf(stderr, "reactor: a callback raised: %.*s\n", static_cast<int>(what.size()),
               what.data());
}

void Engine::invoke(Callback& cb) noexcept {
  try {
    cb();
  } catch (...) {
    report_current_exception(*this);
  }
}

void Engine::set_slow_callback(std::chrono::nanoseconds threshold,
                               std::function<void(const SlowCallback&)> handler) {
  const bool on = threshold.count() > 0 && handler;
  slow_ns_ = on ? threshold.count() : 0;
  on_slow_ = on ? std::move(handler) : nullptr;
}

void Engine::invoke_timed(Callback& cb, const char* kind) noexcept {
  const std::int64_t start = monotonic_ns();
  invoke(cb);
  check_slow(start, kind);
}

void Engine::check_slow(std::int64_t start, const char* kind) noexcept {
  const std::int64_t took = monotonic_ns() - start;
  if (took <= slow_ns_ || !on_slow_) return;
  trace::slow(trace::current(), took);
  try {
    on_slow_(SlowCallback{std::chrono::nanoseconds(took), kind});
  } catch (const std::exception& e) {
    report_error(e.what());
  } catch (...) {
    report_error("an exception not derived from std::exception");
  }
}

void Engine::call_handler(Watcher& w, std::uint32_t events) noexcept {
  try {
    w.on_ready_(events);
  } catch (const std::exception& e) {
    report_error(e.what());
  } catch (...) {
    report_error("an exception not derived from std::exception");
  }
}

void Engine::run() {
  trace::LoopScope loop_thread;
  stop_requested_ = false;
  while (!stop_requested_ && alive()) run_once(true);
}

// One turn of the loop, its phases in order (libuv's uv_run is the model):
void Engine::run_once(bool block) {
  // 1. Time. Read the clock once: every timer of this turn sees the same now. A turn with
  //    no timer pending skips the read (≈ 23 ns), and now_ns() keeps the last turn's time.
  // 2. Timers. Every timer due by now runs, in deadline order. Timers that a callback
  //    makes due now (a zero delay) wait for the next turn, so one cannot starve the loop.
  if (timers_.size() > 0) {
    now_ = monotonic_ns();
    timers_.advance(now_);
    ready_before_timers_ = !ready_->empty();
    timers_.begin_firing();
    if (slow_ns_ > 0) [[unlikely]] {
      for (Callback cb; timers_.pop_due(cb);) invoke_timed(cb, "a timer callback");
    } else {
      for (Callback cb; timers_.pop_due(cb);) invoke(cb);
    }
  }

  // 3. Ready callbacks: those queued before this phase began. Callbacks they queue go to
  //    the emptied ready_ and run on the next turn, after I/O has been polled, for the same
  //    reason. Each runs in place in the batch's ring, never moved again.
  RingQueue<Callback>& batch = *ready_;
  ready_ = ready_ == &rings_[0] ? &rings_[1] : &rings_[0];
  if (slow_ns_ > 0) [[unlikely]] {
    while (!batch.empty()) {
      invoke_timed(batch.front(), "a callback");
      batch.drop_front();
    }
  } else {
    // One try block for the whole batch, not one call to invoke() per callback: a
    // callback that throws is dropped and passed to the error handler, and the batch goes
    // on after it.
    batch_ = &batch;
    while (!batch.empty()) {
      try {
        while (!batch.empty()) {
          batch.front()();
          batch.drop_front();
        }
      } catch (...) {
        batch.drop_front();
        report_current_exception(*this);
      }
    }
    batch_ = nullptr;
  }

  // 4. How long to wait for I/O: not at all if there is work ready or the loop is ending;
  //    until the next timer if there is one; otherwise until an event arrives.
  //    A hub's turn (run_once_until) waits without work of the loop's own, unless the
  //    turn made its fibers ready, and not past the hub's deadline.
  bool may_block = block && ready_->empty() && !stop_requested_ &&
                   (hub_turn_ ? hub_turn_->idle(hub_turn_->arg) : alive());
  // A turn that must not block, with no watcher, has nothing to ask epoll but the wake-up
  // eventfd, and remote_pending_ already says whether another thread has posted: skip the
  // system call (≈ 0.2–0.3 µs), as libuv skips its poll when it watches no fd. Tasks that
  // hand work to each other without I/O then cost no system call per hand-off.
  if (!may_block && watching_ == 0) {
    if (remote_pending_.load(std::memory_order_acquire)) drain_remote();
    return;
  }
  timespec timeout{0, 0};
  timespec* wait = &timeout;
  if (may_block) {
    auto next = timers_.next_wakeup_ns();
    if (hub_turn_ && hub_turn_->deadline_ns >= 0)
      next = next ? std::min(*next, hub_turn_->deadline_ns) : hub_turn_->deadline_ns;
    if (next) {
      std::int64_t left = std::max<std::int64_t>(0, *next - monotonic_ns());
      timeout = {static_cast<time_t>(left / 1'000'000'000),
                 static_cast<long>(left % 1'000'000'000)};
    } else {
      wait = nullptr;  // no timer: block until I/O or a wake-up
    }
  }

  // 5. Poll for I/O and run each ready watcher's handler. A handler may destroy any
  //    watcher: forget() removes it from the rest of this batch.
  // A wait that may block is the loop's idle time in a trace: on a timer if nothing but
  // timers can end it, else on I/O.
  const bool idle = may_block && trace::on();
  if (idle) trace::blocked(watching_ > 0 ? trace::Wait::read : trace::Wait::timer);
  int n = epoll_pwait2(epoll_fd_.get(), events_.data(), static_cast<int>(events_.size()), wait,
                       nullptr);
  if (idle) trace::unblocked();
  if (n < 0) {
    if (errno == EINTR) return;
    fail("epoll_pwait2");
  }
  // Bring the wheel's clock up to now before handlers add timers: a timer placed against a
  // stale clock would land on a higher level than it needs and be moved later (the same is
  // done in call_at when the wheel is empty). Timers that fell due meanwhile wait in the
  // due list for the next turn's timer phase.
  now_ = monotonic_ns();
  timers_.advance(now_);
  dispatch_end_ = static_cast<std::size_t>(n);
  const bool timed = slow_ns_ > 0;
  for (dispatching_ = 0; dispatching_ < dispatch_end_; ++dispatching_) {
    const epoll_event& ev = events_[dispatching_];
    if (ev.data.ptr == nullptr) continue;  // forgotten during this batch
    if (ev.data.ptr == &wakeup_tag) {
      drain_remote();
      continue;
    }
    auto* w = static_cast<Watcher*>(ev.data.ptr);
    if (w->wanted_ == 0) continue;  // stopped watching earlier in this batch
    if (timed) [[unlikely]] {
      const std::int64_t start = monotonic_ns();
      call_handler(*w, ev.events);
      check_slow(start, "an I/O handler");
    } else {
      call_handler(*w, ev.events);
    }
  }
  dispatching_ = dispatch_end_ = 0;
  if (static_cast<std::size_t>(n) == events_.size()) events_.resize(events_.size() * 2);
}

void Engine::run_once_until(std::int64_t deadline_ns, bool (*idle)(void*), void* arg) {
  HubTurn turn{deadline_ns, idle, arg};
  hub_turn_ = &turn;
  try {
    run_once(true);
  } catch (...) {
    hub_turn_ = nullptr;
    throw;
  }
  hub_turn_ = nullptr;
}

void Engine::update(Watcher& w, std::uint32_t events) {
  if (events == w.wanted_) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &w;
  if (events == 0) {
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, w.fd_, &ev) < 0 && errno != EBADF &&
        errno != ENOENT)
      fail("epoll_ctl(DEL)");
    w.registered_ = false;
    --watching_;
  } else if (!w.registered_) {
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, w.fd_, &ev) < 0) fail("epoll_ctl(ADD)");
    w.registered_ = true;
    ++watching_;
  } else {
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, w.fd_, &ev) < 0) fail("epoll_ctl(MOD)");
  }
  w.wanted_ = events;
}

void Engine::forget(Watcher& w) noexcept {
  for (std::size_t i = dispatching_ + 1; i < dispatch_end_; ++i)
    if (events_[i].data.ptr == &w) events_[i].data.ptr = nullptr;
}

void Engine::call_soon_threadsafe(Callback cb) {
  bool first;
  {
    std::lock_guard lock(remote_mutex_);
    first = remote_.empty();
    remote_.push_back(std::move(cb));
    remote_pending_.store(true, std::memory_order_release);
  }
  // One write wakes the loop for the whole batch: later callers see a non-empty queue and
  // know a wake-up is already on its way.
  if (first) {
    std::uint64_t one = 1;
    while (::write(wakeup_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
}

void Engine::drain_remote() {
  std::uint64_t count;
  while (::read(wakeup_fd_.get(), &count, sizeof count) < 0 && errno == EINTR) {
  }
  std::vector<Callback> batch;
  {
    std::lock_guard lock(remote_mutex_);
    batch.swap(remote_);
    remote_pending_.store(false, std::memory_order_relaxed);
  }
  for (auto& cb : batch) ready_->push_back(std::move(cb));
}

void Engine::offload(Callback work, Callback done, trace::TaskId for_task) {
  ++offloaded_;
  in_pool_.fetch_add(1, std::memory_order_relaxed);
  auto finished = [this,
                   done = std::make_shared<Callback>(std::move(done))](const std::string* error) {
    if (error) call_soon_threadsafe([this, what = *error] { report_error(what); });
    // `done` runs on the loop thread; the job count drops there, so the loop stays alive
    // until it has run.
    call_soon_threadsafe([this, done] {
      --offloaded_;
      if (*done) (*done)();
      // Destroy what `done` captured here, on the loop thread: the pool thread may hold the
      // last reference to it, and its captures (a job's result, a future) are the loop's.
      done->reset();
    });
    in_pool_.fetch_sub(1, std::memory_order_release);  // after the last touch of *this
  };
  OffloadPool::instance().submit({std::move(work), std::move(finished), for_task});
}

}  // namespace cmbench
