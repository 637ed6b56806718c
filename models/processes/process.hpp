// Process<R>: run a function in a forked child and get its result back, as Python's
// multiprocessing.Process does, with the result and any exception travelling back by pipe.
//
//   std::vector<processes::Process<Span>> children;
//   for (auto d : waits) children.emplace_back([d] { ...; return span; });
//   for (auto& child : children) spans.push_back(child.join());
//
// Guarantees: the child runs fn() on a copy of the parent's memory and always ends with
// _exit, never returning into the caller's stack (where it would go on running the parent's
// test framework or benchmark) and never running the parent's atexit handlers or flushing
// its stdio buffers a second time. join() returns fn's value, or throws ChildError whose
// what() is "child <pid>: <the exception's what()>" if fn threw, "child <pid> killed by
// signal 6 (Aborted)" if it died, or "child <pid> exited with status 3 without a result" if
// fn called exit itself. Every child is reaped: by join(), or by the destructor, which
// SIGKILLs a child that was never joined and waits for it (never a zombie, never an orphan).
// Does not guarantee: that join() returns at all if fn never does (like multiprocessing,
// there is no timeout; destroy the Process to kill the child). fork copies only the calling
// thread, so fn must not rely on locks or thread pools other parent threads may hold
// (glibc makes malloc and stdio safe across fork). SIGCHLD must not be ignored, or the
// kernel reaps children before join() can read their status.
// Cost (measured here): fork + join ≈ 0.2–0.3 ms for a small parent (0.17 ms in a minimal
// test program), more as the parent's address space grows (its page tables are copied); the
// result's trip through the pipe is a few µs; waking a parent on the other vCPU 30–40 µs.
// One descriptor in the parent per Process not yet joined.
// Tracing (models/core/trace.hpp): while a trace is recorded at construction, the child is
// a task and its process a lane ("process <pid>"); it records its own blocking calls, and
// its events travel back after the result, in the same pipe (see run_process_child), for
// join() to merge. Off, the pipe carries exactly the bytes it did before and the cost is
// one flag test.
// Thread-safety: a Process is used by one thread. Creating Processes from several threads
// is safe, but a child forked by another thread between this constructor's pipe2 and its
// close of the write end also holds that write end, and join() then waits for that child too.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <concepts>
#include <csignal>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "models/core/trace.hpp"
#include "models/processes/pipe.hpp"

namespace cmbench::processes {

// An error that happened in a child (an exception, a signal, an unexpected exit), carried
// to the parent as text: the exception object itself cannot cross a process boundary.
class ChildError : public std::runtime_error {
 public:
  ChildError(pid_t pid, const std::string& what) : std::runtime_error(what), pid_(pid) {}

  // "child <pid>: <text>", for an exception fn threw; text is its what().
  static ChildError raised(pid_t pid, std::string_view text);
  // "child <pid> killed by signal N (name)" or "child <pid> exited with status N without a
  // result", from a waitpid status.
  static ChildError ended(pid_t pid, int wait_status);

  pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_;
};

namespace detail {

// fork(), after flushing the parent's stdio buffers so the child does not start with a copy
// of unwritten output. Returns 0 in the child. Throws std::system_error (EAGAIN: out of
// pids or memory).
pid_t fork_child();

// Ends a child: flushes what fn printed, then _exit(code). Never exit(): that would run the
// parent's atexit handlers and static destructors in the child.
[[noreturn]] void exit_child(int code) noexcept;

// The text of the exception being handled: its what(), or "unknown exception".
// Call only inside a catch block.
std::string current_exception_text();

// waitpid, retried after EINTR. Returns the wait status; throws std::system_error.
int wait_for(pid_t pid);

// SIGKILL and wait, for a child whose result nobody will read. Never throws.
void kill_and_reap(pid_t pid) noexcept;

// "killed by signal 11 (Segmentation fault)" or "exited with status 3".
std::string describe_wait_status(int wait_status);

// ---- tracing a child (trace.hpp); each costs one flag test when no trace is recorded ----
// In the parent, before fork: the child's task id if a trace is being recorded (the task
// is recorded as created by the task running now), else 0.
trace::TaskId trace_child_created() noexcept;
// In the child right after fork, if `task`: records into the child's own lane, named `lane`
// ("" names it "process <pid>"), with the child running `task` (named the same).
void trace_child_started(trace::TaskId task, std::string_view lane) noexcept;
// In the child before it exits, if `task`: `task` finished, and the child's events written
// to `fd` for the parent; then, if `trailer`, their size as 8 bytes (so that they can follow
// a message of unknown length in the same pipe). Never throws: a failure sends nothing
// (trailer: a size of 0).
void trace_child_finished(int fd, trace::TaskId task, trace::Outcome outcome,
                          bool trailer) noexcept;
// In the parent: takes a trailer-framed export off the end of `message` (if one is there)
// and returns it. Imported by the caller once the child is reaped (trace::import_child).
std::string take_child_trace(std::string& message);
// Reads `fd` until EOF or `deadline`, whichever is first: what arrived by then.
std::string read_until_eof(int fd, std::chrono::steady_clock::time_point deadline);

// How a Process child reports: one tag byte, then the result's bytes or the error's text;
// when it is traced (task != 0), then its trace export and the export's size (8 bytes).
inline constexpr char result_tag = 'R';
inline constexpr char error_tag = 'E';
inline constexpr int exit_result = 0;  // the child wrote result_tag + the R
inline constexpr int exit_error = 1;   // the child wrote error_tag + text
inline constexpr std::size_t max_error_text = 4096;

// The child's side: run fn, send its result or its exception's text, _exit.
template <class R, class F>
[[noreturn]] void run_process_child(F& fn, int result_fd, trace::TaskId task) noexcept {
  try {
    const R result = std::invoke(fn);
    write_all(result_fd, &result_tag, 1);
    write_all(result_fd, &result, sizeof(R));
    if (task) trace_child_finished(result_fd, task, trace::Outcome::ok, true);
    exit_child(exit_result);
  } catch (...) {
    try {
      std::string message(1, error_tag);
      message += current_exception_text();
      message.resize(std::min(message.size(), max_error_text));
      write_all(result_fd, message.data(), message.size());
      if (task) trace_child_finished(result_fd, task, trace::Outcome::exception, true);
      exit_child(exit_error);
    } catch (...) {
      exit_child(2);  // the pipe failed too; the parent reports the exit status
    }
  }
}

}  // namespace detail

template <class R>
class Process {
  static_assert(std::is_trivially_copyable_v<R>,
                "Process<R>: R travels from the child as raw bytes through a pipe, so it must "
                "be trivially copyable (a std::string or std::vector cannot cross; return a "
                "struct of values, never a pointer into the child's memory)");

