// The blocking models' runtime is the C library: sequential code and OS threads wait in
// nanosleep, read, accept, pthread_join, waitpid. These definitions stand in front of the
// library's (the executable's symbols come first in the dynamic linker's search), so while
// a trace is recorded each such call shows as the thread blocked on a timer, a socket, a
// join or a child, and each thread made by pthread_create is a task of its own, created by
// the task that made it. They call the next definition (the C library's, or a sanitizer's
// interceptor, which keeps seeing every call).
//
// Off (no trace recorded): one relaxed load and a predicted branch per call, beside a
// system call of ≈ 167 ns. Event loops' threads are left alone (LoopScope): their sockets
// never block, and their idle time is recorded by the reactor around epoll.
// Not seen: waits inside the C library itself (a mutex's futex, a condition variable):
// the runtimes that use them record those waits themselves (the offload pool, TBB).
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "models/core/trace.hpp"

#if CMBENCH_TRACE

namespace {

using cmbench::trace::Wait;

// The next definition of `name` after ours, looked up once.
void* next(std::atomic<void*>& cache, const char* name) noexcept {
  void* f = cache.load(std::memory_order_relaxed);
  if (!f) {
    f = dlsym(RTLD_NEXT, name);
    cache.store(f, std::memory_order_relaxed);
  }
  return f;
}

bool watched() noexcept {
  return cmbench::trace::on() && !cmbench::trace::on_loop_thread();
}

// The thread runs again; errno stays what the call set.
void unblocked_keeping_errno() noexcept {
  int saved = errno;
  cmbench::trace::unblocked();
  errno = saved;
}

struct ThreadStart {
  void* (*fn)(void*);
  void* arg;
  cmbench::trace::TaskId task;
  const char* name;  // interned: "thread 3"
};

[[maybe_unused]] void* run_thread_task(void* p) {
  ThreadStart s = *static_cast<ThreadStart*>(p);
  delete static_cast<ThreadStart*>(p);
  if (s.name) cmbench::trace::name_thread(s.name);
  cmbench::trace::resumed(s.task);
  void* r = s.fn(s.arg);
  cmbench::trace::finished(s.task);
  return r;
}

std::atomic<unsigned> threads_made{0};

}  // namespace

// Called by start(): threads are numbered from 1 in each recording. Being referenced from
// trace.cpp, it also makes sure the linker takes these definitions into every program
// that records.
void cmbench::trace::restart_thread_numbers() noexcept {
  threads_made.store(0, std::memory_order_relaxed);
}

// `real`: the next definition of `name`.
#define CMBENCH_NEXT(name)                        \
  static std::atomic<void*> real_##name{nullptr}; \
  auto real = reinterpret_cast<decltype(&::name)>(next(real_##name, #name))

// The call, with the thread shown blocked on `wait` meanwhile while a trace is recorded.
#define CMBENCH_BLOCKING(wait, ...) \
  if (!watched()) [[likely]]        \
    return real(__VA_ARGS__);       \
  cmbench::trace::blocked(wait);    \
  auto result = real(__VA_ARGS__);  \
  unblocked_keeping_errno();        \
  return result

extern "C" {

int nanosleep(const timespec* req, timespec* rem) {
  CMBENCH_NEXT(nanosleep);
  CMBENCH_BLOCKING(Wait::timer, req, rem);
}

int clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem) {
  CMBENCH_NEXT(clock_nanosleep);
  CMBENCH_BLOCKING(Wait::timer, clock, flags, req, rem);
}

int usleep(useconds_t us) {
  CMBENCH_NEXT(usleep);
  CMBENCH_BLOCKING(Wait::timer, us);
}

// Descriptors: not under ThreadSanitizer. TSan is told to ignore what libuv asks of the C
// library (tests/tsan.supp: libuv closes descriptors behind its back), which it can only do
// when libuv calls the C library, or TSan's interceptor, directly; through these
// definitions every such call would come from this program instead. So a TSan build shows
// sleeps, joins and children but no blocking socket or pipe waits.
#if !defined(__SANITIZE_THREAD__)

ssize_t read(int fd, void* buf, size_t n) {
  CMBENCH_NEXT(read);
  CMBENCH_BLOCKING(Wait::read, fd, buf, n);
}

ssize_t write(int fd, const void* buf, size_t n) {
  CMBENCH_NEXT(write);
  CMBENCH_BLOCKING(Wait::write, fd, buf, n);
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  CMBENCH_NEXT(recv);
  CMBENCH_BLOCKING(Wait::read, fd, buf, n, flags);
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  CMBENCH_NEXT(send);
  CMBENCH_BLOCKING(Wait::write, fd, buf, n, flags);
}

int connect(int fd, const sockaddr* addr, socklen_t len) {
  CMBENCH_NEXT(connect);
  CMBENCH_BLOCKING(Wait::write, fd, addr, len);
}

int accept(int fd, sockaddr* addr, socklen_t* len) {
  CMBENCH_NEXT(accept);
  CMBENCH_BLOCKING(Wait::read, fd, addr, len);
}

int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  CMBENCH_NEXT(accept4);
  CMBENCH_BLOCKING(Wait::read, fd, addr, len, flags);
}

int poll(pollfd* fds, nfds_t n, int timeout) {
  CMBENCH_NEXT(poll);
  CMBENCH_BLOCKING(Wait::read, fds, n, timeout);
}

#endif  // !__SANITIZE_THREAD__

pid_t waitpid(pid_t pid, int* status, int options) {
  CMBENCH_NEXT(waitpid);
  if (options & WNOHANG) return real(pid, status, options);
  CMBENCH_BLOCKING(Wait::process, pid, status, options);
}

int pthread_join(pthread_t t, void** ret) {
  CMBENCH_NEXT(pthread_join);
  CMBENCH_BLOCKING(Wait::join, t, ret);
}

// Threads as tasks: not under ThreadSanitizer either, whose own pthread_create is costly
// enough (≈ 3 ms a thread here) that the servers' thread-per-connection tests need every
// microsecond; a TSan build shows each thread as a lane and a task of its own all the same.
#if !defined(__SANITIZE_THREAD__)
int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  CMBENCH_NEXT(pthread_create);
  if (!cmbench::trace::on()) [[likely]]
    return real(t, attr, fn, arg);
  auto* start = new (std::nothrow) ThreadStart{fn, arg, cmbench::trace::fresh_id(), nullptr};
  if (!start) return real(t, attr, fn, arg);
  cmbench::trace::created(start->task);
  try {
    unsigned n = threads_made.fetch_add(1, std::memory_order_relaxed) + 1;
    start->name = cmbench::trace::intern("thread " + std::to_string(n));
    cmbench::trace::named(start->task, start->name);
  } catch (...) {
  }
  int r = real(t, attr, run_thread_task, start);
  if (r != 0) {
    cmbench::trace::finished(start->task, cmbench::trace::Outcome::exception);
    delete start;
  }
  return r;
}

#endif  // !__SANITIZE_THREAD__
}  // extern "C"

#else
void cmbench::trace::restart_thread_numbers() noexcept {}
#endif  // CMBENCH_TRACE
