#include "models/coroutines/stream_reader.hpp"

#include <algorithm>
#include <stdexcept>

#include "models/coroutines/connection.hpp"

namespace cmbench::coroutines {
namespace detail {
namespace {

using DataWait = Connection::DataWait;

// ---- the reads: each loops "answer from the buffer, or wait for data" ------------------

// Each takes the connection by value: the frame holds it even if the StreamReader goes.

Task<std::string> read_some(std::shared_ptr<Connection> c, std::ptrdiff_t n) {
  if (n == 0) co_return std::string();
  if (n < 0) {
    while (!c->no_more_data()) co_await DataWait(*c);
    co_return c->take(c->buffered().size());
  }
  while (c->buffered().empty()) {
    if (c->no_more_data()) co_return std::string();
    co_await DataWait(*c);
  }
  co_return c->take(std::min(static_cast<std::size_t>(n), c->buffered().size()));
}

Task<std::string> read_exactly(std::shared_ptr<Connection> c, std::size_t n) {
  while (c->buffered().size() < n) {
    if (c->no_more_data()) throw IncompleteReadError(c->take(c->buffered().size()), n);
    co_await DataWait(*c);
  }
  co_return c->take(n);
}

// readuntil, and readline (`line`) which differs only at the end of the stream (it returns
// the partial line) and on an overrun (it drops the line), as asyncio's.
Task<std::string> read_until(std::shared_ptr<Connection> c, std::string separator, bool line) {
  if (separator.empty()) throw std::invalid_argument("readuntil: the separator is empty");
  const std::size_t limit = c->limit();
  std::size_t from = 0;  // where the separator may start, given what was searched before
  for (;;) {
    std::string_view data = c->buffered();
    std::size_t at = data.find(separator, from);
    if (at != std::string_view::npos) {
      if (at <= limit) co_return c->take(at + separator.size());
      if (line) c->drop(at + separator.size());
      throw LimitOverrunError("the separator is found, but the chunk is longer than the limit", at);
    }
    if (data.size() >= separator.size()) from = data.size() + 1 - separator.size();
    if (from > limit) {
      if (line) c->drop(data.size());
      throw LimitOverrunError("the separator is not found, and the chunk exceeds the limit", from);
    }
    if (c->no_more_data()) {
      std::string partial = c->take(data.size());
      if (line) co_return partial;
      throw IncompleteReadError(std::move(partial), std::nullopt);
    }
    co_await DataWait(*c);
  }
}

}  // namespace
}  // namespace detail

Task<std::string> StreamReader::read(std::ptrdiff_t n) {
  return detail::read_some(c_, n);
}
Task<std::string> StreamReader::readline() {
  return detail::read_until(c_, "\n", true);
}
Task<std::string> StreamReader::readexactly(std::size_t n) {
  return detail::read_exactly(c_, n);
}
Task<std::string> StreamReader::readuntil(std::string separator) {
  return detail::read_until(c_, std::move(separator), false);
}
bool StreamReader::at_eof() const noexcept {
  return c_->at_eof();
}
std::size_t StreamReader::limit() const noexcept {
  return c_->limit();
}

}  // namespace cmbench::coroutines
