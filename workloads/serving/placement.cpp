#include "placement.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "models/core/host.hpp"

namespace cmbench::serving {

std::vector<ParamSpec> host_params() {
  return {
      {"server", ParamKind::host, "loopback",
       "the server's host: loopback, a namespace of scripts/hosts (cmbench-a), or an address"},
      {"client", ParamKind::host, "loopback",
       "the client's host: loopback, a namespace of scripts/hosts (cmbench-b), or an address"},
  };
}

HostKind kind_of(const std::string& host) {
  if (host == "loopback") return HostKind::loopback;
  try {
    host::parse_address(host);
    return HostKind::address;
  } catch (const std::invalid_argument&) {
    return HostKind::netns;
  }
}

Hosts hosts_of(const ParamValues& v) {
  Hosts h{v.text("server"), v.text("client")};
  if (kind_of(h.server) != kind_of(h.client))
    throw std::invalid_argument("server=" + h.server + " cannot reach client=" + h.client +
                                ": put both sides on loopback, both on namespaces "
                                "(scripts/hosts up makes cmbench-a, cmbench-b, ...), or both at "
                                "machines' addresses (docs/multi-host.md)");
  return h;
}

std::string unavailable_here(const ParamValues& v) {
  for (const char* side : {"server", "client"}) {
    const std::string& name = v.text(side);
    if (kind_of(name) != HostKind::netns || std::filesystem::exists("/run/netns/" + name)) continue;
    return "not available here: no network namespace " + name +
           (name == "cmbench-d" ? " (the link with added delay: scripts/hosts makes it only where "
                                  "the kernel has netem)"
                                : " (sudo ./scripts/hosts up makes it)");
  }
  return "";
}

Placed::Placed(const std::string& host, std::uint32_t server_address) {
  const HostKind kind = kind_of(host);
  if (kind == HostKind::loopback) return;
  if (kind == HostKind::netns) left_ = host::enter_namespace(host);
  address_left_ = host::server_address();
  placed_ = true;
  try {
    if (!server_address)
      server_address = kind == HostKind::netns ? host::own_address() : host::parse_address(host);
    host::set_server_address(server_address);
  } catch (...) {
    if (left_) host::return_to(left_);
    throw;
  }
}

Placed::~Placed() {
  if (!placed_) return;
  host::set_server_address(address_left_);
  if (!left_) return;
  try {
    host::return_to(left_);
  } catch (...) {
    // Leaving a namespace we could enter does not fail; if it did, the process ends with the
    // thread still there, which only later cells in this process could notice.
  }
}

namespace {

// `word` for a POSIX shell, whatever it holds: '...', a ' inside as '\''.
std::string shell_word(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::vector<std::string> on_host(const std::string& host, std::vector<std::string> argv) {
  switch (kind_of(host)) {
    case HostKind::loopback:
      return argv;
    case HostKind::netns:
      argv.push_back("--netns");
      argv.push_back(host);
      return argv;
    case HostKind::address:
      break;
  }
  std::vector<std::string> command;
  const char* ssh = std::getenv("CMBENCH_SSH");
  std::istringstream words(ssh && *ssh ? ssh : "ssh -o BatchMode=yes");
  for (std::string word; words >> word;) command.push_back(word);
  command.push_back(host);
  if (const char* dir = std::getenv("CMBENCH_REMOTE_DIR"); dir && *dir)
    argv[0] = (std::filesystem::path(dir) / std::filesystem::path(argv[0]).filename()).string();
  // ssh hands the remote shell one line: each word quoted ("Hello, world!" stays one).
  std::string line;
  for (const auto& word : argv) line += (line.empty() ? "" : " ") + shell_word(word);
  command.push_back(line);
  return command;
}

}  // namespace cmbench::serving
