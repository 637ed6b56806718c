#include "models/coroutines/errors.hpp"

namespace cmbench::coroutines {

std::string describe(const std::exception_ptr& error) {
  if (!error) return "no exception";
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError& e) {
    return std::string("CancelledError: ") + e.what();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

std::string ExceptionGroup::describe(const std::vector<std::exception_ptr>& errors) {
  std::string text = std::to_string(errors.size()) + " task(s) failed";
  for (const auto& e : errors) text += "; " + coroutines::describe(e);
  return text;
}

IncompleteReadError::IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
    : std::runtime_error(std::to_string(partial.size()) + " bytes read on a total of " +
                         (expected ? std::to_string(*expected) : std::string("undefined")) +
                         " expected bytes"),
      partial_(std::move(partial)),
      expected_(expected) {}

}  // namespace cmbench::coroutines
