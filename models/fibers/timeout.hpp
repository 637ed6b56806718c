// Time in the fibers model: sleep, and Timeout, gevent's way of bounding any blocking code.
//
//   fibers::sleep(10ms);          // gevent.sleep(0.01): parks on a reactor timer
//   fibers::sleep();              // gevent.sleep(0): lets every ready greenlet run first
//
//   {
//     fibers::Timeout t(50ms);    // with gevent.Timeout(0.05):
//     body = sock.recv(buf);      //   raises TimeoutError here if 50 ms pass first
//   }                             // leaving the scope cancels it
//
// A Timeout belongs to the greenlet that creates it; at its deadline it raises TimeoutError
// in that greenlet at its current blocking call (or its next one, if it is not blocked),
// like kill(). Timeouts nest: TimeoutError::is(t) tells which one expired, so an outer
// handler can let an inner timeout's error through.
#pragma once

#include <chrono>
#include <stdexcept>

#include "models/core/engine.hpp"
#include "models/fibers/greenlet.hpp"

namespace cmbench::fibers {

// Parks the calling greenlet for d. d <= 0 yields: the greenlet goes to the back of the
// ready queue. Raises an interrupt that comes meanwhile.
void sleep(std::chrono::nanoseconds d);
inline void sleep() {
  sleep(std::chrono::nanoseconds(0));
}

class Timeout;

class TimeoutError : public std::runtime_error {
 public:
  explicit TimeoutError(const Timeout* source);
  bool is(const Timeout& t) const noexcept { return source_ == &t; }

 private:
  const Timeout* source_;
};

class Timeout {
 public:
  // Starts counting now, for the calling greenlet. Needs the hub.
  explicit Timeout(std::chrono::nanoseconds d);
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;
  ~Timeout() { cancel(); }

  // Stops it; if it has expired but its error has not been raised yet, it never will be.
  void cancel() noexcept;
  bool expired() const noexcept { return expired_; }

 private:
  Hub& hub_;
  Ref<GreenletCore> target_;
  Engine::TimerHandle timer_{};
  bool armed_ = false;
  bool expired_ = false;
};

// Runs fn(); if it has not returned after d, raises TimeoutError from it (gevent's
// with_timeout, without the default value).
template <class F>
decltype(auto) with_timeout(std::chrono::nanoseconds d, F&& fn) {
  Timeout t(d);
  return std::forward<F>(fn)();
}

}  // namespace cmbench::fibers
