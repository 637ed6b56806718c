// uring::Ring: asynchronous files for an asyncio-style program through io_uring, with no
// thread pool. Each file call is a request on the ring and the task awaits its completion;
// the loop reaps completions through an ordinary watcher on the ring's descriptor, which
// epoll reports readable while completions wait. So the shared engine takes io_uring with
// no change: the ring is one more descriptor to the loop.
//
//   uring::Ring ring;                                   // on the running loop
//   int fd = co_await ring.open(path, O_RDONLY);
//   std::size_t n = co_await ring.read(fd, buffer, 0);  // buffer: a std::shared_ptr<std::string>
//   co_await ring.close(fd);
//
// Guarantees: a request's outcome is its completion's result, or a std::system_error whose
// what() names the path given with the call. A cancelled task stops waiting at once; its
// request runs to its end in the kernel, and what it reads into or writes from (the
// buffer, the path) is kept alive by the ring until the completion is reaped. The ring is
// destroyed only after every request has completed (its destructor waits for them).
// Not guaranteed: batching. Each call submits at once (one io_uring_enter per call): the
// engine has no once-per-turn hook to submit a turn's requests together.
// Cost: per call, a submit system call and, when the loop sleeps, an epoll wake-up; reads
// from the page cache complete inline, during the submit.
// Thread-safety: the loop thread only.
#pragma once

#include <fcntl.h>
#include <liburing.h>
#include <sys/epoll.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "models/core/engine.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines::uring {

class Ring {
 public:
  explicit Ring(unsigned entries = 64) : engine_(EventLoop::current().engine()) {
    if (int e = io_uring_queue_init(entries, &ring_, 0); e < 0)
      throw std::system_error(-e, std::generic_category(), "io_uring_queue_init");
    watcher_ = std::make_unique<Watcher>(engine_, ring_.ring_fd, [this](std::uint32_t) { reap(); });
  }
  ~Ring() {
    watcher_.reset();
    while (!pending_.empty()) {  // requests of cancelled tasks: wait for the kernel
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(&ring_, &cqe) < 0) break;
      pending_.erase(io_uring_cqe_get_data64(cqe));
      io_uring_cqe_seen(&ring_, cqe);
    }
    io_uring_queue_exit(&ring_);
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // What one call keeps alive until its completion: the path and the buffer it names.
  struct Request {
    std::string path;
    std::shared_ptr<std::string> buffer;
  };

  class Call;

 private:
  // One request in flight. `call` is its awaiter while the task still waits for it.
  struct Pending {
    Request request;
    Call* call;
  };

 public:
  // The awaiter of one request: it is prepared and submitted when awaited, not before.
  class [[nodiscard]] Call final : public detail::Suspension {
   public:
    using Prep = std::function<void(io_uring_sqe*, Request&)>;
    Call(Ring& ring, Request request, Prep prep)
        : ring_(ring), request_(std::move(request)), prep_(std::move(prep)) {}

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_.ring_);
      if (!sqe) throw std::system_error(EBUSY, std::generic_category(), "io_uring: ring full");
      path_ = request_.path;
      auto pending = std::make_shared<Pending>(Pending{std::move(request_), this});
      prep_(sqe, pending->request);
      const std::uint64_t key = ring_.next_key_++;
      io_uring_sqe_set_data64(sqe, key);
      ring_.pending_.emplace(key, pending);
      pending_ = pending.get();
      ring_.track();
      io_uring_submit(&ring_.ring_);
      if (!begin(h)) {  // a cancel was pending: the request goes on alone
        pending_->call = nullptr;
        return false;
      }
      return true;
    }
    int await_resume() {
      end();
      if (result_ < 0) throw std::system_error(-result_, std::generic_category(), path_);
      return result_;
    }
    trace::Wait waits_on() const noexcept override { return trace::Wait::read; }
    bool withdraw() noexcept override {
      pending_->call = nullptr;
      cancelled_ = true;
      return true;
    }

   private:
    friend class Ring;
    Ring& ring_;
    Request request_;
    Prep prep_;
    Pending* pending_ = nullptr;
    int result_ = 0;
    std::string path_;
  };

  Call open(std::string path, int flags, mode_t mode = 0644) {
    return Call(*this, {std::move(path), nullptr}, [flags, mode](io_uring_sqe* sqe, Request& r) {
      io_uring_prep_openat(sqe, AT_FDCWD, r.path.c_str(), flags | O_CLOEXEC, mode);
    });
  }
  // Reads into `buffer` from `at`, as much as it holds: its result is the bytes read.
  Call read(int fd, std::shared_ptr<std::string> buffer, std::size_t at, std::string path) {
    return Call(*this, {std::move(path), std::move(buffer)},
                [fd, at](io_uring_sqe* sqe, Request& r) {
                  io_uring_prep_read(sqe, fd, r.buffer->data(),
                                     static_cast<unsigned>(r.buffer->size()), at);
                });
  }
  // Writes `buffer` from its byte `from` to file offset `from`: its result, the bytes written.
  Call write(int fd, std::shared_ptr<std::string> buffer, std::size_t from, std::string path) {
    return Call(*this, {std::move(path), std::move(buffer)},
                [fd, from](io_uring_sqe* sqe, Request& r) {
                  io_uring_prep_write(sqe, fd, r.buffer->data() + from,
                                      static_cast<unsigned>(r.buffer->size() - from), from);
                });
  }
  Call fdatasync(int fd, std::string path) {
    return Call(*this, {std::move(path), nullptr}, [fd](io_uring_sqe* sqe, Request&) {
      io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    });
  }
  Call close(int fd, std::string path) {
    return Call(*this, {std::move(path), nullptr},
                [fd](io_uring_sqe* sqe, Request&) { io_uring_prep_close(sqe, fd); });
  }

 private:
  // The loop is kept alive (and the watcher armed) while a request is in flight.
  void track() {
    if (watcher_->wanted() == 0) watcher_->want(EPOLLIN);
  }

  void reap() {
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      auto it = pending_.find(io_uring_cqe_get_data64(cqe));
      if (it == pending_.end()) continue;
      if (Call* call = it->second->call) {
        call->result_ = cqe->res;
        call->task_->wake();
      }
      pending_.erase(it);
    }
    io_uring_cq_advance(&ring_, seen);
    if (pending_.empty()) watcher_->want(0);
  }

  Engine& engine_;
  struct io_uring ring_ {};
  std::unique_ptr<Watcher> watcher_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Pending>> pending_;
  std::uint64_t next_key_ = 1;
};

}  // namespace cmbench::coroutines::uring
