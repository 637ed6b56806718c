#include "models/coroutines/stream_writer.hpp"

#include <cerrno>
#include <system_error>

#include "models/coroutines/connection.hpp"

namespace cmbench::coroutines {

void StreamWriter::write(std::string_view data) {
  c_->write(data);
}
void StreamWriter::write_eof() {
  c_->write_eof();
}
StreamWriter::Drain StreamWriter::drain() noexcept {
  return Drain(c_);
}
void StreamWriter::close() {
  c_->close();
}
bool StreamWriter::is_closing() const noexcept {
  return c_->is_closing();
}
StreamWriter::WaitClosed StreamWriter::wait_closed() noexcept {
  return WaitClosed(c_);
}
std::size_t StreamWriter::get_write_buffer_size() const noexcept {
  return c_->write_buffer_size();
}
void StreamWriter::set_write_buffer_limits(std::size_t high, std::optional<std::size_t> low) {
  c_->set_write_buffer_limits(high, low);
}

StreamWriter::Drain::~Drain() {
  c_->drainers_.remove(*this);
}
bool StreamWriter::Drain::await_ready() noexcept {
  closed_ = c_->state_ == detail::Connection::State::closed;
  return closed_ || !c_->paused_;
}
bool StreamWriter::Drain::await_suspend(std::coroutine_handle<> h) {
  if (!begin(h)) return false;
  c_->drainers_.push_back(*this);
  return true;
}
void StreamWriter::Drain::await_resume() const {
  end();
  if (c_->error_) std::rethrow_exception(c_->error_);
  if (closed_)
    throw ConnectionResetError(std::error_code(EPIPE, std::generic_category()),
                               "drain() on a closed StreamWriter");
}
bool StreamWriter::Drain::withdraw() noexcept {
  c_->drainers_.remove(*this);
  cancelled_ = true;
  return true;
}

StreamWriter::WaitClosed::~WaitClosed() {
  c_->closers_.remove(*this);
}
bool StreamWriter::WaitClosed::await_ready() const noexcept {
  return c_->state_ == detail::Connection::State::closed;
}
bool StreamWriter::WaitClosed::await_suspend(std::coroutine_handle<> h) {
  if (!begin(h)) return false;
  c_->closers_.push_back(*this);
  return true;
}
void StreamWriter::WaitClosed::await_resume() const {
  end();
  if (c_->error_) std::rethrow_exception(c_->error_);
}
bool StreamWriter::WaitClosed::withdraw() noexcept {
  c_->closers_.remove(*this);
  cancelled_ = true;
  return true;
}

}  // namespace cmbench::coroutines
