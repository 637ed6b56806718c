"""sleep_fanout in Tornado: a gen.sleep Future per wait, joined with gen.multi
(C++ twin: ../futures.cpp)."""

import time

from tornado import gen
from tornado.ioloop import IOLoop


async def task(seconds):
    start = time.monotonic_ns()
    await gen.sleep(seconds)
    return start, time.monotonic_ns()


async def fan_out(waits):
    return await gen.multi([task(w) for w in waits])


def prepare(params):
    return [us / 1e6 for us in params["waits_us"]]


def main(waits):
    return IOLoop.current().run_sync(lambda: fan_out(waits))
