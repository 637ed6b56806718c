// http_fetch's Python rows (workloads/python/rows.hpp): each program gets the origin's port,
// N, M and a timeout per fetch, fetches from the origin the C++ cells use (started by
// make_params when the cell is prepared, not timed, and held by the parameters for as long as
// the row runs), and hands back one line per URL, in URL order: `start_ns end_ns body`, the
// span on CLOCK_MONOTONIC and the body's bytes in hex. The page's digest is computed here:
// the C++ clients fold FNV-1a over each buffer as it arrives, at a cost no one sees, while a
// Python loop over the bytes would cost ≈ 100 ns a byte inside the timed region, a cost of
// this benchmark's checksum and no part of any client a Python user writes.
#include "workloads/http_fetch/python/rows.hpp"

#include <string_view>

#include "workloads/serving/fetch_blocking.hpp"

namespace cmbench::http_fetch {
namespace {

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The bytes that `hex` spells, two lowercase digits each (Python's bytes.hex()).
std::string unhex(std::string_view hex, std::size_t line) {
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int high = nibble(hex[i]), low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) break;
    bytes.push_back(static_cast<char>(high * 16 + low));
  }
  if (bytes.size() * 2 != hex.size())
    throw std::runtime_error("result line " + std::to_string(line + 1) + ": a body not in hex");
  return bytes;
}

// A framework's bounds, with what a page costs its client: ≈ 0.4-0.8 ms of the interpreter's
// time (docs/python/http_fetch.md), where the frameworks' own ModelInfo count the ≈ 15 µs of
// starting a task. The suite's estimates and time limits follow from it: at N = 10 000 a
// Python client takes seconds per run, not the fraction of one that a C++ client takes.
constexpr ModelInfo client(ModelInfo framework) {
  framework.task_start_us = 800;
  return framework;
}
constexpr ModelInfo aiohttp = client(python::asyncio), uvloop = client(python::uvloop),
                    twisted = client(python::twisted), tornado = client(python::tornado),
                    gevent = client(python::gevent), thread_pool = client(python::threading);

// In the quick profile, the 100 pages at d = 1 ms: what each fetch costs the client. (At the
// quick profile's 1 000 pages a Python cell costs ≈ 8 s of the suite: its repetitions, each
// ≈ 1 s, in interpreters of their own.)
bool quick(const ParamValues& v) {
  return v.integer("N") == 100;
}

}  // namespace

namespace python_rows {

std::string args(const Params& p) {
  return python::Args()
      .integer("port", p.port)
      .integer("n", static_cast<std::int64_t>(p.n))
      .integer("max_in_flight", static_cast<std::int64_t>(p.max_in_flight))
      .integer("timeout_s", serving::blocking_timeout.count() / 1000)
      .json();
}

Result read(const python::Output& out) {
  Result pages(out.lines.size());
  for (std::size_t i = 0; i < pages.size(); ++i) {
    pages[i].span = {out.integer(i, 0), out.integer(i, 1)};
    // An empty body is an empty field, which splitting at spaces drops.
    const auto& fields = out.lines[i];
    pages[i].digest = digest_of(unhex(fields.size() > 2 ? fields[2] : "", i));
  }
  return pages;
}

}  // namespace python_rows

void register_python(Catalog& catalog) {
  python::Rows<Params, Result> rows(catalog, "http_fetch", make_params, verify, python_rows::args,
                                    python_rows::read, python::full_only);
  rows.add(aiohttp, "aiohttp", quick);
  rows.add(uvloop, "uvloop");
  rows.add(twisted, "twisted");
  rows.add(tornado, "tornado");
  rows.add(gevent, "gevent");
  rows.add(thread_pool, "threading-pool");
}

}  // namespace cmbench::http_fetch
