// ping_pong, processes: a forked child as B, as with multiprocessing.Process and a Pipe.
// The token travels as 8 bytes through one pipe each way; each end blocks in read() until
// it arrives, adds one and writes it back. A hand-off is a write, the kernel waking the
// reader, and its read: the processes model's own channel. `processes-semaphore` keeps the
// token in shared memory instead and passes the turn with two POSIX semaphores there (what
// multiprocessing.Semaphore is): a futex in a shared page, no copy through the kernel.
// The child reports the CPU it ran on and the hand-offs it received as its result.
#include <semaphore.h>
#include <sys/mman.h>

#include <cerrno>
#include <system_error>

#include "models/core/span.hpp"
#include "models/processes/pipe.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::ping_pong {
namespace {

struct Report {
  std::int64_t received = 0;
  int cpu = -1;
};

std::int64_t receive(int fd) {
  std::int64_t v = 0;
  if (mp::read_full(fd, &v, sizeof v) != sizeof v) throw std::runtime_error("the pipe closed");
  return v;
}

void send(int fd, std::int64_t v) {
  mp::write_all(fd, &v, sizeof v);
}

}  // namespace

Result processes(const Params& p) {
  Pin pin(p.cpu_a);
  mp::Pipe there = mp::make_pipe(), back = mp::make_pipe();
  mp::Process<Report> b([&] {
    Pin here(p.cpu_b);
    send(back.write.get(), 0);  // pinned and ready: not a hand-off
    Report report;
    for (std::int64_t i = 0; i < p.rounds; ++i) {
      const std::int64_t token = receive(there.read.get());
      ++report.received;
      send(back.write.get(), token + 1);
    }
    report.cpu = current_cpu();
    return report;
  });
  receive(back.read.get());
  Result r;
  std::int64_t token = 0;
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < p.rounds; ++i) {
    send(there.write.get(), token + 1);
    token = receive(back.read.get());
    ++r.handoffs;
  }
  r.elapsed_ns = monotonic_ns() - start;
  r.cpu_a = current_cpu();
  const Report report = b.join();
  r.token = token;
  r.handoffs += report.received;
  r.cpu_b = report.cpu;
  return r;
}

namespace {

// The page A and B share: mapped before the fork, so the child sees the same one.
// Invariant: only the end whose semaphore was last posted touches `token`.
struct Shared {
  sem_t to_a, to_b;
  std::int64_t token;
};

void wait(sem_t& s) {
  while (::sem_wait(&s) < 0)
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "sem_wait");
}

class SharedPage {
 public:
  SharedPage() {
    void* m =
        ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    s_ = new (m) Shared{};
    ::sem_init(&s_->to_a, /*pshared=*/1, 0);
    ::sem_init(&s_->to_b, /*pshared=*/1, 0);
  }
  ~SharedPage() {
    ::sem_destroy(&s_->to_a);
    ::sem_destroy(&s_->to_b);
    ::munmap(s_, sizeof(Shared));
  }
  SharedPage(const SharedPage&) = delete;
  SharedPage& operator=(const SharedPage&) = delete;
  Shared& operator*() const { return *s_; }

 private:
  Shared* s_;
};

}  // namespace

Result processes_semaphore(const Params& p) {
  Pin pin(p.cpu_a);
  SharedPage page;
  Shared& s = *page;
  mp::Process<Report> b([&] {
    Pin here(p.cpu_b);
    ::sem_post(&s.to_a);  // pinned and ready: not a hand-off
    Report report;
    for (std::int64_t i = 0; i < p.rounds; ++i) {
      wait(s.to_b);
      ++report.received;
      ++s.token;
      ::sem_post(&s.to_a);
    }
    report.cpu = current_cpu();
    return report;
  });
  wait(s.to_a);
  Result r;
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < p.rounds; ++i) {
    ++s.token;
    ::sem_post(&s.to_b);
    wait(s.to_a);
    ++r.handoffs;
  }
  r.elapsed_ns = monotonic_ns() - start;
  r.cpu_a = current_cpu();
  const Report report = b.join();
  r.token = s.token;
  r.handoffs += report.received;
  r.cpu_b = report.cpu;
  return r;
}

}  // namespace cmbench::ping_pong
