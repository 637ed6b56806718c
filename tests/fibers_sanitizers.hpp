// Where the sanitizers cannot follow greenlets, for the tests that run them
// (fibers_test.cpp, fibers_io_test.cpp).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace cmbench::fibers {

// ASan and greenlets. Debian's Boost.Context switches stacks without telling ASan (it is
// not built with BOOST_USE_ASAN), so the redzones of greenlet frames that are never
// returned from (unwound by an exception, or a finished greenlet's last frames) stay
// poisoned, ASan cannot clear them (it "ignores __asan_handle_no_return" on a stack it does
// not know), and a later greenlet on the same memory is reported for a stack-buffer-overflow
// that is not there, often inside ASan's own sigaltstack call. Without stack redzones
// (CMBENCH_FIBER_ASAN_OPTIONS in the top-level CMakeLists.txt: --param=asan-stack=0
// -fno-sanitize-address-use-after-scope for the code that runs on greenlet stacks) ASan
// keeps its heap checks and every test runs clean. A build without them fails the tests at
// once, naming the flags.
inline constexpr const char* asan_stack_frames =
    "ASan checks stack frames here, which it cannot do on Boost.Context's stacks: build "
    "models/core, models/fibers and the fibers tests with --param=asan-stack=0 "
    "-fno-sanitize-address-use-after-scope";

// Whether ASan puts redzones around the fibers tests' stack variables.
__attribute__((noinline)) inline bool asan_checks_stack_frames() {
#if defined(__SANITIZE_ADDRESS__)
  volatile char frame[32];
  frame[0] = 0;
  return __asan_address_is_poisoned(const_cast<char*>(frame) + sizeof frame) != 0;
#else
  return false;
#endif
}

// TSan and the work-stealing pool. TSan keeps one shadow call stack per thread, and Boost
// 1.74 does not annotate its fiber switches: a greenlet that parked on one of the pool's
// threads and resumed on the other would underflow the second's shadow stack and crash TSan.
// Under TSan the pool gives every Boost context a TSan fiber of its own and annotates each
// switch (models/fibers/tsan_fibers.hpp), so its tests run there as everywhere else.

}  // namespace cmbench::fibers
