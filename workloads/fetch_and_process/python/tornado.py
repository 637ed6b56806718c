"""fetch_and_process with Tornado: Tornado's queue example with AsyncHTTPClient. P producer
coroutines fetch, each fetch bounded by its request timeout, and put the pages into a
tornado.queues.Queue(maxsize=Q), whose put waits while the queue is full; C consumer
coroutines take them out and hand the CPU work to IOLoop.run_in_executor. When every
producer is done (gen.multi), one None per consumer ends them; IOLoop.run_sync runs the
whole (C++ twin: ../futures.cpp, the same steps written with futures and done-callbacks).

AsyncHTTPClient's max_clients is raised to P, so that its own queue (10 by default) never
holds a request back: the P producers are the bound. A failed or late fetch ends its
producer; the run raises the first failure, in producer order, once the consumers have
drained the queue."""

import pathlib
import sys
import time

from tornado import gen
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import IOLoop
from tornado.queues import Queue

# kernel.py, beside this file; appended, so that no row here hides a module of that name
sys.path.append(str(pathlib.Path(__file__).parent))
import kernel  # noqa: E402


async def fetch(client, url, index, timeout_s):
    start = time.monotonic_ns()
    response = await client.fetch(url, connect_timeout=timeout_s, request_timeout=timeout_s)
    return index, response.body, start, time.monotonic_ns()


async def producer(params, client, queue, k):
    deepest = 0
    try:
        for i in range(k, params["n"], params["producers"]):
            url = f"http://127.0.0.1:{params['port']}/item/{i}"
            await queue.put(await fetch(client, url, i, params["timeout_ms"] / 1000))
            deepest = max(deepest, queue.qsize())
    except Exception as error:  # kept, to be raised once the consumers are done
        return error
    return deepest


async def consumer(params, queue):
    done = []
    while (page := await queue.get()) is not None:
        done.append(await IOLoop.current().run_in_executor(
            None, kernel.process, page, params["rounds"]))
    return done


async def pipeline(params):
    client = AsyncHTTPClient()
    queue = Queue(maxsize=params["capacity"])
    consumers = gen.multi([consumer(params, queue) for _ in range(params["consumers"])])
    depths = await gen.multi([producer(params, client, queue, k)
                              for k in range(params["producers"])])
    for _ in range(params["consumers"]):
        await queue.put(None)
    done = await consumers
    for depth in depths:
        if isinstance(depth, Exception):
            raise depth
    return [(max(depths, default=0),)] + [item for mine in done for item in mine]


def prepare(params):
    AsyncHTTPClient.configure(None, max_clients=params["producers"])
    return params


def main(params):
    return IOLoop.current().run_sync(lambda: pipeline(params))
