// file_pipeline, io_uring: asynchronous file I/O done by the kernel, through liburing. One
// ring on the calling thread; every step of a file is a request on it (openat, read,
// close, openat, write, fdatasync with sync = 1, close), and its completion submits the
// file's next step. No thread pool of ours: a read served from the page cache completes
// inline, during io_uring_submit; one that must wait for the disk is queued by the kernel
// and completes when the disk answers (some operations run on the kernel's io-wq worker
// threads, which /proc lists among the process's threads, and the threads metric counts).
//
// At most uring_depth files are in flight at once (32; the ring holds twice as many entries,
// and each file has one request outstanding), a bound as a real program keeps; a finished
// file starts the next. The size is known from the set-up, so a read asks for S + 1 bytes:
// a short read of a regular file is its end (a general program would statx first, one more
// request). The steps of a file could also be linked (IOSQE_IO_LINK) into fewer trips
// through the loop; they are not, so that each step is what the models do, one call.
//
// A failed request stops its file (its descriptor closed) and stops new files from
// starting; the files in flight finish, then the first failure is thrown, naming the file.
// In a trace, each file is a task: created when it starts, waiting on a read while a request
// is in the ring, woken by the completion (trace::Cause::io), finished after its last close.
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "file_pipeline/spec.hpp"
#include "models/core/trace.hpp"

namespace cmbench::file_pipeline {
namespace {

enum class Step { open_input, read, close_input, open_output, write, sync, close_output };

// One file in flight. Invariant: while `active`, exactly one request of it is in the ring,
// the one for `step`; `fd` is the descriptor open at that step (-1: none).
struct Slot {
  std::size_t index = 0;
  Step step = Step::open_input;
  std::string path;  // input or output, whichever the step works on
  int fd = -1;
  std::string data;
  std::size_t done = 0;  // bytes read or written so far
  bool active = false;
  trace::TaskId task() const { return reinterpret_cast<std::uintptr_t>(this); }
};

class Pipeline {
 public:
  explicit Pipeline(const Params& p) : p_(p), slots_(uring_depth) {
    if (int e = io_uring_queue_init(2 * uring_depth, &ring_, 0); e < 0)
      throw std::system_error(-e, std::generic_category(), "io_uring_queue_init");
  }
  ~Pipeline() { io_uring_queue_exit(&ring_); }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  Files run();

 private:
  void start(Slot& s, std::size_t index);
  void submit(Slot& s, Step step);
  void completed(Slot& s, int result);
  void fail(Slot& s, int error);
  void finish(Slot& s, trace::Outcome outcome);

  const Params& p_;
  struct io_uring ring_ {};  // `struct`: file_pipeline::io_uring is the function below
  std::vector<Slot> slots_;
  Files spans_;           // by file
  std::size_t next_ = 0;  // the next file to start
  std::size_t in_flight_ = 0;
  int error_ = 0;  // the first failure, and its file
  std::string error_path_;
};

Files Pipeline::run() {
  spans_.resize(p_.files);
  for (Slot& s : slots_)
    if (next_ < p_.files) start(s, next_++);
  while (in_flight_ > 0) {
    trace::blocked(trace::Wait::read);
    io_uring_cqe* cqe = nullptr;
    int e = io_uring_submit_and_wait(&ring_, 1);
    if (e >= 0) e = io_uring_wait_cqe(&ring_, &cqe);
    trace::unblocked();
    if (e == -EINTR) continue;
    if (e < 0) throw std::system_error(-e, std::generic_category(), "io_uring_wait_cqe");
    // Every completion there is, then one submit for the requests they queued.
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      completed(*static_cast<Slot*>(io_uring_cqe_get_data(cqe)), cqe->res);
    }
    io_uring_cq_advance(&ring_, seen);
  }
  if (error_) throw std::system_error(error_, std::generic_category(), error_path_);
  return std::move(spans_);
}

void Pipeline::start(Slot& s, std::size_t index) {
  s.index = index;
  s.active = true;
  s.fd = -1;
  s.done = 0;
  s.path = p_.input(index);
  spans_[index].start_ns = monotonic_ns();
  ++in_flight_;
  if (trace::on()) [[unlikely]] {
    trace::created(s.task());
    trace::named(s.task(), trace::intern("file " + std::to_string(index)));
  }
  submit(s, Step::open_input);
}

void Pipeline::submit(Slot& s, Step step) {
  s.step = step;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (!sqe) {  // cannot happen with one request per slot and twice as many entries
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  switch (step) {
    case Step::open_input:
      io_uring_prep_openat(sqe, AT_FDCWD, s.path.c_str(), O_RDONLY | O_CLOEXEC, 0);
      break;
    case Step::read:
      io_uring_prep_read(sqe, s.fd, s.data.data() + s.done,
                         static_cast<unsigned>(s.data.size() - s.done), s.done);
      break;
    case Step::open_output:
      io_uring_prep_openat(sqe, AT_FDCWD, s.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                           0644);
      break;
    case Step::write:
      io_uring_prep_write(sqe, s.fd, s.data.data() + s.done,
                          static_cast<unsigned>(s.data.size() - s.done), s.done);
      break;
    case Step::sync:
      io_uring_prep_fsync(sqe, s.fd, IORING_FSYNC_DATASYNC);
      break;
    case Step::close_input:
    case Step::close_output:
      io_uring_prep_close(sqe, s.fd);
      s.fd = -1;  // the request owns it now
      break;
  }
  io_uring_sqe_set_data(sqe, &s);
  trace::suspended(s.task(), trace::Wait::read);
}

void Pipeline::completed(Slot& s, int result) {
  if (trace::on()) [[unlikely]] {
    trace::woken(s.task(), trace::Cause::io);
    trace::resumed(s.task());
  }
  if (result < 0) return fail(s, -result);
  switch (s.step) {
    case Step::open_input:
      s.fd = result;
      s.data.resize(p_.size + 1);
      return submit(s, Step::read);
    case Step::read:
      s.done += static_cast<std::size_t>(result);
      if (result > 0 && s.done == s.data.size()) {  // larger than expected: read on
        s.data.resize(s.data.size() * 2);
        return submit(s, Step::read);
      }
      s.data.resize(s.done);
      return submit(s, Step::close_input);
    case Step::close_input:
      upper_case(s.data);
      s.path = p_.output(s.index);
      return submit(s, Step::open_output);
    case Step::open_output:
      s.fd = result;
      s.done = 0;
      return submit(s, Step::write);
    case Step::write:
      s.done += static_cast<std::size_t>(result);
      if (s.done < s.data.size()) return submit(s, Step::write);  // a short write: the rest
      return submit(s, p_.sync ? Step::sync : Step::close_output);
    case Step::sync:
      return submit(s, Step::close_output);
    case Step::close_output:
      spans_[s.index].end_ns = monotonic_ns();
      return finish(s, trace::Outcome::ok);
  }
}

void Pipeline::fail(Slot& s, int error) {
  if (error_ == 0) {
    error_ = error;
    error_path_ = s.path;
  }
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
  finish(s, trace::Outcome::exception);
}

void Pipeline::finish(Slot& s, trace::Outcome outcome) {
  trace::finished(s.task(), outcome);
  s.active = false;
  s.data = std::string();
  --in_flight_;
  if (error_ == 0 && next_ < p_.files) start(s, next_++);
}

}  // namespace

Files io_uring(const Params& p) {
  return Pipeline(p).run();
}

}  // namespace cmbench::file_pipeline
