// Offloaded<F>: a call handed to another thread and its outcome, for the event loops'
// run_in_executor (futures) and to_thread (coroutines): the thread calls run(), which keeps
// what fn returned (or std::monostate for void) or the exception it threw; the loop thread
// reads them afterwards. The reactor's hand-off back to the loop (a mutex) orders the
// thread's writes before the loop's reads; nothing here is synchronised by itself.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace cmbench {

template <class F>
struct Offloaded {
  using R = std::invoke_result_t<F&>;
  using Value = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

  F fn;
  std::optional<Value> value;
  std::exception_ptr error;

  void run() noexcept {
    try {
      if constexpr (std::is_void_v<R>) {
        fn();
        value.emplace();
      } else {
        value.emplace(fn());
      }
    } catch (...) {
      error = std::current_exception();
    }
  }
};

}  // namespace cmbench
