"""fetch_and_process with gevent: gevent's producer/consumer recipe. P producer greenlets
fetch with the monkey-patched urllib (blocking.py's fetch, the one threading.py runs on
threads), each fetch inside `with gevent.Timeout(...)`, and put the pages into a
gevent.queue.Queue(maxsize=Q), whose put parks them while it is full; C consumer greenlets
get pages and hand the CPU work to the hub's thread pool, which parks only the consumer
while a pool thread computes. After joinall of the producers, one None per consumer ends
them (C++ twin: ../fibers.cpp).

A failed or late fetch ends its producer; the run raises the first failure, in producer
order, once the consumers have drained the queue and ended."""

from gevent import monkey

monkey.patch_all()  # before anything imports socket

import pathlib  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from gevent.queue import Queue  # noqa: E402

# kernel.py and blocking.py, beside this file; appended, so that no row here hides a module
sys.path.append(str(pathlib.Path(__file__).parent))
import kernel  # noqa: E402
from blocking import fetch  # noqa: E402  (urllib, patched by now)


def producer(params, queue, k):
    deepest = 0
    for i in range(k, params["n"], params["producers"]):
        url = f"http://127.0.0.1:{params['port']}/item/{i}"
        timeout_s = params["timeout_ms"] / 1000
        with gevent.Timeout(timeout_s):  # the whole fetch; the socket's own calls too
            page = fetch(url, i, timeout_s)
        queue.put(page)
        deepest = max(deepest, queue.qsize())
    return deepest


def consumer(params, queue):
    done = []
    pool = gevent.get_hub().threadpool
    while (page := queue.get()) is not None:
        done.append(pool.apply(kernel.process, (page, params["rounds"])))
    return done


def prepare(params):
    gevent.get_hub()  # the hub (libev's loop) and what it imports, before the timed region
    return params


def main(params):
    queue = Queue(maxsize=params["capacity"])
    consumers = [gevent.spawn(consumer, params, queue) for _ in range(params["consumers"])]
    producers = [gevent.spawn(producer, params, queue, k) for k in range(params["producers"])]
    gevent.joinall(producers)
    for _ in consumers:
        queue.put(None)
    gevent.joinall(consumers, raise_error=True)
    depths = [p.get() for p in producers]  # the first failure, in producer order
    done = [item for c in consumers for item in c.value]
    return [(max(depths, default=0),)] + done
