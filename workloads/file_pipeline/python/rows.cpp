// file_pipeline's Python rows (workloads/python/rows.hpp). Each program gets the directory
// that set-up filled (make_params), the number of files, sync and T; it reads in/<i> and
// writes out/<i> there, and hands back a line `<threads> <workers>` (the process's threads
// at the end of the run, the I/O workers it used), then one span per file, `start_ns end_ns`
// on CLOCK_MONOTONIC, in file order. verify() then reads the outputs back, as for every C++
// model. The directory belongs to the Params, which the cell holds until it is done: removed
// with them, whether the row passed or failed.
#include "workloads/python/rows.hpp"
#include "file_pipeline/spec.hpp"

namespace cmbench::file_pipeline {
namespace {

std::string args(const Params& p) {
  return python::Args()
      .text("dir", p.dir->path())
      .integer("files", static_cast<std::int64_t>(p.files))
      .integer("sync", p.sync ? 1 : 0)
      .integer("workers", p.workers)
      .json();
}

Result read(const python::Output& out) {
  Result r;
  r.threads = static_cast<unsigned>(out.integer(0, 0));
  r.workers = static_cast<unsigned>(out.integer(0, 1));
  for (std::size_t l = 1; l < out.lines.size(); ++l)
    r.files.push_back({out.integer(l, 0), out.integer(l, 1)});
  r.wall_ns = out.wall_ns;  // from the row's call to its return, measured by the interpreter
  return r;
}

}  // namespace

void register_python(Catalog& catalog) {
  python::Rows<Params, Result> rows(catalog, "file_pipeline", make_params, verify, args, read,
                                    python::full_only);
  // Every row in the full profile (the quick run keeps to a few Python rows).
  rows.add(python::asyncio, "aiofiles");
  rows.add(python::asyncio, "asyncio");
  rows.add(python::threading, "threading");
  // A Pool forks T interpreters per run (≈ 25 ms each here).
  rows.add(python::multiprocessing, "multiprocessing");
  rows.add(python::gevent, "gevent");
  rows.add(python::twisted, "twisted");
  rows.add(python::tornado, "tornado");
}

}  // namespace cmbench::file_pipeline
