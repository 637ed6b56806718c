#include "file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>
#include <vector>

#include "models/fibers/hub.hpp"
#include "models/fibers/wait.hpp"

namespace cmbench::fibers {
namespace {

// One call on the offload pool. The pool thread sets result and error; the loop thread
// then wakes the greenlet, unless it was interrupted and abandoned the call.
struct Call : HandOff {
  long result = -1;
  int error = 0;
  bool owns_fd = false;  // result is an fd to close if nobody takes it
  std::vector<std::byte> buffer;
  Fd fd;  // the call's own duplicate: the File may close meanwhile, and its number be reused
};

Fd duplicate(const Fd& fd, const char* what) {
  Fd copy(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!copy) throw std::system_error(errno, std::generic_category(), what);
  return copy;
}

// Runs `work` (which fills call->result/error) on the offload pool, parking meanwhile.
template <class Work>
void offload(const char* what, const std::shared_ptr<Call>& call, Work work) {
  interruption_point();
  Engine& reactor = Hub::require(what).engine();
  WaitingFor waiting(*call);
  call->waiter = context::active();
  reactor.offload([call, work] { work(*call); },
                  [call] {
                    if (!call->abandoned)
                      wake(std::exchange(call->waiter, nullptr), trace::Cause::pool);
                    else if (call->owns_fd && call->result >= 0)
                      ::close(static_cast<int>(call->result));
                  });
  park(waiting, trace::Wait::pool);
  if (call->result < 0) throw std::system_error(call->error, std::generic_category(), what);
}

}  // namespace

File File::open(const std::string& path, int flags, mode_t mode) {
  auto call = std::make_shared<Call>();
  call->owns_fd = true;
  offload("fibers::File::open", call, [path, flags, mode](Call& c) {
    c.result = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    c.error = errno;
  });
  return File(Fd(static_cast<int>(call->result)));
}

std::size_t File::read(std::span<std::byte> into) {
  auto call = std::make_shared<Call>();
  call->buffer.resize(into.size());
  call->fd = duplicate(fd_, "fibers::File::read");
  offload("fibers::File::read", call, [](Call& c) {
    do {
      c.result = ::read(c.fd.get(), c.buffer.data(), c.buffer.size());
    } while (c.result < 0 && errno == EINTR);
    c.error = errno;
  });
  std::memcpy(into.data(), call->buffer.data(), static_cast<std::size_t>(call->result));
  return static_cast<std::size_t>(call->result);
}

void File::write(std::span<const std::byte> from) {
  auto call = std::make_shared<Call>();
  call->buffer.assign(from.begin(), from.end());
  call->fd = duplicate(fd_, "fibers::File::write");
  offload("fibers::File::write", call, [](Call& c) {
    std::size_t done = 0;
    while (done < c.buffer.size()) {
      ssize_t n = ::write(c.fd.get(), c.buffer.data() + done, c.buffer.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        c.result = -1;
        c.error = errno;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
    c.result = static_cast<long>(done);
  });
}

std::string read_file(const std::string& path) {
  File f = File::open(path, O_RDONLY);
  std::string out;
  std::vector<std::byte> chunk(64 * 1024);
  while (std::size_t n = f.read(chunk)) out.append(reinterpret_cast<const char*>(chunk.data()), n);
  return out;
}

void write_file(const std::string& path, std::string_view data) {
  File f = File::open(path, O_WRONLY | O_CREAT | O_TRUNC);
  f.write(data);
}

}  // namespace cmbench::fibers
