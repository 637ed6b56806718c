// The Python reference clients of http_fetch and fetch_and_process, beyond the smallest cell
// that cells_test runs: every row honours the bound M (http_fetch) and the tightest queue
// (fetch_and_process), and a row whose pages are not the origin's fails its verification,
// which sees every page's bytes through their digests. The wrong pages come from an origin
// of the test's own, as tests/http_fetch_test.cpp serves a 404: the rows' parameters point
// at its port.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "catalog.hpp"
#include "models/core/http.hpp"
#include "models/core/tcp.hpp"
#include "workloads/fetch_and_process/python/rows.hpp"
#include "workloads/http_fetch/python/rows.hpp"

using namespace cmbench;
using namespace std::chrono_literals;

namespace {

// Every Python row of `workload`, by label ("py-aiohttp").
std::vector<std::string> python_rows_of(const std::string& workload) {
  std::vector<std::string> labels;
  for (const auto& i : catalog().impls())
    if (i->workload->name == workload && i->model->name == "py") labels.push_back(i->label());
  return labels;
}

Verdict run_cell(const std::string& workload, const std::string& label, const ParamValues& v) {
  cmbench::Run run = catalog().impl(workload, label).prepare(v);
  return run()();
}

// An origin that answers every GET /item/<i> at once with body(i), except /item/<wrong>,
// whose body has one byte changed: the right length, the wrong bytes. One connection at a
// time, each read until its request is whole, answered, closed.
class WrongPageOrigin {
 public:
  explicit WrongPageOrigin(std::size_t wrong)
      : listener_(tcp::listen(0)), server_([this, wrong] { serve(wrong); }) {}
  ~WrongPageOrigin() {
    stop_ = true;
    server_.join();
  }
  std::uint16_t port() const { return tcp::local_port(listener_.get()); }

 private:
  void serve(std::size_t wrong) {
    while (!stop_) {
      Fd conn = tcp::accept(listener_.get());
      if (!conn) {
        std::this_thread::sleep_for(1ms);
        continue;
      }
      ::fcntl(conn.get(), F_SETFL, ::fcntl(conn.get(), F_GETFL) & ~O_NONBLOCK);
      timeval tv{5, 0};
      ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      http::RequestReader reader;
      http::Request request;
      char buf[4096];
      ssize_t n = 0;
      while (reader.next(request) == http::Status::incomplete &&
             (n = ::recv(conn.get(), buf, sizeof buf, 0)) > 0)
        reader.feed({buf, std::size_t(n)});
      if (n < 0) continue;  // the client went away
      const long long index = serving::index_of(request.target);
      std::string page = serving::body(index < 0 ? 0 : std::size_t(index));
      if (index == static_cast<long long>(wrong)) page[page.size() / 2] ^= 1;
      std::string response;
      http::write_response(response, 200, "OK", "application/octet-stream", page, false);
      for (std::size_t sent = 0; sent < response.size();) {
        ssize_t k =
            ::send(conn.get(), response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (k <= 0) break;
        sent += std::size_t(k);
      }
    }
  }

  Fd listener_;
  std::atomic<bool> stop_{false};
  std::thread server_;
};

const ModelInfo& framework_of(const std::string& workload, const std::string& label) {
  return catalog().impl(workload, label).bounds();
}

class PythonHttpFetch : public ::testing::TestWithParam<std::string> {};
class PythonFetchAndProcess : public ::testing::TestWithParam<std::string> {};

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

}  // namespace

TEST(PythonRows, EachClientWorkloadHasItsRows) {
  EXPECT_GE(python_rows_of("http_fetch").size(), 5u);
  EXPECT_GE(python_rows_of("fetch_and_process").size(), 3u);
}

TEST_P(PythonHttpFetch, FetchesEveryPageWithinTheBound) {
  // 20 ms per page, so that the fetches' overlap shows even on a loaded machine; M = 3
  // bounds 12 pages to four rounds.
  for (const char* m : {"0", "3"}) {
    Verdict v = run_cell("http_fetch", GetParam(),
                         ParamValues({{"N", "12"},
                                      {"d", "20ms"},
                                      {"M", m},
                                      {"server", "loopback"},
                                      {"client", "loopback"}}));
    EXPECT_TRUE(v.ok) << GetParam() << " M=" << m << ": " << v.why;
    if (std::string(m) == "3") {
      EXPECT_LE(v.peak_in_flight, 3u) << GetParam();
    }
  }
}

TEST_P(PythonHttpFetch, APageThatIsNotTheOriginsFailsVerification) {
  WrongPageOrigin origin(2);
  http_fetch::Params p;
  p.n = 4;
  p.delay = 0us;  // this origin answers at once
  p.port = origin.port();
  python::Interpreter row("http_fetch/python/" + GetParam().substr(3) + ".py",
                          http_fetch::python_rows::args(p));
  row.run();
  http_fetch::Result pages = http_fetch::python_rows::read(row.output());
  ASSERT_EQ(pages.size(), 4u) << GetParam();
  Verdict v = http_fetch::verify(p, pages, framework_of("http_fetch", GetParam()));
  EXPECT_FALSE(v.ok) << GetParam();
  EXPECT_NE(v.why.find("/item/2: "), std::string::npos) << GetParam() << ": " << v.why;
}

TEST(PythonHttpFetchRead, AMalformedLineIsAnErrorNotAPage) {
  python::Output out;
  out.lines = {{"1", "2", "6869"}};  // "hi"
  auto pages = http_fetch::python_rows::read(out);
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0].digest, serving::digest_of("hi"));
  EXPECT_EQ(pages[0].span.end_ns, 2);
  for (auto bad : std::vector<std::vector<std::string>>{
           {"1", "2", "686"}, {"1", "2", "zz"}, {"1", "x", "68"}, {"1"}}) {
    out.lines = {bad};
    EXPECT_THROW(http_fetch::python_rows::read(out), std::runtime_error) << bad.size();
  }
}

