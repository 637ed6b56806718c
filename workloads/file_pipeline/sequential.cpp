// file_pipeline, sequential: the plain loop, as a script with no concurrency writes it.
//
//   for name in names:
//       data = open(f"in/{name}").read().upper()
//       open(f"out/{name}", "w").write(data)
//
// (process_file in spec.cpp is that loop's body.) One file after another, each call
// waiting for the disk or the page cache in turn: the time the others are read against.
#include "file_pipeline/spec.hpp"

namespace cmbench::file_pipeline {

Files sequential(const Params& p) {
  Files files;
  for (std::size_t i = 0; i < p.files; ++i) files.push_back(process_file(p, i));
  return files;
}

}  // namespace cmbench::file_pipeline
