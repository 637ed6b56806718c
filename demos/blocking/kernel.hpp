// The blocking demo's CPU-bound chunk: pure computation (xorshift rounds, no memory traffic,
// no system call), so that a chunk holds its thread for as long as it computes and only more
// cores make several chunks go faster.
//
// rounds_for(d) measures once per process how many rounds take `d` on this machine (the
// first call costs ≈ 60 ms: the fastest of three probes), so a chunk lasts about half a
// unit wherever it runs. Call it before making threads or processes: they inherit the
// measure instead of each taking their own on a busy machine.
// Thread-safety: crunch and chunk from any thread or forked child; rounds_for's first call
// is the measure (a static, initialised once).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace cmbench::demos::blocking {

// `rounds` rounds of xorshift64; returns the last value (a checksum).
std::uint64_t crunch(std::uint64_t rounds) noexcept;

// The rounds of crunch that take about `d` on this machine.
std::uint64_t rounds_for(std::chrono::microseconds d);

// One chunk of work: says "<where>: chunk N started", crunches `rounds`, says
// "<where>: chunk N finished"; returns the checksum.
std::uint64_t chunk(std::string_view where, int n, std::uint64_t rounds);

}  // namespace cmbench::demos::blocking
