// http_fetch, futures: Tornado 4's way, futures and done-callbacks without coroutines. A
// fetch is a small object whose steps are the done-callbacks of the futures it waits on:
// TCPClient.connect, then IOStream.write of the GET, then read_bytes(…, partial) until the
// Page is complete, then close. It resolves its own Future<Fetched>, or fails it with a
// FetchError. tornado.gen.multi gathers the N futures (in URL order) and IOLoop.run_sync
// runs the loop until they are all in, or until the first fails. With M > 0, a
// tornado.locks.Semaphore(M) bounds them: a fetch starts (connects) once acquire() resolves,
// and its done-callback releases the slot, whatever the outcome.
//
// The first failure fails multi, and run_sync returns at once; the loop is destroyed, which
// closes the streams still open. Fetches that fail after the first are abandoned quietly
// (their futures never resolve) instead of each being logged by a multi that has failed
// already: what Tornado's multi(…, quiet_exceptions=FetchError) does. Each fetch has a
// timer, as simple_httpclient's request_timeout: past p.timeout it closes the stream and
// fails the fetch.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/futures/io_loop.hpp"
#include "models/futures/iostream.hpp"
#include "models/futures/locks.hpp"
#include "models/futures/multi.hpp"
#include "models/futures/tcp_client.hpp"
#include "spec.hpp"

namespace cmbench::http_fetch {
namespace {

using futures::Future;
using futures::IOLoop;
using futures::IOStream;
using futures::TCPClient;

// What every fetch of one run shares: where the origin is, and whether the run is over.
struct Run {
  std::uint16_t port;
  std::chrono::milliseconds timeout;  // per fetch
  bool over = false;  // a fetch failed, or run_sync returned: nobody waits for a failure now
};

// One GET, alive while a pending future's callback holds it. Invariant: at most one of
// connect or read is pending; `result_` resolves at most once, after the stream is closed
// (never, for a failure after the run's first).
class Fetch : public std::enable_shared_from_this<Fetch> {
 public:
  Fetch(Run& run, std::size_t index) : run_(run), page_(index) {}

  Future<Fetched> start() {
    span_.start_ns = monotonic_ns();
    // simple_httpclient's request_timeout: a timer that closes the stream and fails the fetch.
    // It holds the fetch weakly: a fetch lives while a pending future's callback holds it.
    timeout_ = IOLoop::current().call_later(run_.timeout, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->timer_pending_ = false;
        self->fail(self->reworded(serving::timed_out(self->run_.timeout)));
      }
    });
    timer_pending_ = true;
    TCPClient::connect(run_.port).add_done_callback(
        [self = shared_from_this()](Future<IOStream>& connected) { self->on_connect(connected); });
    return result_;
  }

 private:
  void on_connect(Future<IOStream>& connected) {
    if (auto error = connected.exception()) return fail(error);
    stream_ = connected.result();
    stream_->write(request(page_.index()));  // a failed write fails the read as well
    read();
  }

  void read() {
    stream_->read_bytes(64 * 1024, /*partial=*/true)
        .add_done_callback(
            [self = shared_from_this()](Future<std::string>& bytes) { self->on_read(bytes); });
  }

  void on_read(Future<std::string>& bytes) {
    if (auto error = bytes.exception()) return fail(error);  // closed early, or reset
    bool done;
    try {
      done = page_.feed(bytes.result());
    } catch (...) {  // a malformed response, or not a 200
      return fail(std::current_exception());
    }
    if (!done) return read();
    span_.end_ns = monotonic_ns();
    stop_timer();
    stream_->close();
    result_.set_result(Fetched{page_.digest(), span_});
  }

  // Fails with a FetchError naming the URL, then closes the stream (if open).
  void fail(const std::exception_ptr& error) {
    stop_timer();
    // Unless it is not the run's first failure, or the loop is closing an ended run.
    if (!std::exchange(run_.over, true)) {
      try {
        std::rethrow_exception(error);
      } catch (const FetchError&) {
        result_.set_exception(error);
      } catch (const std::exception& e) {  // StreamClosedError, std::system_error (refused)
        result_.set_exception(reworded(e.what()));
      } catch (...) {
        result_.set_exception(reworded("an exception not derived from std::exception"));
      }
    }
    // Then: closing fails a pending read, whose StreamClosedError must not be the reason.
    if (stream_) stream_->close();
  }

  void stop_timer() {
    if (std::exchange(timer_pending_, false)) IOLoop::current().remove_timeout(timeout_);
  }

  std::exception_ptr reworded(std::string_view why) const {
    try {
      page_.fail(why);
    } catch (...) {
      return std::current_exception();
    }
  }

  Run& run_;
  Page page_;
  Span span_;
  std::optional<IOStream> stream_;  // once connected
  Future<Fetched> result_;
  IOLoop::Timeout timeout_{};
  bool timer_pending_ = false;
};

Future<Fetched> fetch(Run& run, std::size_t i) {
  return std::make_shared<Fetch>(run, i)->start();
}

// fetch(i) once the semaphore lets it start; the slot is released as soon as it resolves.
Future<Fetched> bounded_fetch(futures::Semaphore& semaphore, Run& run, std::size_t i) {
  return semaphore.acquire().then([&semaphore, &run, i] {
    Future<Fetched> page = fetch(run, i);
    page.add_done_callback([&semaphore](Future<Fetched>&) { semaphore.release(); });
    return page;
  });
}

}  // namespace

Result futures(const Params& p) {
  // Declared before the loop: the loop's destructor closes streams whose fetches read both.
  Run run{p.port, p.timeout};
  futures::Semaphore semaphore(p.max_in_flight);
  struct Over {  // set however run_sync ends
    Run& run;
    ~Over() { run.over = true; }
  };
  IOLoop loop;
  Over over{run};
  return loop.run_sync([&] {
    std::vector<Future<Fetched>> pages;
    pages.reserve(p.n);
    for (std::size_t i = 0; i < p.n; ++i)
      pages.push_back(p.max_in_flight > 0 ? bounded_fetch(semaphore, run, i) : fetch(run, i));
    return futures::multi(std::move(pages));
  });
}

}  // namespace cmbench::http_fetch
