#include "shared_stack.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace cmbench::fibers::shared_stack {
namespace {

namespace fctx = boost::context::detail;

thread_local Loop* this_thread_loop = nullptr;

// Switches between greenlets at most before timers and I/O get a turn (the hub's bound).
constexpr std::size_t poll_interval = 64;

std::size_t page_size() {
  static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// A suspended frame may hold ASan redzones (code built with stack instrumentation): the
// copy is not an access to them, so their shadow is cleared first.
void unpoison(const void* p, std::size_t n) noexcept {
#if defined(__SANITIZE_ADDRESS__)
  __asan_unpoison_memory_region(p, n);
#else
  (void)p;
  (void)n;
#endif
}

trace::TaskId trace_id(const Task* t) noexcept {
  return reinterpret_cast<std::uintptr_t>(t);
}

}  // namespace

Task::~Task() {
  std::free(saved_);
}

void Task::join() {
  if (done_) return;
  Loop& loop = Loop::require("fibers::shared_stack join");
  Task* me = loop.running();
  if (me == nullptr) throw std::logic_error("fibers::shared_stack: join outside a greenlet");
  if (me == this) throw std::logic_error("fibers::shared_stack: a greenlet cannot join itself");
  // Joiners wait in a LIFO chain and are made ready in the order they came (finish()).
  me->next_ready_ = first_joiner_;
  first_joiner_ = me;
  loop.park(trace::Wait::join);
}

Loop::Loop(const Options& options) {
  if (this_thread_loop)
    throw std::logic_error("fibers::shared_stack::run: this thread already runs a loop");
  const std::size_t page = page_size();
  if (options.stack_size < 4 * page || options.stack_size % page != 0)
    throw std::invalid_argument("fibers::shared_stack: stack_size must be a multiple of " +
                                std::to_string(page) + " bytes and at least four pages");
  stack_size_ = options.stack_size;
  mapping_bytes_ = stack_size_ + page;
  void* m = mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED)
    throw std::system_error(errno, std::generic_category(), "fibers::shared_stack: the stack");
  mapping_ = static_cast<char*>(m);
  if (mprotect(mapping_, page, PROT_NONE) != 0) {
    const int error = errno;
    munmap(mapping_, mapping_bytes_);
    throw std::system_error(error, std::generic_category(), "fibers::shared_stack: guard page");
  }
  top_ = mapping_ + mapping_bytes_;
  this_thread_loop = this;
}

Loop::~Loop() {
  // Only after a deadlock are greenlets left: their frames are dropped unrun (what they
  // own leaks), and the loop's references to them go.
  while (Task* t = ready_head_) {
    ready_head_ = t->next_ready_;
    t->release();
  }
  this_thread_loop = nullptr;
  munmap(mapping_, mapping_bytes_);
}

Loop* Loop::current() noexcept {
  return this_thread_loop;
}

Loop& Loop::require(const char* what) {
  if (!this_thread_loop)
    throw std::logic_error(std::string(what) + " needs fibers::shared_stack::run()");
  return *this_thread_loop;
}

void Loop::start(Task* t) {
  trace::created(trace_id(t));  // by the greenlet running now, if one is
  t->add_ref();                 // the loop's, until it has finished
  ++live_;
  make_ready(t);
}

void Loop::make_ready(Task* t) noexcept {
  t->next_ready_ = nullptr;
  (ready_tail_ ? ready_tail_->next_ready_ : ready_head_) = t;
  ready_tail_ = t;
}

// Not instrumented by TSan: it never returns (the last switch leaves it), so its entry in
// TSan's shadow call stack would never be popped, one per greenlet.
#if defined(__SANITIZE_THREAD__)
__attribute__((no_sanitize("thread")))
#endif
void Loop::entry(fctx::transfer_t from) {
  Loop* loop = this_thread_loop;
  loop->loop_context_ = from.fctx;
  auto* t = static_cast<Task*>(from.data);
  const bool ok = t->body();
  t->done_ = true;
  // Its joiners, in the order they joined (the chain is newest first).
  Task* reversed = nullptr;
  while (Task* j = t->first_joiner_) {
    t->first_joiner_ = j->next_ready_;
    j->next_ready_ = reversed;
    reversed = j;
  }
  while (Task* j = reversed) {
    reversed = j->next_ready_;
    trace::woken(trace_id(j), trace::Cause::task);
    loop->make_ready(j);
  }
  trace::finished(trace_id(t), ok ? trace::Outcome::ok : trace::Outcome::exception);
  fctx::jump_fcontext(loop->loop_context_, nullptr);
  std::abort();  // a finished greenlet is never resumed
}

void Loop::park(trace::Wait on) noexcept {
  trace::suspended(trace_id(running_), on);
  fctx::transfer_t back = fctx::jump_fcontext(loop_context_, nullptr);
  loop_context_ = back.fctx;
}

void Loop::save(Task* t) {
  const auto* sp = static_cast<const char*>(t->context_);
  const std::size_t n = static_cast<std::size_t>(top_ - sp);
  if (n > t->saved_capacity_) {
    void* grown = std::realloc(t->saved_, n);
    if (grown == nullptr) throw std::bad_alloc();
    t->saved_ = static_cast<char*>(grown);
    t->saved_capacity_ = n;
  }
  unpoison(sp, n);
  std::memcpy(t->saved_, sp, n);
  t->saved_size_ = n;
  copied_ += n;
}

void Loop::restore(Task* t) noexcept {
  char* sp = top_ - t->saved_size_;
  unpoison(sp, t->saved_size_);
  std::memcpy(sp, t->saved_, t->saved_size_);
  copied_ += t->saved_size_;
}

void Loop::switch_to(Task* t) {
  if (resident_ != t) {
    if (resident_) save(resident_);
    if (t->started_) restore(t);
    resident_ = t;
  }
  if (!t->started_) {
    t->started_ = true;
    t->context_ = fctx::make_fcontext(top_, stack_size_, &Loop::entry);
  }
  running_ = t;
  trace::resumed(trace_id(t));
  fctx::transfer_t back = fctx::jump_fcontext(t->context_, t);
  running_ = nullptr;
  if (t->done_) {
    resident_ = nullptr;  // its frames are gone: nothing to save
    --live_;
    t->release();
  } else {
    t->context_ = back.fctx;
  }
}

void Loop::run(Task* main) {
  start(main);
  std::size_t switches = 0;
  while (live_ > 0) {
    if (ready_head_ == nullptr) {
      if (!engine_.alive())
        throw std::logic_error(
            "fibers::shared_stack::run: every greenlet waits and nothing can wake one");
      engine_.run_once(true);
      continue;
    }
    if (++switches % poll_interval == 0 && !engine_.quiet()) engine_.run_once(false);
    Task* t = ready_head_;
    ready_head_ = t->next_ready_;
    if (ready_head_ == nullptr) ready_tail_ = nullptr;
    switch_to(t);
  }
}

void sleep(std::chrono::nanoseconds d) {
  Loop& loop = Loop::require("fibers::shared_stack::sleep");
  Task* me = loop.running();
  if (me == nullptr) throw std::logic_error("fibers::shared_stack::sleep outside a greenlet");
  if (d.count() <= 0) {
    loop.make_ready(me);
    loop.park(trace::Wait::none);
  } else {
    loop.engine().call_later(d, [&loop, me] {
      trace::woken(trace_id(me), trace::Cause::timer);
      loop.make_ready(me);
    });
    loop.park(trace::Wait::timer);
  }
}

}  // namespace cmbench::fibers::shared_stack
