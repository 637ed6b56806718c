// ping_pong, fcontext: the floor of a fiber hand-off. The calling thread and one
// boost::context::fiber pass the token back and forth, each resume()ing the other: a
// switch of stacks and registers each way, with no scheduler, no ready queue and no
// reactor, which is what a Boost.Fiber (and so a greenlet) adds around it. One thread, so
// `same` only.
#include <boost/context/fiber.hpp>
#include <stdexcept>
#include <utility>

#include "models/core/span.hpp"
#include "ping_pong/spec.hpp"

namespace cmbench::ping_pong {

Result fcontext(const Params& p) {
  namespace context = boost::context;
  Pin pin(p.cpu_a);
  Result r;
  // The token lives here and both sides read and write it; resume() is an opaque call into
  // assembly, so neither side keeps it in a register across a switch.
  std::int64_t token = 0;
  std::int64_t handoffs = 0;
  // B starts suspended; each resume() runs it until it resumes A back.
  context::fiber b([&](context::fiber&& a) {
    for (std::int64_t i = 0; i < p.rounds; ++i) {
      ++handoffs;  // B has the token
      ++token;
      a = std::move(a).resume();
    }
    return std::move(a);  // B ends and A resumes
  });
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < p.rounds; ++i) {
    ++token;
    b = std::move(b).resume();
    ++handoffs;  // A has it back
  }
  r.elapsed_ns = monotonic_ns() - start;
  // One switch more lets B return: a fiber destroyed while suspended would be unwound by an
  // exception thrown through its stack.
  b = std::move(b).resume();
  if (b) throw std::logic_error("fcontext: B did not end");
  r.token = token;
  r.handoffs = handoffs;
  r.cpu_a = r.cpu_b = current_cpu();
  return r;
}

}  // namespace cmbench::ping_pong
