#include "future.hpp"

#include <cstdio>
#include <string>

#include "io_loop.hpp"

namespace cmbench::futures::detail {
namespace {

void report(std::string_view what) noexcept {
  if (current_loop) return current_loop->reactor().report_error(what);
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

void call_on_next_turn(Callback cb) {
  current_loop->reactor().call_soon(std::move(cb));
}

}  // namespace cmbench::futures::detail
