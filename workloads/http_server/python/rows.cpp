// http_server's Python rows (workloads/python/served.hpp): each framework's own
// "Hello, world!" server, started as a program of its own and loaded by the same generator
// as the C++ servers; verified by verify(), its CPU time read as this process's descendants'.
#include "http_server/spec.hpp"
#include "workloads/python/served.hpp"

namespace cmbench::http_server {
namespace {

constexpr char aiohttp[] = "http_server/python/aiohttp.py";
constexpr char uvloop[] = "http_server/python/uvloop.py";
constexpr char twisted[] = "http_server/python/twisted.py";
constexpr char tornado[] = "http_server/python/tornado.py";
constexpr char gevent[] = "http_server/python/gevent.py";
constexpr char gevent_nodelay[] = "http_server/python/gevent-nodelay.py";
constexpr char threading[] = "http_server/python/threading.py";

// In the quick profile, the slow backend: a closed loop, each connection's next request sent
// when its answer came, so that a server serves as fast as it can. The quick profile's other
// cell offers 20 000 requests/s, beyond every Python server here but uvloop's: an open loop
// past a server's capacity falls ever further behind its schedule, and counts almost no
// answer due within the window.
bool quick(const ParamValues& v) {
  return v.text("variant") == "slow";
}

}  // namespace

void register_python(Catalog& catalog) {
  // The full profile runs every row at the quick profile's slow backend, for the same reason.
  python::Servers rows(catalog, "http_server", make_params, verify, quick);
  rows.add(python::served<aiohttp>, python::asyncio, "aiohttp", quick);
  rows.add(python::served<uvloop>, python::uvloop_protocol, "uvloop", python::full_only);
  rows.add(python::served<twisted>, python::twisted, "twisted", python::full_only);
  rows.add(python::served<tornado>, python::tornado, "tornado", python::full_only);
  rows.add(python::served<gevent>, python::gevent, "gevent", python::full_only);
  rows.add(python::served<gevent_nodelay>, python::gevent, "gevent-nodelay", python::full_only);
  // Left to the exhaustive profile (T = 2 s, requests may wait 1 s): at T = 200 ms its
  // 250 ms timeout caught 1 or 2 requests a run that waited for the GIL, with 50 threads
  // taking turns every 5 ms (sys.getswitchinterval()).
  rows.add(python::served<threading>, python::threading, "threading", python::full_only, false);
}

}  // namespace cmbench::http_server
