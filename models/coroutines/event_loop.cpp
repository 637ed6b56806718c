#include "models/coroutines/event_loop.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cmbench::coroutines {
namespace detail {
void set_origin_tracking(bool on) noexcept;  // task.cpp
}  // namespace detail

namespace {
constinit thread_local EventLoop* running_loop = nullptr;
}  // namespace

EventLoop::EventLoop() {
  const char* env = std::getenv("CMBENCH_ASYNC_DEBUG");
  if (env && *env && std::strcmp(env, "0") != 0) set_debug(true);
}

EventLoop::~EventLoop() {
  if (running_loop == this) running_loop = nullptr;
}

EventLoop& EventLoop::current() {
  thread_local EventLoop loop;
  return loop;
}

EventLoop* EventLoop::running() noexcept {
  return running_loop;
}

void EventLoop::set_debug(bool on) noexcept {
  debug_ = on;
  detail::set_origin_tracking(on);
}

void EventLoop::report(std::string_view line) const {
  if (on_debug_) return on_debug_(line);
  std::fprintf(stderr, "coroutines: %.*s\n", static_cast<int>(line.size()), line.data());
}

void EventLoop::link(detail::TaskCore& t) noexcept {
  t.prev_task_ = last_task_;
  t.next_task_ = nullptr;
  (last_task_ ? last_task_->next_task_ : first_task_) = &t;
  last_task_ = &t;
  ++live_;
}

void EventLoop::unlink(detail::TaskCore& t) noexcept {
  (t.prev_task_ ? t.prev_task_->next_task_ : first_task_) = t.next_task_;
  (t.next_task_ ? t.next_task_->prev_task_ : last_task_) = t.prev_task_;
  t.prev_task_ = t.next_task_ = nullptr;
  --live_;
}

std::vector<TaskRef> EventLoop::all_tasks() const {
  std::vector<TaskRef> tasks;
  tasks.reserve(live_);
  for (detail::TaskCore* t = first_task_; t; t = t->next_task_) tasks.emplace_back(t);
  return tasks;
}

std::vector<TaskRef> all_tasks() {
  EventLoop* loop = EventLoop::running();
  return loop ? loop->all_tasks() : std::vector<TaskRef>{};
}

void EventLoop::run_main(detail::TaskCore& main) {
  if (running_) throw InvalidStateError("run: this thread's event loop is already running");
  struct Running {
    EventLoop& loop;
    EventLoop* outer;
    explicit Running(EventLoop& l) : loop(l), outer(running_loop) {
      loop.running_ = true;
      running_loop = &loop;
    }
    ~Running() {
      loop.running_ = false;
      running_loop = outer;
    }
  } running(*this);

  if (main.state() == detail::TaskCore::State::created)
    main.become_task(*this, "main", std::source_location::current());
  else if (main.loop() != this)
    throw InvalidStateError("run: main was already started elsewhere");
  main.retrieve();  // run() hands its result or exception to the caller

  detail::DoneWatch stopper;
  stopper.owner = this;
  stopper.fired = [](detail::DoneWatch& w) noexcept {
    static_cast<EventLoop*>(w.owner)->engine_.stop();
  };
  if (!main.done()) main.watch(stopper);
  engine_.run();
  main.unwatch(stopper);
  bool deadlock = !main.done();
  finish_remaining();
  if (deadlock)
    throw std::runtime_error(
        "run: the main task is still waiting, but nothing is left that could wake it "
        "(no timer, socket, thread or ready task): a deadlock. It was cancelled.");
}

// asyncio.run's ending: cancel what is left and let it run its cleanup. A few rounds, for
// cleanup that starts new tasks; a task that still has not finished ignores cancellation.
void EventLoop::finish_remaining() {
  for (int round = 0; round < 3 && live_ > 0; ++round) {
    for (detail::TaskCore* t = first_task_; t; t = t->next_task_) t->cancel();
    engine_.run();
  }
  // asyncio.run's shutdown_default_executor: a to_thread call whose awaiter was cancelled
  // still runs on its thread; wait for it, so that its completion does not land in a later
  // run().
  while (engine_.offloaded() > 0) engine_.run_once(true);
  for (detail::TaskCore* t = first_task_; t; t = t->next_task_)
    report("task " + t->describe() +
           " is still pending after being cancelled at the end of run(): it is left "
           "unfinished (it ignored CancelledError, or waits for something that never "
           "comes)");
}

}  // namespace cmbench::coroutines
