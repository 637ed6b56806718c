// Pool: a fixed set of forked worker processes that map a function over inputs, as Python's
// multiprocessing.Pool does.
//
//   processes::Pool pool(std::thread::hardware_concurrency(), count_chunk);
//   std::vector<ChunkResult> counts = pool.map(chunks);
//
// How it works: the constructor forks the workers. All of them read tasks from ONE shared
// task pipe and write results to ONE shared result pipe, like multiprocessing's queues. A
// task is {index, input}, a result {index, worker pid, ok, value or error text}. Each
// message is written with a single write() of at most PIPE_BUF bytes, which POSIX makes
// atomic, so messages from several writers never interleave; and each worker reads exactly
// one task message per read(), which Linux serves whole to one reader (the pipe's lock is
// held for the copy). The parent writes tasks without blocking and reads results as they
// come, both under one poll(2): a blocking parent would deadlock with workers blocked on a
// full result pipe as soon as the inputs outgrow the pipe's 64 KiB.
//
// Guarantees: map returns fn(input) for every input, in input order whatever the order of
// completion. Every worker is reaped, never a zombie or an orphan.
//   - fn throws for some inputs: no new tasks are sent, the tasks already sent finish, then
//     map throws ChildError "child <pid>: <what()>" for the first failure to arrive (error
//     text is cut at about 4 KiB). The pool stays whole and usable, as in multiprocessing.
//   - a worker dies (a signal, abort(), exit()): map notices within ≈ 50 ms, tears the pool
//     down (SIGKILL and reap every worker) and throws ChildError "child <pid> killed by signal
//     6 (Aborted)". The pool is then broken: further map calls throw std::logic_error.
//   - the destructor sends each worker a stop message and closes the task pipe; a worker
//     that has not exited within 1 s, and every worker of a broken pool, is SIGKILLed; then
//     all are reaped.
// Does not guarantee: which worker runs which input, nor that fn runs for every input once
// an error occurred. A worker's memory is a copy made at construction: fn sees the
// parent's state as it was then, and what fn changes stays in the worker. fn has exactly
// one call signature (not a generic lambda), so that the input type is known when the
// workers are forked. Inputs and results are trivially copyable and fit in a pipe message.
// Cost (measured here): construction ≈ 0.1–0.3 ms per worker (a fork). Per input, for
// tiny inputs and results: ≈ 1.5 µs of CPU in system calls and copies, spread over parent
// and workers (200 000 ints through 2 workers: 1.3 µs of wall time each); a map of a single
// input ≈ 7 µs; 30–40 µs more whenever a sleeping worker must be woken on another vCPU. So
// each input should carry ≥ 50 µs of work: map chunks of work, not single numbers.
// Destruction ≈ one wake-up and one waitpid per worker.
// Tracing (models/core/trace.hpp): while a trace is recorded at construction, each worker
// is a task on a lane of its own ("worker 1", ...), busy except where it blocks reading the
// task pipe. Each traced worker also gets a pipe of its own, on which it sends its events
// as it stops; the destructor reads them all before it reaps the workers and merges them.
// The task and result pipes carry the same bytes traced or not.
// Thread-safety: none. One thread creates, uses and destroys a Pool.
#pragma once

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <climits>  // PIPE_BUF (POSIX, from <limits.h>)

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "models/processes/pipe.hpp"
#include "models/processes/process.hpp"

namespace cmbench::processes {

namespace detail {

// The argument type of a callable with one call signature, found the way std::function's
// deduction guide finds it: from a function pointer, or from a class's one non-template
// operator() (a lambda's). A generic lambda has none.
template <class Function>
struct sole_argument {};
template <class R, class A>
struct sole_argument<std::function<R(A)>> {
  using type = std::remove_cvref_t<A>;
};
template <class Fn>
concept one_argument_callable = requires(Fn fn) {
  typename sole_argument<decltype(std::function{fn})>::type;
};
template <class Fn>
using sole_argument_t = typename sole_argument<decltype(std::function{std::declval<Fn>()})>::type;

// The head of every result message; `size` bytes of payload follow it in the same write.
struct ResultHeader {
  std::uint64_t index;  // position of the input in map's span
  std::int32_t pid;     // the worker that ran it, for the error message
  std::uint16_t ok;     // 1: the payload is the R; 0: the payload is error text
  std::uint16_t size;   // payload bytes
};

}  // namespace detail

template <class Fn>
class Pool {
  static_assert(detail::one_argument_callable<Fn>,
                "Pool: fn must take exactly one argument of a definite type (a function, or a "
                "lambda whose parameter is not `auto`): the workers are forked before map is "
                "called and must already know how to decode their tasks");

