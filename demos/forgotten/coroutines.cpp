// forgotten, coroutines: asyncio's two forgotten awaits. Calling a coroutine function
// without co_await makes a coroutine object and nothing else: its body never runs. A task
// made with create_task runs, but if nobody awaits it, its exception goes nowhere. Debug
// mode (asyncio.run(main(), debug=True)) reports both, naming the coroutine and the task.
#include <stdexcept>

#include "demo.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/sleep.hpp"
#include "spec.hpp"

namespace cmbench::demos::forgotten {

namespace asyncio = cmbench::coroutines;

// Outside an anonymous namespace, so that debug mode can name them (exported symbols).
asyncio::Task<void> fetch_report() {
  say("fetch_report: started");  // never printed: nobody awaits it
  co_return;
}

asyncio::Task<void> save_report() {
  say("save_report: started");
  co_await asyncio::sleep(units(1));
  say("save_report: raises disk full");
  throw std::runtime_error("disk full");
}

asyncio::Task<void> forgetful_main() {
  say("main: calls fetch_report() and forgets the co_await");
  {
    auto coro = fetch_report();  // a coroutine object: its body has not run
  }                              // dropped here, never run
  say("main: create_task(save_report()) and never awaits it");
  auto task = asyncio::create_task(save_report(), "save_report");
  co_await asyncio::sleep(units(2));  // main's own work
  say("main: done");
}  // the last reference to the task goes here: nobody looked at its exception

void coroutines() {
  auto& loop = asyncio::EventLoop::current();
  loop.set_debug_handler([](std::string_view line) { say("asyncio debug: {}", line); });
  asyncio::run(forgetful_main(), {.debug = true});
  loop.set_debug_handler(nullptr);  // back to stderr
}

}  // namespace cmbench::demos::forgotten
