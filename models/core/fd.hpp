// Fd: owns one file descriptor and closes it on destruction. Move-only; -1 means "none".
// Thread-safety: owned by one thread at a time.
#pragma once

namespace cmbench {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes now. On Linux a close interrupted by a signal has still closed the descriptor,
  // so it is never retried (a retry could close a descriptor another thread just opened).
  void reset() noexcept;

 private:
  int fd_ = -1;
};

}  // namespace cmbench
