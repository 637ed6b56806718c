"""http_fetch with Tornado: AsyncHTTPClient.fetch per URL, joined with gen.multi
(C++ twin: ../futures.cpp).

AsyncHTTPClient queues every request past its max_clients, 10 by default: left as it comes,
that default would be a bound M = 10 the workload did not ask for. The C++ twin has no such
queue, and bounds itself only when M > 0, with a tornado.locks.Semaphore(M); so does this
row, with max_clients raised to N. Tornado's simple client opens a connection per request
and says Connection: close, as the workload asks. Each fetch has its own timeouts.

A page is handed back as its bytes, in hex; the verifier digests them (rows.cpp)."""

import time

from tornado import gen
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import IOLoop
from tornado.locks import Semaphore


async def fetch(client, url, timeout_s):
    start = time.monotonic_ns()
    response = await client.fetch(url, connect_timeout=timeout_s, request_timeout=timeout_s)
    return start, time.monotonic_ns(), response.body.hex()


async def bounded_fetch(semaphore, client, url, timeout_s):
    async with semaphore:
        return await fetch(client, url, timeout_s)


async def fetch_all(urls, max_in_flight, timeout_s):
    client = AsyncHTTPClient()
    if max_in_flight:
        semaphore = Semaphore(max_in_flight)
        return await gen.multi([bounded_fetch(semaphore, client, url, timeout_s) for url in urls])
    return await gen.multi([fetch(client, url, timeout_s) for url in urls])


def prepare(params):
    AsyncHTTPClient.configure(None, max_clients=max(1, params["n"]))
    urls = [f"http://127.0.0.1:{params['port']}/item/{i}" for i in range(params["n"])]
    return urls, params["max_in_flight"], params["timeout_s"]


def main(prepared):
    return IOLoop.current().run_sync(lambda: fetch_all(*prepared))
