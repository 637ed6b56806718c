// Every http_server implementation by its label, as cells and `cmbench serve` name them:
// the seven models' servers, then the reference servers.
#pragma once

#include <string_view>
#include <vector>

#include "spec.hpp"

namespace cmbench::http_server {

using serving::Server;

const std::vector<Server>& servers();

// The server with this label ("fibers", "nginx-2workers"); BadInput lists the valid ones.
const Server& server(std::string_view label);

}  // namespace cmbench::http_server
