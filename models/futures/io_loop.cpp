#include "io_loop.hpp"

#include <cstdio>
#include <string>

namespace cmbench::futures {

IOLoop::IOLoop()
    : engine_(), previous_(detail::current_loop), loop_thread_(std::this_thread::get_id()) {
  detail::current_loop = this;
}

IOLoop::~IOLoop() {
  detail::close_streams(streams_);
  if (detail::current_loop == this) detail::current_loop = previous_;
}

IOLoop& IOLoop::current() {
  if (detail::current_loop) return *detail::current_loop;
  // The thread's own loop, made on first use and current from then on.
  thread_local std::unique_ptr<IOLoop> own;
  if (!own) own = std::make_unique<IOLoop>();
  return *own;
}

IOLoop::Running::Running(IOLoop& loop)
    : previous_(detail::current_loop), previous_thread_(loop.loop_thread_.load()), loop_(loop) {
  detail::current_loop = &loop;
  loop.loop_thread_ = std::this_thread::get_id();
}

IOLoop::Running::~Running() {
  detail::current_loop = previous_;
  loop_.loop_thread_ = previous_thread_;
}

void IOLoop::set_blocking_log_threshold(std::chrono::nanoseconds threshold,
                                        std::function<void(std::string_view)> log) {
  if (!log) return engine_.set_slow_callback(threshold, nullptr);
  engine_.set_slow_callback(threshold, [log = std::move(log)](const Engine::SlowCallback& slow) {
    char line[128];
    std::snprintf(line, sizeof line, "IOLoop blocked for %.3f seconds in %s",
                  static_cast<double>(slow.took.count()) / 1e9, slow.kind);
    log(line);
  });
}

void IOLoop::start() {
  Running running(*this);
  engine_.run();
}

void IOLoop::add_callback(Callback fn) {
  if (loop_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id())
    engine_.call_soon(std::move(fn));
  else
    engine_.call_soon_threadsafe(std::move(fn));
}

void IOLoop::add_handler(int fd, Handler handler, std::uint32_t events) {
  if (handlers_.count(fd))
    throw std::logic_error("add_handler: fd " + std::to_string(fd) + " already has a handler");
  auto watcher = std::make_unique<Watcher>(
      engine_, fd,
      [fd, handler = std::move(handler)](std::uint32_t ready) { handler(fd, ready); });
  watcher->want(events);
  handlers_.emplace(fd, std::move(watcher));
}

void IOLoop::update_handler(int fd, std::uint32_t events) {
  auto it = handlers_.find(fd);
  if (it == handlers_.end())
    throw std::logic_error("update_handler: fd " + std::to_string(fd) + " has no handler");
  it->second->want(events);
}

void IOLoop::remove_handler(int fd) {
  auto it = handlers_.find(fd);
  if (it == handlers_.end()) return;
  // Stop watching now (the caller may close the fd next), but free the watcher on the next
  // turn: the handler being removed may be the one running.
  it->second->want(0);
  engine_.call_soon([gone = std::move(it->second)] {});
  handlers_.erase(it);
}

Future<void> sleep(std::chrono::nanoseconds duration) {
  Future<void> done;
  detail::Access::state(done).set_wait(trace::Wait::timer);  // what its follower waits on
  IOLoop::current().call_later(duration, [done]() mutable {
    detail::Because timer(trace::Cause::timer);
    done.set_result();
  });
  return done;
}

}  // namespace cmbench::futures
