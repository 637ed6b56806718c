// The Python reference servers (http_server, echo): a row's program, run by
// workloads/python/serve.py with /usr/bin/python3 in an interpreter of its own, serving
// through a Control as the C++ servers do, under the same load generator.
//
//   start   the interpreter, the framework's imports, the parameters (JSON) on stdin; the
//           program binds 127.0.0.1 port 0 and says `listening <port>`          (not timed)
//   serve   the port goes to Control::serving; the load generator runs its window, and the
//           server's CPU time is read as this process's descendants' (as nginx's)
//   stop    stdin is closed: the program ends at once (its clients have gone); it is reaped,
//           and killed if it has not ended within 5 s
//
// A program that fails to start, exits while serving or does not end cleanly fails its cell
// with its stderr (a traceback) in the reason.
#pragma once

#include <string>

#include "cells/registry.hpp"
#include "workloads/python/rows.hpp"
#include "workloads/serving/control.hpp"
#include "workloads/serving/under_load.hpp"

namespace cmbench::python {

// Serves with the program `row` (a path below workloads/: "echo/python/asyncio.py") until
// `control` says stop. Its parameters: the variant ("hello", "slow"), the backend's wait in
// µs and the idle timeout in ms. Throws std::runtime_error as above.
void serve(serving::Control& control, const std::string& row);

// serve() as a serving::Serve, the row's path fixed at compile time (a server is a plain
// function): `constexpr char aiohttp[] = "http_server/python/aiohttp.py";` then
// `python::served<aiohttp>`.
template <const char* Row>
void served(serving::Control& control) {
  serve(control, Row);
}

// A loaded workload's Python server rows (http_server, echo), added under the model `py`
// and run under the load as every server of the workload is:
//
//   python::Servers rows(catalog, "echo", make_params, verify);
//   rows.add(python::served<asyncio>, python::asyncio, "asyncio", quick);
//
// A row is bounded by `framework`; `quick` picks the quick profile's scales it runs at
// (python::full_only: none); `in_full`, if given, which of the quick profile's scales every
// row runs at in the full profile (python::runs_at).
class Servers {
 public:
  using Make = serving::Params (*)(const ParamValues&);
  using Verify = Verdict (*)(const serving::Params&, const serving::Result&, const ModelInfo&);
  using Scales = bool (*)(const ParamValues&);
  Servers(Catalog& catalog, std::string workload, Make make, Verify verify,
          Scales in_full = nullptr)
      : catalog_(catalog),
        workload_(std::move(workload)),
        make_(make),
        verify_(verify),
        in_full_(in_full) {}

  // `in_full` false: the row is left to the exhaustive profile.
  void add(serving::Serve serve, const ModelInfo& framework, const std::string& variant,
           bool (*quick)(const ParamValues&), bool in_full = true);

 private:
  Catalog& catalog_;
  std::string workload_;
  Make make_;
  Verify verify_;
  Scales in_full_;
};

}  // namespace cmbench::python
