#include "servers.hpp"

#include <string>

#include "cells/registry.hpp"
#include "models/callbacks/info.hpp"
#include "models/coroutines/info.hpp"
#include "models/fibers/info.hpp"
#include "models/futures/info.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "references/references.hpp"
#include "workloads/peers/references.hpp"

namespace cmbench::http_server {

const std::vector<Server>& servers() {
  static const std::vector<Server> all = {
      {&sequential::info, "", http_server::sequential},
      {&threads::info, "", http_server::threads},
      {&processes::info, "", http_server::processes},
      {&callbacks::info, "", http_server::callbacks},
      {&futures::info, "", http_server::futures},
      {&fibers::info, "", http_server::fibers},
      {&coroutines::info, "", http_server::coroutines},
      {&references::epoll, "", http_server::epoll},
      {&references::asio, "", http_server::asio},
      {&references::libuv, "", http_server::libuv},
      {&references::nginx, "", http_server::nginx, false},
      {&references::nginx, "2workers", http_server::nginx_2, false},
  };
  return all;
}

const Server& server(std::string_view label) {
  std::string valid;
  for (const auto& s : servers()) {
    const std::string name = implementation_label(*s.model, s.variant);
    if (name == label) return s;
    valid += (valid.empty() ? "" : ", ") + name;
  }
  throw BadInput("no http_server named '" + std::string(label) + "'; valid: " + valid);
}

}  // namespace cmbench::http_server
