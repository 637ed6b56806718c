// Where a cell's sides run (workloads/serving/placement.hpp, models/core/host.hpp): the sides
// that cannot meet and the hosts that are not there are refused with a reason; on loopback
// nothing changes. Cells inside the namespaces themselves need root and scripts/hosts: they
// are tested by tests/hosts_test.py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "models/core/host.hpp"
#include "workloads/serving/placement.hpp"

using namespace cmbench;
using ::testing::HasSubstr;

namespace {

ParamValues on(const std::string& server, const std::string& client) {
  return parse_params(serving::host_params(), {"server=" + server, "client=" + client});
}

std::string refusal(const ParamValues& v) {
  try {
    serving::hosts_of(v);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Placement, BothSidesOnLoopbackOrBothOnNamespaces) {
  EXPECT_TRUE(serving::hosts_of(on("loopback", "loopback")).over_loopback());
  const serving::Hosts across = serving::hosts_of(on("cmbench-a", "cmbench-c"));
  EXPECT_EQ(across.server, "cmbench-a");
  EXPECT_EQ(across.client, "cmbench-c");
  EXPECT_FALSE(across.over_loopback());
  EXPECT_EQ(refusal(on("cmbench-a", "cmbench-a")), "");  // one host, its own loopback

  EXPECT_THAT(refusal(on("cmbench-a", "loopback")), HasSubstr("cannot reach client=loopback"));
  EXPECT_THAT(refusal(on("loopback", "cmbench-b")), HasSubstr("both on namespaces"));
}

TEST(Placement, MachinesAtAddressesMeetOnlyMachinesAtAddresses) {
  EXPECT_EQ(refusal(on("192.168.1.1", "192.168.1.2")), "");
  EXPECT_THAT(refusal(on("10.0.0.7", "loopback")), HasSubstr("docs/multi-host.md"));
  EXPECT_THAT(refusal(on("cmbench-a", "192.168.1.2")), HasSubstr("cannot reach client=192"));
  EXPECT_EQ(serving::unavailable_here(on("192.168.1.1", "192.168.1.2")), "");
}

TEST(Placement, TheOtherSideGoesIntoTheNamespaceOrOverSshQuotedForTheRemoteShell) {
  const std::vector<std::string> load = {"/opt/cmbench/cmbench-load", "--expect-body",
                                         "Hello, world!", "--say", "it's"};
  std::vector<std::string> in_b = load;
  in_b.insert(in_b.end(), {"--netns", "cmbench-b"});
  EXPECT_EQ(serving::on_host("cmbench-b", load), in_b);

  ::setenv("CMBENCH_SSH", "ssh -p 2222", 1);
  ::setenv("CMBENCH_REMOTE_DIR", "/srv/cmbench", 1);
  EXPECT_EQ(serving::on_host("192.168.1.2", load),
            (std::vector<std::string>{"ssh", "-p", "2222", "192.168.1.2",
                                      "'/srv/cmbench/cmbench-load' '--expect-body' "
                                      "'Hello, world!' '--say' 'it'\\''s'"}));
  ::unsetenv("CMBENCH_SSH");
  ::unsetenv("CMBENCH_REMOTE_DIR");
  EXPECT_EQ(serving::on_host("192.168.1.2", {"/opt/x"}),
            (std::vector<std::string>{"ssh", "-o", "BatchMode=yes", "192.168.1.2", "'/opt/x'"}));
}

TEST(Placement, AMissingNamespaceIsNotAvailableHereAndSaysWhatMakesIt) {
  EXPECT_EQ(serving::unavailable_here(on("loopback", "loopback")), "");
  EXPECT_THAT(serving::unavailable_here(on("cmbench-nowhere", "cmbench-nowhere")),
              HasSubstr("not available here: no network namespace cmbench-nowhere "
                        "(sudo ./scripts/hosts up makes it)"));
  // The delayed link exists only where the kernel has netem.
  if (!std::filesystem::exists("/run/netns/cmbench-d")) {
    EXPECT_THAT(serving::unavailable_here(on("loopback", "cmbench-d")), HasSubstr("netem"));
  }
}

TEST(Placement, OnLoopbackNothingChanges) {
  ASSERT_EQ(host::server_address_text(), "127.0.0.1");
  {
    serving::Placed placed("loopback");
    EXPECT_EQ(host::server_address_text(), "127.0.0.1");
  }
  EXPECT_EQ(host::server_address_text(), "127.0.0.1");
  const std::vector<std::string> load = {"/opt/cmbench/cmbench-load", "--expect-body",
                                         "Hello, world!", "--say", "it's"};
  EXPECT_EQ(serving::on_host("loopback", load), load);
}

TEST(Placement, EnteringANamespaceThatIsNotThereSaysWhatMakesIt) {
  try {
    serving::Placed placed("cmbench-nowhere");
    FAIL() << "entered a namespace that does not exist";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no network namespace cmbench-nowhere"));
  }
  EXPECT_EQ(host::server_address_text(), "127.0.0.1");
}

TEST(Placement, AddressesReadAndWrittenAsDottedQuads) {
  EXPECT_EQ(host::address_text(host::parse_address("10.77.0.1")), "10.77.0.1");
  EXPECT_THROW(host::parse_address("10.77.0"), std::invalid_argument);
  EXPECT_THROW(host::parse_address("cmbench-a"), std::invalid_argument);
}
