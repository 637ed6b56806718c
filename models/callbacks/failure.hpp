// Failure: an exception travelling down a Deferred's errback chain (Twisted's Failure).
//
// A callback that throws does not unwind anybody's stack: the exception is caught where the
// callback ran and handed, as a Failure, to the next errback, which may be called much later
// and from another part of the program. A Failure is a std::exception_ptr plus the questions
// an errback asks of it, in Twisted's words:
//   f.check<E>()          is it an E (or derived from E)?
//   f.trap<E>()           "I handle E only": rethrows the failure unless it is an E
//   f.raise_exception()   rethrows it (to pass it down the errback chain from an errback)
//   f.error_message()     its what(), for logs
//
// Guarantees: copying a Failure shares the one exception object (like copying an
// exception_ptr). Not guaranteed: a traceback (C++ exceptions carry none).
// Cost: constructing one from an exception_ptr is a copy (an atomic increment); check(),
// trap() and error_message() rethrow the exception to inspect it (≈ 1–2 µs): fine on an
// error path, not in a loop of successes.
// Thread-safety: a value type; the exception object itself is immutable once thrown.
#pragma once

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

namespace cmbench::callbacks {

class Failure {
 public:
  Failure() noexcept = default;  // "no failure": only as a placeholder
  Failure(std::exception_ptr e) noexcept : error_(std::move(e)) {}  // NOLINT: implicit by design
  // Failure(std::runtime_error("refused")): wraps a fresh exception object.
  template <class E>
  requires std::is_base_of_v<std::exception, std::decay_t<E>> Failure(E&& e)
      : error_(std::make_exception_ptr(std::forward<E>(e))) {}  // NOLINT

  explicit operator bool() const noexcept { return static_cast<bool>(error_); }
  const std::exception_ptr& exception() const noexcept { return error_; }

  [[noreturn]] void raise_exception() const { std::rethrow_exception(error_); }

  template <class E>
  bool check() const {
    try {
      std::rethrow_exception(error_);
    } catch (const E&) {
      return true;
    } catch (...) {
      return false;
    }
  }

  // In an errback: handle only an E; any other failure goes on down the errback chain.
  template <class E>
  void trap() const {
    if (!check<E>()) raise_exception();
  }

  std::string error_message() const;

 private:
  std::exception_ptr error_;
};

}  // namespace cmbench::callbacks
