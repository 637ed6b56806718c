// echo's Python rows (workloads/python/served.hpp): each framework's own echo server,
// started as a program of its own and loaded by the same generator as the C++ servers;
// verified by verify(), its CPU time read as this process's descendants'.
#include "echo/spec.hpp"
#include "workloads/python/served.hpp"

namespace cmbench::echo {
namespace {

constexpr char asyncio[] = "echo/python/asyncio.py";
constexpr char asyncio_protocol[] = "echo/python/asyncio-protocol.py";
constexpr char uvloop[] = "echo/python/uvloop.py";
constexpr char twisted[] = "echo/python/twisted.py";
constexpr char tornado[] = "echo/python/tornado.py";
constexpr char gevent[] = "echo/python/gevent.py";

}  // namespace

void register_python(Catalog& catalog) {
  python::Servers rows(catalog, "echo", make_params, verify);
  // Every row in the full profile: the quick run keeps to http_server's Python server.
  rows.add(python::served<asyncio>, python::asyncio, "asyncio", python::full_only);
  rows.add(python::served<asyncio_protocol>, python::asyncio_protocol, "asyncio-protocol",
           python::full_only);
  rows.add(python::served<uvloop>, python::uvloop_protocol, "uvloop", python::full_only);
  rows.add(python::served<twisted>, python::twisted, "twisted", python::full_only);
  rows.add(python::served<tornado>, python::tornado, "tornado", python::full_only);
  rows.add(python::served<gevent>, python::gevent, "gevent", python::full_only);
}

}  // namespace cmbench::echo