 public:
  using argument_type = detail::sole_argument_t<Fn>;
  using result_type = std::invoke_result_t<Fn&, const argument_type&>;

 private:
  using T = argument_type;
  using R = result_type;
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_copyable_v<R>,
                "Pool: inputs and results travel between processes as raw bytes, so both must "
                "be trivially copyable (a std::string or std::vector cannot cross; send values, "
                "never pointers)");
  static_assert(std::default_initializable<R>,
                "Pool: map stores each result at its input's position in a std::vector<R>, so "
                "R must be default-constructible");

  // Wire format. A task: the index (8 bytes), then T's bytes. A result: a ResultHeader, then
  // R's bytes or error text. Both are built with memcpy, so alignment and padding never
  // matter. The stop message is a task whose index is stop_index.
  static constexpr std::size_t task_size = sizeof(std::uint64_t) + sizeof(T);
  static constexpr std::size_t header_size = sizeof(detail::ResultHeader);
  static constexpr std::size_t max_error_text = PIPE_BUF - header_size;
  static constexpr std::uint64_t stop_index = UINT64_MAX;
  static_assert(task_size <= PIPE_BUF,
                "Pool: an input must fit in one atomic pipe write (PIPE_BUF = 4096 bytes with "
                "its 8-byte index); send a smaller description of the work, such as a range");
  static_assert(header_size + sizeof(R) <= PIPE_BUF,
                "Pool: a result must fit in one atomic pipe write (PIPE_BUF = 4096 bytes with "
                "its 16-byte header)");
  // Tasks are written in batches of whole messages no larger than PIPE_BUF, so that each
  // batch is also atomic: a non-blocking write then sends all of it or nothing, and the pipe
  // never holds half a task for a worker to read.
  static constexpr std::size_t batch_tasks = PIPE_BUF / task_size;
  // How often map checks that every worker is still alive while it waits.
  static constexpr std::chrono::milliseconds liveness_interval{50};
  // How long the destructor lets workers exit on their own before SIGKILL.
  static constexpr std::chrono::milliseconds exit_grace{1000};

 public:
  // Forks `workers` workers, each with its own copy of fn. Throws std::invalid_argument for
  // 0 workers, std::system_error if pipe2 or fork fails (the workers already forked are
  // killed and reaped first).
  Pool(unsigned workers, Fn fn) {
    if (workers == 0) throw std::invalid_argument("Pool: needs at least one worker");
    Pipe tasks = make_pipe();
    Pipe results = make_pipe();
    workers_.reserve(workers);  // so that recording a forked pid cannot fail
    try {
      for (unsigned i = 0; i < workers; ++i) {
        const trace::TaskId task = detail::trace_child_created();
        Pipe events = task ? make_pipe() : Pipe{};  // the worker's trace, if it is traced
        const pid_t pid = detail::fork_child();
        if (pid == 0) {
          // Worker. Without this close the task pipe would never reach EOF: the worker
          // would hold a write end itself.
          tasks.write.reset();
          results.read.reset();
          events.read.reset();
          if (task) detail::trace_child_started(task, "worker " + std::to_string(i + 1));
          serve(fn, tasks.read.get(), results.write.get(), task, events.write.get());
        }
        workers_.push_back({pid, false, std::move(events.read)});
      }
      set_nonblocking(tasks.write.get());
    } catch (...) {
      tear_down();
      throw;
    }
    // The parent keeps the tasks' read end without ever reading it: with a reader always
    // present, writing tasks can never raise SIGPIPE (which would kill the parent) even if
    // every worker has died; the write just finds the pipe full and map's liveness check
    // reports the deaths.
    task_reader_ = std::move(tasks.read);
    tasks_ = std::move(tasks.write);
    results_ = std::move(results.read);
    // results.write closes here: once every worker has exited the result pipe reads EOF.
  }

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  ~Pool() {
    std::vector<std::string> traces;
    if (!broken_) traces = stop_workers();
    tear_down();
    for (const std::string& t : traces) trace::import_child(t);
  }

