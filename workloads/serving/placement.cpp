#include "placement.hpp"

#include <stdexcept>

#include "models/core/host.hpp"

namespace cmbench::serving {

std::vector<ParamSpec> host_params() {
  return {
      {"server", ParamKind::host, "loopback",
       "the server's host: loopback, or a namespace of scripts/hosts (cmbench-a)"},
      {"client", ParamKind::host, "loopback",
       "the client's host: loopback, or a namespace of scripts/hosts (cmbench-b)"},
  };
}

Hosts hosts_of(const ParamValues& v) {
  Hosts h{v.text("server"), v.text("client")};
  for (const std::string* side : {&h.server, &h.client}) {
    try {
      host::parse_address(*side);
    } catch (const std::invalid_argument&) {
      continue;  // a name: loopback or a namespace
    }
    throw std::invalid_argument(
        "host " + *side +
        ": a cell starts both of its sides on this machine; across real machines, start the "
        "other side there by hand (docs/multi-host.md)");
  }
  if ((h.server == "loopback") != (h.client == "loopback"))
    throw std::invalid_argument("server=" + h.server + " cannot reach client=" + h.client +
                                ": put both sides on loopback, or both on namespaces "
                                "(scripts/hosts up makes cmbench-a and cmbench-b)");
  return h;
}

std::string loopback_only(const ParamValues& v) {
  if (v.text("server") == "loopback" && v.text("client") == "loopback") return "";
  return "runs over loopback only";
}

Placed::Placed(const std::string& host, std::uint32_t server_address) {
  if (host == "loopback") return;
  left_ = host::enter_namespace(host);
  address_left_ = host::server_address();
  try {
    host::set_server_address(server_address ? server_address : host::own_address());
  } catch (...) {
    host::return_to(left_);
    throw;
  }
}

Placed::~Placed() {
  if (!left_) return;
  host::set_server_address(address_left_);
  try {
    host::return_to(left_);
  } catch (...) {
    // Leaving a namespace we could enter does not fail; if it did, the process ends with the
    // thread still there, which only later cells in this process could notice.
  }
}

std::vector<std::string> placing_args(const std::string& host) {
  if (host == "loopback") return {};
  return {"--netns", host};
}

}  // namespace cmbench::serving
