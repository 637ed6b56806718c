#include "models/coroutines/task.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "models/coroutines/event_loop.hpp"

namespace cmbench::coroutines {
namespace detail {
namespace {

// The task whose step is running on this thread; null between steps.
constinit thread_local TaskCore* running = nullptr;
// Debug mode on this thread's loop: new frames record where they were created.
constinit thread_local bool track_origins = false;
// How many more tasks the step running now may switch into directly (next_step).
constinit thread_local int chain_left = 0;

std::string symbol(void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0) return "?";
  if (info.dli_sname) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(info.dli_sname, nullptr, nullptr, &status), std::free);
    return status == 0 ? name.get() : info.dli_sname;
  }
  char offset[32];
  std::snprintf(
      offset, sizeof offset, "+0x%zx",
      static_cast<std::size_t>(static_cast<char*>(address) - static_cast<char*>(info.dli_fbase)));
  return std::string(info.dli_fname ? info.dli_fname : "?") + offset;
}

}  // namespace

struct Origin {
  static constexpr int depth = 10;
  void* frames[depth];
  int captured = 0;
  std::source_location where;  // create_task's caller, for tasks
  bool has_where = false;

  // The symbols above our own machinery: the coroutine's ramp (the coroutine function
  // itself) first, then its callers.
  std::vector<std::string> stack() const {
    std::vector<std::string> names;
    for (int i = 0; i < captured && names.size() < 4; ++i) {
      std::string name = symbol(frames[i]);
      if (name.find("cmbench::coroutines::detail::") == std::string::npos)
        names.push_back(std::move(name));
    }
    return names;
  }
};

void set_origin_tracking(bool on) noexcept {
  track_origins = on;
}

TaskCore::TaskCore() noexcept {
  if (track_origins) {
    try {
      capture_origin();
    } catch (...) {  // no memory for the record: debug mode goes without it
    }
  }
}

TaskCore::~TaskCore() {
  delete origin_;
}

void TaskCore::capture_origin() {
  origin_ = new Origin;
  origin_->captured = backtrace(origin_->frames, Origin::depth);
}

TaskCore& TaskCore::current() {
  if (!running)
    throw InvalidStateError("co_await outside a task: run it with run() or create_task()");
  return *running;
}

TaskCore* TaskCore::current_or_null() noexcept {
  return running;
}

std::string TaskCore::name() const {
  return name_.empty() ? "Task-" + std::to_string(id_) : name_;
}

std::string TaskCore::describe() const {
  static constexpr const char* states[] = {"created", "inlined", "scheduled",
                                           "running", "waiting", "done"};
  std::string text = "<" + name() + " " + states[static_cast<int>(state_)];
  if (state_ == State::done)
    text += cancelled_ ? " cancelled" : error_ ? " exception=" + coroutines::describe(error_) : "";
  if (origin_ && origin_->has_where)
    text += " created at " + std::string(origin_->where.file_name()) + ":" +
            std::to_string(origin_->where.line());
  return text + ">";
}

bool TaskCore::cancel() noexcept {
  if (!is_task() || state_ == State::done) return false;
  cancel_requested_ = true;
  // Waiting: the awaiter either withdraws (then the cancel is delivered by waking the task
  // now, and its await_resume raises), or passes the cancel on and keeps waiting. Scheduled
  // or running: the cancel stays pending until the task next suspends (or starts).
  if (state_ == State::waiting && waiting_->withdraw()) {
    cancel_requested_ = false;
    wake();
  }
  return true;
}

void TaskCore::wake() noexcept {
  trace::woken(trace_id(), trace::Cause::event);
  waiting_ = nullptr;
  state_ = State::scheduled;
  loop_->engine_.call_soon(Step{this});
}

void TaskCore::wake_now() noexcept {
  if (loop_->engine_.ready_before_timers()) return wake();  // they go first, as in asyncio
  trace::woken(trace_id(), trace::Cause::event);
  waiting_ = nullptr;
  state_ = State::scheduled;
  step(this);
}

void TaskCore::step(TaskCore* task) noexcept {
  EventLoop& loop = *task->loop_;
  task->state_ = State::running;
  TaskCore* outer = running;
  running = task;
  // An eager task's first step runs nested in its creator's, which must go on before any
  // other task runs: no switching from there.
  const int chain_saved = chain_left;
  chain_left = outer ? 0 : chain_budget;
  // One look at the recorder's flag per step, kept for its end too.
  const bool traced = trace::on();
  if (traced) [[unlikely]]
    trace::record(trace::Kind::resumed, task->trace_id());
  if (!loop.debug_) {
    task->resume_.resume();  // may finish the task and free it: `task` is not used after
  } else {
    TaskRef keep(task);
    std::int64_t start = monotonic_ns();
    task->resume_.resume();
    std::int64_t took = monotonic_ns() - start;
    if (took > loop.slow_.count()) {
      trace::slow(task->trace_id(), took);
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(took) / 1e9);
      loop.report("executing " + task->describe() + " took " + seconds +
                  " seconds: a step that long blocks every other task");
    }
  }
  running = outer;
  chain_left = chain_saved;
  // An eager task's first step ran nested in its creator's: the creator goes on now.
  if (traced && outer) [[unlikely]]
    trace::record(trace::Kind::resumed, outer->trace_id());
}