  // fn(input) for every input, in input order; a std::vector<T> or std::array converts to
  // the span. Throws ChildError (fn threw: pool still
  // usable; a worker died: pool broken), std::logic_error on a broken pool, and
  // std::system_error if a system call fails (the pool is then torn down).
  std::vector<R> map(std::span<const T> inputs) {
    if (broken_) {
      throw std::logic_error("Pool::map: the pool was torn down after an earlier error (" +
                             broken_reason_ + ")");
    }
    std::vector<R> results(inputs.size());
    std::optional<ChildError> first_error;
    try {
      run(inputs, results, first_error);
    } catch (const std::exception& e) {
      broken_reason_ = e.what();
      tear_down();
      throw;
    } catch (...) {
      broken_reason_ = "unknown exception";
      tear_down();
      throw;
    }
    if (first_error) throw *first_error;
    return results;
  }

  unsigned workers() const noexcept { return static_cast<unsigned>(workers_.size()); }

 private:
  struct Worker {
    pid_t pid;
    bool reaped;  // once reaped the pid may belong to another process: never signal it
    Fd events;    // read end of its trace pipe, if it is traced
  };

  // The worker's whole life: read a task, run fn, send the result, until told to stop.
  // Never returns (see Process: a child must not unwind into the parent's stack).
  // `traced`: its task in a trace (0: none), whose events go to `events_fd` as it stops.
  [[noreturn]] static void serve(Fn& fn, int task_fd, int result_fd, trace::TaskId traced,
                                 int events_fd) noexcept {
    try {
      const pid_t self = ::getpid();
      std::array<std::byte, task_size> task;
      std::array<std::byte, PIPE_BUF> reply;
      auto stop = [&] {
        if (traced) detail::trace_child_finished(events_fd, traced, trace::Outcome::ok, false);
        detail::exit_child(0);
      };
      for (;;) {
        // Fewer bytes than a whole task only happens at EOF: the pool closed the pipe.
        if (read_full(task_fd, task.data(), task_size) != task_size) stop();
        std::uint64_t index;
        std::memcpy(&index, task.data(), sizeof index);
        if (index == stop_index) stop();
        std::array<std::byte, sizeof(T)> input_bytes;
        std::memcpy(input_bytes.data(), task.data() + sizeof index, sizeof(T));
        const T input = std::bit_cast<T>(input_bytes);  // T need not be default-constructible

        detail::ResultHeader header{index, self, 1, sizeof(R)};
        try {
          const R result = std::invoke(fn, input);
          std::memcpy(reply.data() + header_size, &result, sizeof(R));
        } catch (...) {
          const std::string text = detail::current_exception_text();
          header.ok = 0;
          header.size = static_cast<std::uint16_t>(std::min(text.size(), max_error_text));
          std::memcpy(reply.data() + header_size, text.data(), header.size);
        }
        std::memcpy(reply.data(), &header, header_size);
        write_all(result_fd, reply.data(), header_size + header.size);
      }
    } catch (...) {
      detail::exit_child(2);  // a pipe failed: the pool is gone or tore itself down
    }
  }

