#include "greenlet.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <typeinfo>

namespace cmbench::fibers {

// How a fiber's context leads to its greenlet: Boost gives every context one
// fiber_properties pointer, which it deletes with the context. Ours is a pointer to the
// core, taken from a per-thread free list, since a greenlet is spawned every few hundred ns.
struct GreenletCore::Local final : boost::fibers::fiber_properties {
  Local(context* ctx, GreenletCore* c) noexcept : fiber_properties(ctx), core(c) {}
  GreenletCore* core;

  static void* operator new(std::size_t size) {
    if (free_list) return std::exchange(free_list, free_list->next);
    return ::operator new(size);
  }
  static void operator delete(void* p) noexcept {
    // Returned to this thread's list, whichever thread took it: lists only grow to the
    // most greenlets that ever finished between two spawns on the thread.
    auto* block = static_cast<Free*>(p);
    block->next = free_list;
    free_list = block;
  }

 private:
  struct Free {
    Free* next;
  };
  static thread_local Free* free_list;
};

thread_local GreenletCore::Local::Free* GreenletCore::Local::free_list = nullptr;

GreenletCore::GreenletCore() : hub_(Hub::current()) {}

GreenletCore* GreenletCore::of(context* ctx) noexcept {
  auto* props = ctx->get_properties();
  return props ? static_cast<Local*>(props)->core : nullptr;
}

GreenletCore* GreenletCore::current() noexcept {
  // On a hub, the hub knows whom it last switched to: no call into Boost's thread-local
  // lookup (context::active() is a third of a yield's cost).
  if (Hub* hub = Hub::current()) return hub->running();
  return of(context::active());
}

bool GreenletCore::successful() const noexcept {
  if (!ready()) return false;
  SpinGuard lock(lock_);
  if (!error_) return true;
  try {
    std::rethrow_exception(error_);
  } catch (const GreenletExit&) {
    return true;
  } catch (...) {
    return false;
  }
}

std::exception_ptr GreenletCore::exception() const noexcept {
  SpinGuard lock(lock_);
  return error_;
}

void GreenletCore::start() noexcept {
  ctx_ = context::active();
  started_ = true;
  local_ = new Local(ctx_, this);
  ctx_->set_properties(local_);
  // An eager child starts without the hub's pick: tell the hub it runs.
  if (hub_) hub_->running(this);
  trace::resumed(trace_id(this));
}

std::exception_ptr GreenletCore::take_interrupt() noexcept {
  pending_from_ = nullptr;
  return std::exchange(pending_, nullptr);
}

namespace {

thread_local GreenletErrorHandler error_handler;

// "<Greenlet at 0x…> failed with std::runtime_error: disk full", as gevent's hub prints;
// nothing for GreenletExit (a kill is not an error).
void report_failure(const GreenletCore* g, const std::exception_ptr& error) noexcept {
  try {
    std::string what, type = "an exception";
    try {
      std::rethrow_exception(error);
    } catch (const GreenletExit&) {
      return;
    } catch (...) {
      if (const std::type_info* t = abi::__cxa_current_exception_type()) type = t->name();
      try {
        throw;
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
    }
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(type.c_str(), nullptr, nullptr, &status), std::free);
    if (status == 0) type = name.get();
    char at[32];
    std::snprintf(at, sizeof at, "%p", static_cast<const void*>(g));
    std::string line = std::string("<Greenlet at ") + at + "> failed with " + type +
                       (what.empty() ? "" : ": " + what);
    if (error_handler) return error_handler(line);
    std::fprintf(stderr, "%s\n", line.c_str());
  } catch (...) {  // reporting must not throw out of a finishing greenlet
  }
}

}  // namespace

GreenletErrorHandler set_greenlet_error_handler(GreenletErrorHandler h) {
  return std::exchange(error_handler, std::move(h));
}

void GreenletCore::finish(std::exception_ptr error) noexcept {
  Callback link;
  bool unwatched = false;  // failed, with no greenlet joining it and no link
  {
    SpinGuard lock(lock_);
    unwatched = error && joiners_.empty() && !on_finish_;
    error_ = std::move(error);
    done_.store(true, std::memory_order_release);
    joiners_.notify_all();
    link = std::move(on_finish_);
  }
  // The context outlives this core by a little (Boost frees it later): unhook it.
  local_->core = nullptr;
  ctx_ = nullptr;
  if (hub_) hub_->running(nullptr);
  if (link) link();
  if (unwatched) [[unlikely]]
    report_failure(this, exception());
  if (trace::on()) [[unlikely]]
    trace_finished();
  if (hub_) hub_->finished(this);
}

void GreenletCore::trace_finished() const noexcept {
  trace::Outcome outcome = trace::Outcome::ok;
  if (std::exception_ptr e = exception()) {
    outcome = trace::Outcome::exception;
    try {
      std::rethrow_exception(e);
    } catch (const GreenletExit&) {
      outcome = trace::Outcome::cancelled;
    } catch (...) {
    }
  }
  trace::finished(trace_id(this), outcome);
}

void GreenletCore::join() {
  SpinGuard lock(lock_);
  if (done_.load(std::memory_order_relaxed)) {
    lock.unlock();
    interruption_point();
    return;
  }
  if (GreenletCore::current() == this)
    throw std::logic_error("fibers: a greenlet cannot join itself");
  joiners_.wait(lock, trace::Wait::join);
}

bool GreenletCore::join(std::chrono::nanoseconds timeout) {
  SpinGuard lock(lock_);
  if (done_.load(std::memory_order_relaxed)) return true;
  if (GreenletCore::current() == this)
    throw std::logic_error("fibers: a greenlet cannot join itself");
  return joiners_.wait_until(lock, monotonic_ns() + timeout.count(), trace::Wait::join);
}

void GreenletCore::interrupt(std::exception_ptr error, const void* from) noexcept {
  if (ready()) return;
  if (!pending_) {
    pending_ = std::move(error);
    pending_from_ = from;
  }
  if (parked_ && parked_->withdraw()) {
    parked_ = nullptr;
    // A Timeout's timer, or kill() from a greenlet (the trace names it).
    wake(ctx_, from ? trace::Cause::timer : trace::Cause::event);
  }
}

void GreenletCore::kill(std::exception_ptr error, bool block) {
  if (!hub_ || Hub::current() != hub_)
    throw std::logic_error(
        "fibers: kill() works on the greenlet's own hub thread only (greenlets on the "
        "work-stealing pool cannot be killed)");
  if (ready()) return;
  if (GreenletCore::current() == this) std::rethrow_exception(error);
  interrupt(std::move(error), nullptr);
  if (block) join();
}

void GreenletCore::kill(bool block) {
  kill(std::make_exception_ptr(GreenletExit{}), block);
}

void GreenletCore::on_finish(Callback cb) {
  {
    SpinGuard lock(lock_);
    if (!done_.load(std::memory_order_relaxed)) {
      on_finish_ = std::move(cb);
      return;
    }
  }
  cb();
}

namespace detail {

void trace_woken(context* ctx, trace::Cause cause) noexcept {
  if (GreenletCore* g = GreenletCore::of(ctx)) trace::woken(trace_id(g), cause);
}

void no_scheduler(const char* what) {
  throw std::logic_error(std::string(what) +
                         " needs a scheduler: call it inside fibers::run() (the hub) or "
                         "fibers::run_work_stealing()");
}

}  // namespace detail
}  // namespace cmbench::fibers
