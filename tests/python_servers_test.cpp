// The Python reference servers (workloads/python/served.hpp) beyond what every cell's
// smallest run checks (cells_test.cpp): gevent's pywsgi keeps Nagle's algorithm on, so each
// keep-alive response waits for the client's delayed ACK, and TCP_NODELAY ends that stall;
// and a Python server that fails before it listens fails its cell with its traceback.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "catalog.hpp"
#include "workloads/http_server/spec.hpp"
#include "workloads/python/served.hpp"

using namespace cmbench;

namespace {

// The cell's figures at its workload's smallest scale (4 connections, 100 ms measured),
// verified, run through the catalog as every cell is.
std::map<std::string, double> smallest_run(const std::string& workload, const std::string& label) {
  const CellImpl& impl = catalog().impl(workload, label);
  Verdict v = impl.prepare(impl.workload->smallest)()();
  EXPECT_TRUE(v.ok) << label << ": " << v.why;
  return {v.metrics.begin(), v.metrics.end()};
}

constexpr char exits_at_start[] = CMBENCH_SOURCE_DIR "/tests/data/python_server_exits_at_start.py";

}  // namespace

// A keep-alive response's body leaves only once its head is acknowledged, and Linux delays
// that ACK by up to 40 ms: every response waits ≈ 40 ms. With TCP_NODELAY it leaves at once.
// The margins are semantic (the stall's own size, and a factor of 10), not a speed.
TEST(PythonServers, GeventsNagleStallShowsAndTcpNodelayEndsIt) {
  const double stalled = smallest_run("http_server", "py-gevent")["p50_us"];
  const double nodelay = smallest_run("http_server", "py-gevent-nodelay")["p50_us"];
  EXPECT_GE(stalled, 30'000) << "pywsgi as it comes: the median latency is the delayed ACK";
  EXPECT_GT(stalled, 10 * nodelay) << "with TCP_NODELAY the stall is gone";
}

// The reason holds the program's own words (its traceback on stderr) and how it ended.
TEST(PythonServers, AServerThatExitsAtStartFailsWithItsStderr) {
  http_server::Params p = http_server::make_params(catalog().workload("http_server").smallest);
  try {
    http_server::run_under_load(p, python::served<exits_at_start>);
    FAIL() << "a server that never listened was measured";
  } catch (const std::runtime_error& e) {
    const std::string why = e.what();
    EXPECT_NE(why.find("exited with status 1 at start"), std::string::npos) << why;
    EXPECT_NE(why.find("deliberately broken for the test"), std::string::npos) << why;
  }
}
