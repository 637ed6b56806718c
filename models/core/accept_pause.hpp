// What every server here does when accept() fails for want of a resource: EMFILE (the
// process is out of descriptors, as under `ulimit -n 64` with 200 clients), ENFILE, ENOBUFS,
// ENOMEM. The connection stays in the listen queue and the listening socket stays readable,
// so a loop that accepts again at once spins a core and logs a line per try (measured
// before this rule: the callbacks and futures servers at ≈ 60 % of a core, the futures
// server ≈ 450 000 identical lines in 2 s). Instead the server stops accepting for
// `accept_pause`, as asyncio does (one second), while its connections end and give their
// descriptors back, and says so through an AcceptPauses: the first pause, then at most one
// line a minute with how many pauses it stands for.
//
// Guarantees: pausing() returns a line at most once per `quiet` (the first call always).
// Not guaranteed: that the resource comes back; a server out of descriptors for good keeps
// pausing, one accept attempt a second. Cost: a clock read per call.
// Thread-safety: one AcceptPauses per accepting thread (or process).
#pragma once

#include <chrono>
#include <string>

namespace cmbench {

inline constexpr std::chrono::seconds accept_pause{1};

class AcceptPauses {
 public:
  using Clock = std::chrono::steady_clock;

  // `who` opens each line: "start_server", "ThreadingTCPServer", "http_server asio".
  explicit AcceptPauses(std::string who, Clock::duration quiet = std::chrono::minutes(1))
      : who_(std::move(who)), quiet_(quiet) {}

  // A pause begins because accept failed with `why` (errno's words): the line to log, or ""
  // while the last one is less than `quiet` old.
  std::string pausing(const std::string& why);

  // Pauses so far, said or not.
  long pauses() const { return pauses_; }

 private:
  std::string who_;
  Clock::duration quiet_;
  Clock::time_point said_{};
  long pauses_ = 0, unsaid_ = 0;
};

}  // namespace cmbench
