// blocking, coroutines: asyncio. Four coroutines that compute without an await run one
// after another under gather(): a task gives the loop back only at an await. With
// asyncio.to_thread they run in the default executor, two cores at once, while their tasks
// await. Then, in debug mode, a ticker and a task that calls time.sleep (not asyncio.sleep):
// the loop cannot run the ticker until it returns, and slow_callback_duration names the
// task that held it ("Executing <Task ...> took 1.000 seconds").
#include <thread>

#include "demo.hpp"
#include "kernel.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"
#include "models/coroutines/to_thread.hpp"
#include "spec.hpp"

namespace cmbench::demos::blocking {

namespace {

namespace asyncio = cmbench::coroutines;

asyncio::Task<std::uint64_t> on_the_loop(int n, std::uint64_t rounds) {
  co_return chunk("loop", n, rounds);  // no await inside: the loop waits for it
}

asyncio::Task<std::uint64_t> in_a_thread(int n, std::uint64_t rounds) {
  co_return co_await asyncio::to_thread([n, rounds] { return chunk("pool", n, rounds); });
}

asyncio::Task<void> ticker() {
  for (int n = 1; n <= ticks; ++n) {
    co_await asyncio::sleep(units(tick_units));
    say("tick {}", n);
  }
}

asyncio::Task<void> blocker() {
  co_await asyncio::sleep(units(block_after_units));
  say("blocking call: sleep 1 unit");
  std::this_thread::sleep_for(units(block_units));  // time.sleep(1): the loop stops
  say("blocking call returned");
}

asyncio::Task<void> main_task(std::uint64_t rounds) {
  double began = elapsed_s();
  co_await asyncio::gather(on_the_loop(1, rounds), on_the_loop(2, rounds), on_the_loop(3, rounds),
                           on_the_loop(4, rounds));
  say("loop: {} chunks in {:.2f} s", chunks, elapsed_s() - began);

  began = elapsed_s();
  co_await asyncio::gather(in_a_thread(1, rounds), in_a_thread(2, rounds), in_a_thread(3, rounds),
                           in_a_thread(4, rounds));
  say("pool: {} chunks in {:.2f} s", chunks, elapsed_s() - began);

  // Part B in debug mode (asyncio.run(main(), debug=True)), its reports said here.
  auto& loop = asyncio::EventLoop::current();
  loop.set_debug_handler([](std::string_view report) { say("detector: {}", report); });
  loop.set_slow_callback_duration(units(slow_units));
  loop.set_debug(true);
  co_await asyncio::gather(asyncio::create_task(ticker(), "ticker"),
                           asyncio::create_task(blocker(), "blocker"));
  loop.set_debug(false);
  loop.set_debug_handler(nullptr);
  loop.set_slow_callback_duration(std::chrono::milliseconds(100));  // asyncio's default
}

}  // namespace

void coroutines() {
  const std::uint64_t rounds = rounds_for(units(chunk_units));
  asyncio::run(main_task(rounds));
}

}  // namespace cmbench::demos::blocking
