// Every http_server implementation by its label, as cells and `cmbench serve` name them:
// the seven models' servers, then the reference servers.
#pragma once

#include <string_view>
#include <vector>

#include "models/core/model.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

struct Server {
  const ModelInfo* model;
  std::string_view variant;  // "" for the model's own; nginx's 2-worker row is "2workers"
  Serve serve;
  bool has_slow_variant = true;  // false: the slow backend cannot be expressed (nginx)
};

const std::vector<Server>& servers();

// The server with this label ("fibers", "nginx-2workers"); BadInput lists the valid ones.
const Server& server(std::string_view label);

}  // namespace cmbench::http_server
