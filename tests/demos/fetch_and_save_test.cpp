// fetch_and_save in every model holds to demos/fetch_and_save/spec.hpp: the three pages
// saved with their sizes, about 4 units one after another and about 2 concurrently, and
// nothing left behind: no server on the origin's port, no process, no temporary file.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "isolated_run.hpp"

namespace {

// Whether something still listens on 127.0.0.1:port.
bool listening(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return connected;
}

class FetchAndSave : public testing::TestWithParam<std::string> {};

TEST_P(FetchAndSave, SavesThePagesWithTheWaitsAddingUpOrOverlapping) {
  const std::string model = GetParam();
  demo_test::IsolatedRun run("fetch_and_save", model);
  const auto& d = run.d;
  ASSERT_EQ(d.status, 0) << d.text;
  const std::size_t origin = d.find_prefix("origin at http://127.0.0.1:");
  ASSERT_NE(origin, demo_test::DemoOutput::npos) << d.text;
  const std::string base = d.lines[origin].text.substr(10);  // http://127.0.0.1:PORT
  const int port = std::stoi(base.substr(17));

  // Nothing left: no server, no process, no file.
  EXPECT_FALSE(listening(port)) << "the origin still listens on " << port;
  EXPECT_TRUE(run.leftover_processes().empty()) << d.text;
  EXPECT_TRUE(run.tmp_is_empty()) << d.text;

  const std::string names[] = {"news", "docs", "blog"};
  const std::string saved[] = {"Downloaded news.html: 5160 characters",
                               "Downloaded docs.html: 17035 characters",
                               "Downloaded blog.html: 2030 characters"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(d.said("fetching " + base + "/" + names[i])) << d.text;
    ASSERT_TRUE(d.said(saved[i])) << d.text;
  }
  const std::size_t total = d.find_prefix("total ");
  ASSERT_NE(total, demo_test::DemoOutput::npos) << d.text;
  const double took = d.lines[total].units;
  // Each page takes at least its wait (less the printed times' rounding, 1 ms each).
  constexpr double printed = 2.0 / demo_test::unit_ms;
  const double waits[] = {1, 2, 1};
  for (int i = 0; i < 3; ++i)
    EXPECT_GE(d.at(saved[i]) - d.at("fetching " + base + "/" + names[i]), waits[i] - printed)
        << d.text;
  if (model == "sequential") {
    EXPECT_LT(d.find(saved[0]), d.find("fetching " + base + "/docs")) << d.text;
    EXPECT_LT(d.find(saved[1]), d.find("fetching " + base + "/blog")) << d.text;
    EXPECT_GE(took, 4.0 - printed) << d.text;
    EXPECT_NE(d.lesson.find("add up"), std::string::npos) << d.lesson;
    return;
  }
  // Concurrent: about 2 units, less than the 4 of one after another (the order below is
  // what shows the overlap; the time only has to beat the sum, also under a sanitizer);
  // every fetch out before any page is saved, and the slowest page (docs) saved last.
  EXPECT_GE(took, 2.0 - printed) << d.text;
  EXPECT_LT(took, 4.0) << d.text;
  const std::size_t first_saved = std::min({d.find(saved[0]), d.find(saved[1]), d.find(saved[2])});
  for (const auto& name : names)
    EXPECT_LT(d.find("fetching " + base + "/" + name), first_saved) << d.text;
  EXPECT_GT(d.find(saved[1]), d.find(saved[0])) << d.text;
  EXPECT_GT(d.find(saved[1]), d.find(saved[2])) << d.text;
  EXPECT_NE(d.lesson.find("overlap"), std::string::npos) << d.lesson;
}

INSTANTIATE_TEST_SUITE_P(EveryModel, FetchAndSave, testing::ValuesIn(demo_test::models),
                         [](const auto& info) { return info.param; });

}  // namespace