 public:
  // Forks; the child runs fn() and sends the result back. fn is not copied: the child runs
  // the parent's object in its own copy of memory. Throws std::system_error if pipe2 or fork
  // fails (EMFILE, EAGAIN).
  template <class F>
  requires std::invocable<F&> && std::convertible_to<std::invoke_result_t<F&>, R>
  explicit Process(F&& fn) {
    Pipe pipe = make_pipe();
    trace_task_ = detail::trace_child_created();
    pid_ = detail::fork_child();
    if (pid_ == 0) {
      // Child. It also holds the read ends of every earlier sibling still running (they
      // were open in the parent at fork): harmless, since only write ends delay EOF, and
      // closed at _exit. It holds no sibling's write end: the parent closes each at once.
      pipe.read.reset();
      if (trace_task_) detail::trace_child_started(trace_task_, "");
      detail::run_process_child<R>(fn, pipe.write.get(), trace_task_);
    }
    // Parent. Closing the write end now is what lets join() see EOF when the child ends,
    // and keeps the parent at one descriptor per child.
    pipe.write.reset();
    result_ = std::move(pipe.read);
  }

  Process(Process&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        joined_(other.joined_),
        result_(std::move(other.result_)),
        trace_task_(other.trace_task_) {}
  // A child still owned by *this is killed and reaped first (std::thread would terminate).
  Process& operator=(Process&& other) noexcept {
    if (this != &other) {
      abandon();
      pid_ = std::exchange(other.pid_, -1);
      joined_ = other.joined_;
      result_ = std::move(other.result_);
      trace_task_ = other.trace_task_;
    }
    return *this;
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() { abandon(); }

  // Waits for the child and returns fn's result; throws ChildError if fn threw or the child
  // died, std::logic_error if already joined (or moved from). Reads before waiting, so a
  // result larger than the pipe's buffer cannot deadlock child and parent.
  R join() {
    if (!joinable()) throw std::logic_error("Process::join: no child to join (joined or moved)");
    std::string message;
    try {
      message = read_to_end(result_.get());
    } catch (...) {
      abandon();
      throw;
    }
    result_.reset();
    joined_ = true;  // wait_for either reaps the child or fails for good (ECHILD)
    const std::string child_trace = trace_task_ ? detail::take_child_trace(message) : "";
    const pid_t pid = pid_;
    const int status = detail::wait_for(pid);
    if (!child_trace.empty()) trace::import_child(child_trace);
    if (WIFEXITED(status) && WEXITSTATUS(status) == detail::exit_result &&
        message.size() == 1 + sizeof(R) && message[0] == detail::result_tag) {
      std::array<char, sizeof(R)> bytes;
      std::memcpy(bytes.data(), message.data() + 1, sizeof(R));
      return std::bit_cast<R>(bytes);  // R need not be default-constructible
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == detail::exit_error && !message.empty() &&
        message[0] == detail::error_tag) {
      throw ChildError::raised(pid, std::string_view(message).substr(1));
    }
    throw ChildError::ended(pid, status);
  }

  // Sends the child SIGTERM, as multiprocessing's terminate() does, and returns at once:
  // join() then says how it ended. A child that does not handle SIGTERM dies of it (join
  // throws ChildError "... killed by signal 15 (Terminated)"); one that blocks SIGTERM and
  // waits for it (sigtimedwait) can clean up first and end as it chooses. A no-op once the
  // child is joined (its pid may belong to another process by then).
  void terminate() const noexcept {
    if (joinable()) ::kill(pid_, SIGTERM);
  }

  // The child's pid (still known after join), or -1 once moved from.
  pid_t pid() const noexcept { return pid_; }
  bool joinable() const noexcept { return pid_ > 0 && !joined_; }

 private:
  void abandon() noexcept {
    if (joinable()) detail::kill_and_reap(pid_);
    joined_ = true;
    result_.reset();
  }

  // Invariant: joinable() exactly while a child exists that this object must reap (a pid
  // is never reused before it is reaped, so killing it cannot hit another process); result_
  // is the read end of that child's pipe until join has read it to EOF.
  pid_t pid_ = -1;
  bool joined_ = false;
  Fd result_;
  trace::TaskId trace_task_ = 0;  // the child's task in a trace; 0: not traced
};

}  // namespace cmbench::processes