void TaskCore::watch(DoneWatch& w) noexcept {
  w.prev = last_watcher_;
  w.next = nullptr;
  w.linked = true;
  (last_watcher_ ? last_watcher_->next : watchers_) = &w;
  last_watcher_ = &w;
}

void TaskCore::unwatch(DoneWatch& w) noexcept {
  if (!w.linked) return;
  (w.prev ? w.prev->next : watchers_) = w.next;
  (w.next ? w.next->prev : last_watcher_) = w.prev;
  w.prev = w.next = nullptr;
  w.linked = false;
}

std::coroutine_handle<> TaskCore::at_final_suspend() noexcept {
  if (state_ == State::inlined) {
    state_ = State::done;
    return continuation_;  // back into the awaiting frame, by symmetric transfer
  }
  EventLoop& loop = *loop_;
  finish();  // may free this frame
  return next_step(loop);
}

std::coroutine_handle<> TaskCore::next_step(EventLoop& loop) noexcept {
  if (chain_left <= 0 || !loop.direct_switch_ || loop.debug_ || trace::on()) [[unlikely]]
    return std::noop_coroutine();
  Callback* next = loop.engine_.next_in_turn();
  Step* call = next ? next->target<Step>() : nullptr;
  if (call == nullptr) return std::noop_coroutine();
  TaskCore* task = call->task;
  loop.engine_.drop_next();
  --chain_left;
  task->state_ = State::running;
  running = task;
  return task->resume_;
}

void TaskCore::finish() noexcept {
  state_ = State::done;
  if (error_) {
    try {
      std::rethrow_exception(error_);
    } catch (const CancelledError&) {
      cancelled_ = true;
    } catch (...) {
    }
  }
  trace::finished(trace_id(), cancelled_ ? trace::Outcome::cancelled
                              : error_   ? trace::Outcome::exception
                                         : trace::Outcome::ok);
  // Oldest watcher first; a watcher may unlink others (gather resolving early) meanwhile.
  while (DoneWatch* w = watchers_) {
    unwatch(*w);
    w->fired(*w);
  }
  loop_->unlink(*this);
  drop_ref();  // the loop's: a task nobody holds is freed here
}

void TaskCore::release() noexcept {
  bool debug = origin_ || (loop_ && loop_->debug_);
  if (debug) {
    try {
      if (state_ == State::created) {
        EventLoop& loop = loop_ ? *loop_ : EventLoop::current();
        std::vector<std::string> stack = origin_ ? origin_->stack() : std::vector<std::string>{};
        std::string text = "coroutine " + (stack.empty() ? "?" : stack[0]) + " was never awaited";
        for (std::size_t i = 1; i < stack.size(); ++i)
          text += (i == 1 ? "; created from " : " <- ") + stack[i];
        loop.report(text);
      } else if (is_task() && !retrieved_) {
        loop_->report("task " + describe() +
                      " was never awaited: its result or exception was never looked at");
      }
    } catch (...) {  // reporting must not throw out of a destructor path
    }
  }
  self_.destroy();
}

void TaskCore::become_task(EventLoop& loop, std::string name, const std::source_location& where) {
  if (state_ != State::created)
    throw InvalidStateError("create_task: the coroutine was already started or scheduled");
  loop_ = &loop;
  id_ = ++loop.next_id_;
  name_ = std::move(name);
  if (loop.debug_) {
    if (!origin_) origin_ = new Origin;
    origin_->where = where;
    origin_->has_where = true;
  }
  loop.link(*this);
  if (trace::on()) {
    trace::created(trace_id());
    trace::named(trace_id(), trace::intern(this->name()));
  }
  add_ref();  // the loop's, until the task is done
  resume_ = self_;
  state_ = State::scheduled;
  if (loop.eager_ && EventLoop::running() == &loop)
    step(this);  // its first step now, nested in the creator's (which resumes after it)
  else
    loop.engine_.call_soon(Step{this});
}

void schedule(TaskCore& core, std::string name, const std::source_location& where) {
  EventLoop* loop = EventLoop::running();
  if (!loop) throw InvalidStateError("create_task: no running event loop (use run())");
  core.become_task(*loop, std::move(name), where);
}

}  // namespace detail

TaskRef current_task() noexcept {
  return TaskRef(detail::TaskCore::current_or_null());
}

}  // namespace cmbench::coroutines
