// Compiled with --param=tsan-instrument-func-entry-exit=0 under TSan (tsan_fibers.hpp).
#include "tsan_fibers.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>

#include <boost/fiber/detail/fss.hpp>
#include <boost/fiber/fiber.hpp>
#include <utility>

// Exported by libtsan, not declared in GCC 12's <sanitizer/tsan_interface.h>.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();

namespace cmbench::fibers::detail {
namespace {

using boost::fibers::context;
using Cleanup = boost::fibers::detail::fss_cleanup_function;

// A finished fiber's TSan fiber, from its context::terminate() (which drops the context's
// fiber-specific data, on the fiber itself) to its switch away, after which it is destroyed.
thread_local void* finished = nullptr;

struct OnTerminate final : Cleanup {
  void operator()(void* tsan_fiber) override { finished = tsan_fiber; }
};

const char key = 0;  // the fiber-specific slot of a context's TSan fiber

const Cleanup::ptr_t& on_terminate() {
  static const Cleanup::ptr_t cleanup(new OnTerminate);
  return cleanup;
}

// The context's TSan fiber, created on its first switch in. A context is only touched by
// the thread that runs or resumes it.
void* tsan_fiber(context* ctx) {
  void* fiber = ctx->get_fss_data(&key);
  if (!fiber) {
    fiber = __tsan_create_fiber(0);
    ctx->set_fss_data(&key, on_terminate(), fiber, false);
  }
  return fiber;
}

// What the pool's fibers run. A type of this file's own, so that Boost's templates for the
// fiber's first and last frames are instantiated here only.
struct Start {
  void (*run)(void*);
  void* arg;
  void operator()() const { run(arg); }
};

}  // namespace

TsanWorkStealing::TsanWorkStealing(std::uint32_t threads, bool suspend)
    : PoolAlgorithm(threads, suspend) {
  // The thread's main context runs on the thread's own TSan state.
  context::active()->set_fss_data(&key, on_terminate(), __tsan_get_current_fiber(), false);
}

void TsanWorkStealing::awakened(context* ctx) noexcept {
  __tsan_release(ctx);
  PoolAlgorithm::awakened(ctx);
}

context* TsanWorkStealing::pick_next() noexcept {
  context* next = PoolAlgorithm::pick_next();
  context* self = context::active();
  if (next && next != self) {  // the caller switches to it at once
    __tsan_acquire(next);
    void* dead = self->terminated_is_linked() ? std::exchange(finished, nullptr) : nullptr;
    __tsan_switch_to_fiber(tsan_fiber(next), 0);
    if (dead) __tsan_destroy_fiber(dead);
  }
  return next;
}

context* TsanWorkStealing::steal() noexcept {
  // The queue is Boost's inline code, compiled here, against a push in libboost_fiber.
  __tsan_ignore_thread_begin();
  context* ctx = work_stealing::steal();
  __tsan_ignore_thread_end();
  if (ctx) __tsan_acquire(ctx);
  return ctx;
}

void start_pool_fiber(void (*run)(void*), void* arg) {
  boost::fibers::fiber(boost::fibers::launch::post, Start{run, arg}).detach();
}

}  // namespace cmbench::fibers::detail
#endif
