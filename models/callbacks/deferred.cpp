#include "deferred.hpp"

#include <cstdio>
#include <string>

namespace cmbench::callbacks {
namespace {

thread_local UnhandledErrorHandler unhandled_error_handler;

}  // namespace

std::string Failure::error_message() const {
  if (!error_) return "no failure";
  try {
    std::rethrow_exception(error_);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

UnhandledErrorHandler set_unhandled_error_handler(UnhandledErrorHandler h) {
  return std::exchange(unhandled_error_handler, std::move(h));
}

void detail::report_unhandled(const Failure& f) noexcept {
  try {
    if (unhandled_error_handler) return unhandled_error_handler(f);
    std::fprintf(stderr, "Unhandled error in Deferred: %s\n", f.error_message().c_str());
  } catch (...) {
  }
}

}  // namespace cmbench::callbacks