  // map's loop, in the order of its phases: submit what the task pipe takes, stop when every
  // result is in, wait for results or room, collect results, check the workers are alive.
  void run(std::span<const T> inputs, std::vector<R>& results,
           std::optional<ChildError>& first_error) {
    using Clock = std::chrono::steady_clock;
    const std::size_t n = inputs.size();
    std::size_t submitted = 0;  // tasks written to the pipe
    std::size_t received = 0;   // results read back; submitted - received are in flight
    bool task_pipe_has_room = true;
    // Results arrive as a byte stream of whole messages; a read may end in the middle of
    // one, which stays in the inbox until the rest arrives.
    std::vector<std::byte> inbox(std::size_t{64} * 1024);
    std::size_t inbox_bytes = 0;
    auto next_check = Clock::now() + liveness_interval;

    for (;;) {
      // 1. Submit (stops at the first error: the remaining inputs are not sent).
      while (task_pipe_has_room && submitted < n && !first_error) {
        std::array<std::byte, batch_tasks * task_size> batch;
        const std::size_t count = std::min(batch_tasks, n - submitted);
        for (std::size_t k = 0; k < count; ++k) {
          const std::uint64_t index = submitted + k;
          std::memcpy(batch.data() + k * task_size, &index, sizeof index);
          std::memcpy(batch.data() + k * task_size + sizeof index, std::addressof(inputs[index]),
                      sizeof(T));
        }
        task_pipe_has_room = write_batch(batch.data(), count * task_size);
        if (task_pipe_has_room) submitted += count;
      }

      // 2. Done when nothing is in flight and nothing more will be sent.
      if (received == submitted && (submitted == n || first_error)) return;

      // 3. Wait for a result, for room in the task pipe if we need it, or for the next
      //    liveness check.
      const bool want_room = !task_pipe_has_room && submitted < n && !first_error;
      pollfd fds[2] = {{results_.get(), POLLIN, 0}, {tasks_.get(), POLLOUT, 0}};
      if (::poll(fds, want_room ? 2 : 1, static_cast<int>(liveness_interval.count())) < 0) {
        if (errno != EINTR) throw std::system_error(errno, std::system_category(), "poll");
        continue;
      }
      if (want_room && (fds[1].revents & (POLLOUT | POLLERR))) task_pipe_has_room = true;

      // 4. Collect every whole result message that has arrived.
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t got =
            ::read(results_.get(), inbox.data() + inbox_bytes, inbox.size() - inbox_bytes);
        if (got < 0 && errno != EINTR) {
          throw std::system_error(errno, std::system_category(), "read");
        }
        if (got == 0) workers_gone();  // EOF: every worker has closed its end, i.e. exited
        if (got > 0) inbox_bytes += static_cast<std::size_t>(got);
        std::size_t offset = 0;
        while (inbox_bytes - offset >= header_size) {
          detail::ResultHeader header;
          std::memcpy(&header, inbox.data() + offset, header_size);
          if (header.index >= n || header.size > max_error_text ||
              (header.ok && header.size != sizeof(R))) {
            throw std::runtime_error("Pool::map: malformed result message");
          }
          if (inbox_bytes - offset < header_size + header.size) break;  // rest not here yet
          const std::byte* payload = inbox.data() + offset + header_size;
          if (header.ok) {
            std::array<std::byte, sizeof(R)> bytes;
            std::memcpy(bytes.data(), payload, sizeof(R));
            results[header.index] = std::bit_cast<R>(bytes);
          } else if (!first_error) {
            first_error = ChildError::raised(
                header.pid, std::string(reinterpret_cast<const char*>(payload), header.size));
          }
          ++received;
          offset += header_size + header.size;
        }
        // A partial message (< PIPE_BUF) moves to the front; the inbox always has room.
        std::memmove(inbox.data(), inbox.data() + offset, inbox_bytes - offset);
        inbox_bytes -= offset;
      }

      // 5. A worker that died took its task with it: that result will never come.
      if (Clock::now() >= next_check) {
        check_workers();
        next_check = Clock::now() + liveness_interval;
      }
    }
  }

  // One non-blocking write of a whole batch. Returns false if the pipe is full (nothing was
  // written: a write of at most PIPE_BUF bytes is all or nothing).
  bool write_batch(const std::byte* data, std::size_t size) {
    for (;;) {
      const ssize_t n = ::write(tasks_.get(), data, size);
      if (n == static_cast<ssize_t>(size)) return true;
      if (n >= 0) throw std::runtime_error("Pool::map: a task batch was written in part");
      if (errno == EAGAIN) return false;
      if (errno != EINTR) throw std::system_error(errno, std::system_category(), "write");
    }
  }

  // Throws ChildError for the first worker found dead. waitpid(WNOHANG) costs ≈ 1 µs each.
  void check_workers() {
    for (Worker& w : workers_) {
      if (w.reaped) continue;
      int status = 0;
      const pid_t r = ::waitpid(w.pid, &status, WNOHANG);
      if (r == 0 || (r < 0 && errno == EINTR)) continue;
      w.reaped = true;
      if (r > 0) trace::reaped(r);
      if (r < 0) {
        throw ChildError(w.pid, "child " + std::to_string(w.pid) +
                                    " was reaped by someone else (is SIGCHLD ignored?)");
      }
      throw ChildError::ended(w.pid, status);
    }
  }

  // The result pipe reached EOF during map: every worker has exited. Reap them (each is at
  // most finishing its exit) and report the first.
  [[noreturn]] void workers_gone() {
    std::optional<ChildError> error;
    for (Worker& w : workers_) {
      if (w.reaped) continue;
      const int status = detail::wait_for(w.pid);
      w.reaped = true;
      if (!error) error = ChildError::ended(w.pid, status);
    }
    if (error) throw *error;
    throw std::runtime_error("Pool::map: the result pipe closed with no worker left");
  }

  // The polite end: one stop message per worker (as multiprocessing sends one sentinel per
  // worker), then EOF on the task pipe, then up to exit_grace for every worker to exit. The
  // stop message is what ends a worker even when another child of this process (a Process,
  // another Pool's worker) inherited a copy of the task pipe's write end and so withholds
  // EOF. Exit is seen as EOF on the result pipe: each worker's end closes as it exits.
  // Traced workers first send their events, each on its own pipe, read here before the
  // result pipe's EOF is awaited (a worker blocked on a full trace pipe never exits).
  // Returns those events, for the caller to merge once the workers are reaped.
  std::vector<std::string> stop_workers() noexcept {
    std::vector<std::string> traces;
    std::array<std::byte, task_size> stop{};
    std::memcpy(stop.data(), &stop_index, sizeof stop_index);
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      // The pipe is empty between maps; if it were full the rest is left to SIGKILL.
      if (::write(tasks_.get(), stop.data(), task_size) != static_cast<ssize_t>(task_size)) break;
    }
    tasks_.reset();
    const auto deadline = std::chrono::steady_clock::now() + exit_grace;
    for (Worker& w : workers_) {
      if (!w.events) continue;
      try {
        traces.push_back(detail::read_until_eof(w.events.get(), deadline));
      } catch (...) {
      }
      w.events.reset();
    }
    std::array<std::byte, 4096> sink;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return traces;
      pollfd fd{results_.get(), POLLIN, 0};
      const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return traces;
      const ssize_t got = ::read(results_.get(), sink.data(), sink.size());
      if (got == 0) return traces;  // EOF: all workers have exited
      if (got < 0 && errno != EINTR) return traces;
    }
  }

  // The forceful end: SIGKILL every worker not yet reaped and reap it. Safe to repeat.
  void tear_down() noexcept {
    broken_ = true;
    tasks_.reset();
    for (Worker& w : workers_) {
      if (w.reaped) continue;
      detail::kill_and_reap(w.pid);
      w.reaped = true;
    }
  }

  // Invariant: while !broken_, every worker is alive and idle between map calls, both pipes
  // are empty, and every submitted task's result has been read. broken_ means every worker
  // has been killed and reaped.
  std::vector<Worker> workers_;
  Fd tasks_;        // write end, non-blocking; closing it is EOF for the workers
  Fd task_reader_;  // read end, never read by the parent: see the constructor
  Fd results_;      // read end of the workers' shared result pipe
  bool broken_ = false;
  std::string broken_reason_;
};

}  // namespace cmbench::processes
