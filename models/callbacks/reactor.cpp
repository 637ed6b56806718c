#include "reactor.hpp"

#include <cstdio>
#include <string>

#include "models/callbacks/connection.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::callbacks {

void DelayedCall::check_active() const {
  if (!state_.get()) throw std::logic_error("this DelayedCall names no call");
  if (state_->cancelled) throw AlreadyCancelled("this call was cancelled already");
  if (state_->called) throw AlreadyCalled("this call has run already");
}

void DelayedCall::cancel() {
  check_active();
  if (!state_->queued) state_->core->cancel(state_->handle);  // a queued one is skipped
  state_->cancelled = true;
  state_->call.reset();  // what it captured goes now, as Twisted drops func and args
}

void DelayedCall::arm(const detail::Rc<State>& state) {
  state->handle = state->core->call_at(state->time, [state] {
    // The wheel fires once the loop's time has reached the timer's deadline; a reset() may
    // have moved the call later since: then wait for the rest.
    if (state->time > state->core->now_ns()) return arm(state);
    fire(*state);
  });
}

void DelayedCall::queue(const detail::Rc<State>& state) {
  state->queued = true;
  state->core->call_soon([state] {
    // Cancelled meanwhile, or reset to a later time (then a timer holds it now): skip.
    if (!state->queued || state->cancelled) return;
    state->queued = false;
    fire(*state);
  });
}

void DelayedCall::fire(State& state) {
  state.called = true;
  detail::Because timer(trace::Cause::timer);  // what the call fires was woken by it
  state.call();
  state.call.reset();
}

void DelayedCall::reset_to(std::int64_t time) {
  check_active();
  if (state_->queued) {
    // Waiting in the ready queue: a time not in the future keeps its place there; a later
    // one leaves it for a timer (the queued entry then finds it gone and does nothing).
    if (time <= monotonic_ns()) return;
    state_->queued = false;
    state_->time = time;
    return arm(state_);
  }
  if (time >= state_->time) {  // later: the timer re-arms itself when it comes round
    state_->time = time;
    return;
  }
  state_->core->cancel(state_->handle);  // sooner: a new timer
  state_->time = time;
  arm(state_);
}

Reactor::Reactor() : engine_() {
  previous_unhandled_ = set_unhandled_error_handler([this](const Failure& f) {
    engine_.report_error("Unhandled error in Deferred: " + f.error_message());
  });
}

Reactor::~Reactor() {
  // Deferreds dying with the loop's pending work report to stderr from here on.
  set_unhandled_error_handler(std::move(previous_unhandled_));
  connections_.clear();
  ports_.clear();
}

void Reactor::set_slow_call_threshold(std::chrono::nanoseconds threshold,
                                      std::function<void(std::string_view)> report) {
  if (!report) return engine_.set_slow_callback(threshold, nullptr);
  engine_.set_slow_callback(
      threshold, [report = std::move(report)](const cmbench::Engine::SlowCallback& slow) {
        char line[160];
        std::snprintf(line, sizeof line,
                      "reactor blocked: %s took %.3f seconds; nothing else ran meanwhile",
                      slow.kind, static_cast<double>(slow.took.count()) / 1e9);
        report(line);
      });
}

void Reactor::run() {
  // Like Twisted's, this loop runs until stop(), even with nothing to do: the hold keeps the
  // core's run() from returning when it goes idle.
  struct Running {
    Reactor& r;
    explicit Running(Reactor& reactor) : r(reactor) {
      r.running_ = true;
      r.engine_.hold();
    }
    ~Running() {
      r.engine_.release();
      r.running_ = false;
    }
  } running(*this);
  engine_.run();
}

void Reactor::stop() {
  if (!running_) throw ReactorNotRunning("stop() while the reactor is not running");
  engine_.stop();
}

ListeningPort& Reactor::listen_tcp(std::uint16_t port, Factory& factory) {
  ports_.push_back(std::unique_ptr<ListeningPort>(new ListeningPort(*this, port, factory)));
  return *ports_.back();
}

void Reactor::connect_tcp(std::uint16_t port, ClientFactory& factory) {
  adopt(std::make_unique<Connection>(*this, tcp::connect(port), factory)).start();
}

Connection& Reactor::adopt(std::unique_ptr<Connection> c) {
  Connection& ref = *c;
  connections_.emplace(&ref, std::move(c));
  return ref;
}

void Reactor::forget(Connection& c) {
  engine_.call_soon([this, p = &c] { connections_.erase(p); });
}

std::span<std::byte> Reactor::read_buffer() {
  if (read_buffer_.empty()) read_buffer_.resize(64 * 1024);
  return read_buffer_;
}

}  // namespace cmbench::callbacks