TEST_P(PythonFetchAndProcess, ProcessesEveryItemThroughTheTightestQueue) {
  Verdict v = run_cell("fetch_and_process", GetParam(),
                       ParamValues({{"N", "16"},
                                    {"d", "5ms"},
                                    {"c", "200us"},
                                    {"P", "4"},
                                    {"C", "2"},
                                    {"Q", "1"},
                                    {"timeout", "5s"},
                                    {"server", "loopback"},
                                    {"client", "loopback"}}));
  EXPECT_TRUE(v.ok) << GetParam() << ": " << v.why;
  for (const auto& [name, value] : v.metrics)
    if (name == "max_depth") {
      EXPECT_LE(value, 1.0) << GetParam();
    }
}

TEST_P(PythonFetchAndProcess, APageThatIsNotTheOriginsFailsVerification) {
  WrongPageOrigin origin(2);
  fetch_and_process::Params p;
  p.n = 6;
  p.delay = 0us;  // this origin answers at once
  p.producers = 2;
  p.consumers = 2;
  p.capacity = 2;
  p.rounds = fetch_and_process::python_rows::rounds_for(200us);
  p.port = origin.port();
  python::Interpreter row("fetch_and_process/python/" + GetParam().substr(3) + ".py",
                          fetch_and_process::python_rows::args(p));
  row.run();
  auto result = fetch_and_process::python_rows::read(row.output());
  ASSERT_EQ(result.items.size(), 6u) << GetParam();
  Verdict v = fetch_and_process::verify(p, result, framework_of("fetch_and_process", GetParam()));
  EXPECT_FALSE(v.ok) << GetParam();
  EXPECT_NE(v.why.find("/item/2: checksum"), std::string::npos) << GetParam() << ": " << v.why;
}

INSTANTIATE_TEST_SUITE_P(Rows, PythonHttpFetch, ::testing::ValuesIn(python_rows_of("http_fetch")),
                         test_name);
INSTANTIATE_TEST_SUITE_P(Rows, PythonFetchAndProcess,
                         ::testing::ValuesIn(python_rows_of("fetch_and_process")), test_name);
