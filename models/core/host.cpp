#include "host.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace cmbench::host {
namespace {

std::atomic<std::uint32_t> the_address{htonl(INADDR_LOOPBACK)};

}  // namespace

std::uint32_t server_address() {
  return the_address.load(std::memory_order_relaxed);
}

std::string server_address_text() {
  return address_text(server_address());
}

void set_server_address(std::uint32_t address) {
  the_address.store(address, std::memory_order_relaxed);
}

std::uint32_t parse_address(std::string_view text) {
  in_addr a{};
  if (::inet_pton(AF_INET, std::string(text).c_str(), &a) != 1)
    throw std::invalid_argument("not an IPv4 address: " + std::string(text));
  return a.s_addr;
}

std::string address_text(std::uint32_t address) {
  char text[INET_ADDRSTRLEN];
  in_addr a{address};
  return ::inet_ntop(AF_INET, &a, text, sizeof text);
}

Fd enter_namespace(std::string_view name) {
  Fd left(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!left) throw std::system_error(errno, std::generic_category(), "opening this namespace");
  const std::string path = "/run/netns/" + std::string(name);
  Fd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target)
    throw std::system_error(errno, std::generic_category(),
                            "no network namespace " + std::string(name) +
                                " (scripts/hosts up makes cmbench-a and cmbench-b)");
  if (::setns(target.get(), CLONE_NEWNET) < 0)
    throw std::system_error(errno, std::generic_category(),
                            "entering network namespace " + std::string(name) + " (needs root)");
  return left;
}

void return_to(const Fd& namespace_left) {
  if (::setns(namespace_left.get(), CLONE_NEWNET) < 0)
    throw std::system_error(errno, std::generic_category(), "returning to the first namespace");
}

std::uint32_t own_address() {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) < 0) throw std::system_error(errno, std::generic_category(), "getifaddrs");
  std::uint32_t found = 0;  // the lowest, in host byte order
  for (ifaddrs* i = all; i; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
        (i->ifa_flags & IFF_UP)) {
      std::uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
      if (!found || a < found) found = a;
    }
  ::freeifaddrs(all);
  found = htonl(found);
  if (!found) throw std::runtime_error("this network namespace has no address but loopback");
  return found;
}

}  // namespace cmbench::host
