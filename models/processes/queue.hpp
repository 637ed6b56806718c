// Queue<T>: multiprocessing.Queue(maxsize), a bounded FIFO shared by a parent and the
// children it forks afterwards.
//
//   processes::Queue<Page> q(16);         // q = multiprocessing.Queue(maxsize=16)
//   processes::Process<int> child([&] {   // the child gets the same queue, fork shares it
//     q.put(page); ...
//   });
//   Page next = q.get();
//
// How: a ring of maxsize slots in one shared anonymous mapping (mmap MAP_SHARED before
// the fork), guarded by a process-shared mutex with two process-shared condition
// variables. Python's Queue sends pickled items through a pipe and bounds them with a
// semaphore; with trivially copyable items a shared ring is the same contract with no
// feeder thread and no pickling.
//
// Guarantees: FIFO; never more than maxsize items held (put waits under the lock that
// counts them); a wait woken spuriously rechecks. The timed put/get raise Full/Empty once
// the timeout has passed. The mapping is unmapped by the destructor in every process that
// holds it (the children's copies at their _exit).
// Not guaranteed: recovery from a process killed while it holds the lock (the queue is then
// unusable, as a multiprocessing.Queue whose feeder died is); so kill its users only when
// nobody will use the queue again. maxsize must be at least 1 (a shared ring has a size).
// Cost: a futex-based lock and, when a process waits, a futex wake-up (30–40 µs across
// vCPUs here); the items are copied once in and once out.
// Thread-safety: any thread of any process that holds the mapping.
#pragma once

#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <new>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <type_traits>

namespace cmbench::processes {

struct Full : std::runtime_error {
  Full() : std::runtime_error("processes::Queue is full") {}
};
struct Empty : std::runtime_error {
  Empty() : std::runtime_error("processes::Queue is empty") {}
};

template <class T>
class Queue {
  static_assert(std::is_trivially_copyable_v<T>,
                "processes::Queue<T>: items are copied as bytes between processes");
  static_assert(alignof(T) <= alignof(std::max_align_t), "the slots follow the header");

 public:
  explicit Queue(std::size_t maxsize) : maxsize_(maxsize) {
    if (maxsize == 0) throw std::invalid_argument("processes::Queue needs maxsize >= 1");
    bytes_ = sizeof(Shared) + maxsize * sizeof(T);
    void* at = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (at == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    shared_ = new (at) Shared;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&shared_->mutex, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&shared_->not_empty, &ca);
    pthread_cond_init(&shared_->not_full, &ca);
    pthread_condattr_destroy(&ca);
  }
  // The mapping goes; the lock and conditions are not destroyed, since other processes may
  // still hold their own mapping of them.
  ~Queue() { ::munmap(shared_, bytes_); }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  void put(const T& item) { put_until(item, std::nullopt); }
  void put(const T& item, std::chrono::nanoseconds timeout) { put_until(item, deadline(timeout)); }
  T get() { return get_until(std::nullopt); }
  T get(std::chrono::nanoseconds timeout) { return get_until(deadline(timeout)); }

  std::size_t qsize() const {
    Lock lock(*shared_);
    return shared_->count;
  }
  std::size_t maxsize() const noexcept { return maxsize_; }

 private:
  struct alignas(std::max_align_t) Shared {
    pthread_mutex_t mutex;
    pthread_cond_t not_empty, not_full;
    std::size_t head = 0, count = 0;  // the oldest item's slot; how many are held
  };
  struct Lock {
    explicit Lock(Shared& s) : s_(s) { pthread_mutex_lock(&s_.mutex); }
    ~Lock() { pthread_mutex_unlock(&s_.mutex); }
    Shared& s_;
  };

  T* slots() const {
    return reinterpret_cast<T*>(reinterpret_cast<char*>(shared_) + sizeof(Shared));
  }

  static timespec deadline(std::chrono::nanoseconds timeout) {
    timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    auto ns = std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec) + timeout;
    auto s = std::chrono::duration_cast<std::chrono::seconds>(ns);
    return {static_cast<time_t>(s.count()), static_cast<long>((ns - s).count())};
  }

  // Waits on `cv` while `blocked()`; false once `until` (nullopt: never) has passed.
  template <class Blocked>
  bool wait(pthread_cond_t& cv, Blocked blocked, const std::optional<timespec>& until) {
    while (blocked()) {
      int e = until ? pthread_cond_timedwait(&cv, &shared_->mutex, &*until)
                    : pthread_cond_wait(&cv, &shared_->mutex);
      if (e == ETIMEDOUT) return !blocked();
    }
    return true;
  }

  void put_until(const T& item, const std::optional<timespec>& until) {
    Lock lock(*shared_);
    if (!wait(
            shared_->not_full, [&] { return shared_->count == maxsize_; }, until))
      throw Full();
    slots()[(shared_->head + shared_->count) % maxsize_] = item;
    ++shared_->count;
    pthread_cond_signal(&shared_->not_empty);
  }

  T get_until(const std::optional<timespec>& until) {
    Lock lock(*shared_);
    if (!wait(
            shared_->not_empty, [&] { return shared_->count == 0; }, until))
      throw Empty();
    T item = slots()[shared_->head];
    shared_->head = (shared_->head + 1) % maxsize_;
    --shared_->count;
    pthread_cond_signal(&shared_->not_full);
    return item;
  }

  std::size_t maxsize_;
  std::size_t bytes_ = 0;
  Shared* shared_ = nullptr;
};

}  // namespace cmbench::processes
