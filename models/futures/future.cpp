#include "future.hpp"

#include <cstdio>
#include <string>
#include <utility>

#include "io_loop.hpp"

namespace cmbench::futures {
namespace {

thread_local UnretrievedExceptionHandler unretrieved_handler;

}  // namespace

UnretrievedExceptionHandler set_unretrieved_exception_handler(UnretrievedExceptionHandler h) {
  return std::exchange(unretrieved_handler, std::move(h));
}

}  // namespace cmbench::futures

namespace cmbench::futures::detail {
namespace {

void report(std::string_view what) noexcept {
  if (current_loop) return current_loop->engine().report_error(what);
  std::fprintf(stderr, "futures: a callback raised: %.*s\n", static_cast<int>(what.size()),
               what.data());
}

}  // namespace

void report_callback_error() noexcept {
  report_exception(std::current_exception(), "");
}

void report_exception(const std::exception_ptr& error, std::string_view context) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    if (context.empty()) return report(e.what());
    try {
      report(std::string(context) + ": " + e.what());
    } catch (...) {
      report(e.what());
    }
  } catch (...) {
    report("an exception not derived from std::exception");
  }
}

void report_unretrieved(const std::exception_ptr& error) noexcept {
  try {
    if (unretrieved_handler) return unretrieved_handler(error);
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "Future exception was never retrieved: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "Future exception was never retrieved\n");
  }
}

void call_on_next_turn(Callback cb) {
  current_loop->engine().call_soon(std::move(cb));
}

}  // namespace cmbench::futures::detail
