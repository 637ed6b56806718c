#include "models/callbacks/info.hpp"
#include "models/coroutines/info.hpp"
#include "models/fibers/info.hpp"
#include "models/futures/info.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "spec.hpp"
#include "workloads/peers/references.hpp"

namespace cmbench::echo {

const std::vector<serving::Server>& servers() {
  static const std::vector<serving::Server> all = {
      {&sequential::info, "", echo::sequential}, {&threads::info, "", echo::threads},
      {&processes::info, "", echo::processes},   {&callbacks::info, "", echo::callbacks},
      {&futures::info, "", echo::futures},       {&fibers::info, "", echo::fibers},
      {&coroutines::info, "", echo::coroutines}, {&references::epoll, "", echo::epoll},
      {&references::asio, "", echo::asio},       {&references::libuv, "", echo::libuv},
  };
  return all;
}

}  // namespace cmbench::echo
