// InputBuffer: the bytes a stream has received and not yet read, filled by one readv(2)
// per readable event. For the streams' transport (connection.hpp) only.
// Thread-safety: the loop's thread only.
#pragma once

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace cmbench::coroutines::detail {

// Received bytes not yet read: [begin_, end_) of data_.
//
// Why the scratch area (muduo's Buffer::readFd does the same): reading straight into the
// buffer would need room for a large read in every connection's buffer, idle or not
// (64 KiB × 10 000 connections is 640 MB). Instead one readv(2) fills the free space the
// buffer has, and what does not fit lands in a per-thread 64 KiB area and is appended: a
// buffer holds only what has arrived and not been read, and a large read is still one
// system call.
class InputBuffer {
 public:
  std::string_view view() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t size() const noexcept { return end_ - begin_; }

  // One readv(2). Bytes read, 0 at end of stream, nullopt if nothing is available now;
  // std::system_error for anything else.
  std::optional<std::size_t> read_from(int fd) {
    static constexpr std::size_t scratch_size = 64 * 1024;
    thread_local std::unique_ptr<char[]> scratch;  // not static TLS: only loop threads pay
    if (!scratch) scratch = std::make_unique_for_overwrite<char[]>(scratch_size);
    if (begin_ > 0 && capacity_ - end_ < 4096) compact();
    iovec parts[2] = {{data_.get() + end_, capacity_ - end_}, {scratch.get(), scratch_size}};
    ssize_t n;
    do {
      n = ::readv(fd, parts, 2);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      throw std::system_error(errno, std::generic_category(), "read");
    }
    auto got = static_cast<std::size_t>(n);
    std::size_t in_place = std::min(got, capacity_ - end_);
    end_ += in_place;
    if (got > in_place) append(scratch.get(), got - in_place);
    return got;
  }

  std::string take(std::size_t n) {
    std::string out(data_.get() + begin_, n);
    drop(n);
    return out;
  }
  void drop(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ < end_) return;
    begin_ = end_ = 0;
    if (capacity_ > keep_at_most) {  // a burst is over: give its memory back
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  static constexpr std::size_t keep_at_most = 256 * 1024;

  void compact() noexcept {
    std::memmove(data_.get(), data_.get() + begin_, size());
    end_ -= begin_;
    begin_ = 0;
  }
  void append(const char* from, std::size_t n) {
    if (capacity_ - end_ < n) {
      std::size_t capacity = std::max({capacity_ * 2, size() + n, std::size_t{4096}});
      auto data = std::make_unique_for_overwrite<char[]>(capacity);
      if (size() > 0) std::memcpy(data.get(), data_.get() + begin_, size());
      data_ = std::move(data);
      capacity_ = capacity;
      end_ -= begin_;
      begin_ = 0;
    }
    std::memcpy(data_.get() + end_, from, n);
    end_ += n;
  }

  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0, begin_ = 0, end_ = 0;
};

}  // namespace cmbench::coroutines::detail
