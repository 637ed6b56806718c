// Holdings: what a process holds at one moment, read from /proc: its descriptors, its
// threads and its child processes. The harness takes one after each repetition of a cell and
// fails the cell when a repetition ends holding more than the one before (gbench.cpp); the
// tests take them around a run to check that it left nothing behind.
//
// Guarantees: each list names its entries (a descriptor's target, a thread's name, a
// child's pid and name), so that a leak is reported by what leaked. Not guaranteed: a
// consistent snapshot of a process whose threads open and close descriptors meanwhile.
// Cost: one readdir and one readlink or read per entry (≈ 2 µs each), nothing kept open.
// Thread-safety: any thread may take one.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace cmbench {

struct Holdings {
  std::map<int, std::string> descriptors;  // number → what it refers to ("socket:[812]")
  std::vector<std::string> threads;        // each thread's name, this one's included
  std::vector<std::string> children;       // "1234 (sleep)", zombies included

  // What this process holds now.
  static Holdings now();
};

// What `after` holds beyond `before`, in words ("2 descriptors (socket:[812], pipe:[77]), 1
// thread (worker)"), or "" when it holds no more descriptors, threads or children.
std::string grown_since(const Holdings& before, const Holdings& after);

// Takes Holdings until what they hold is no more than `before` or `settle` has passed, and
// returns the last: a thread that was joined, or a child that was reaped a moment ago, can
// still be listed in /proc for a few microseconds.
Holdings settled_holdings(const Holdings& before,
                          std::chrono::milliseconds settle = std::chrono::milliseconds(200));

// The entries of a directory, "." and ".." left out; 0 if it cannot be opened.
std::size_t entries(const std::string& dir);

}  // namespace cmbench
