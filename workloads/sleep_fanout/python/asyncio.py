"""sleep_fanout in asyncio: a coroutine per wait, gathered (C++ twin: ../coroutines.cpp)."""

import asyncio
import time


async def task(seconds):
    start = time.monotonic_ns()
    await asyncio.sleep(seconds)
    return start, time.monotonic_ns()


async def fan_out(waits):
    return await asyncio.gather(*(task(w) for w in waits))


def prepare(params):
    return [us / 1e6 for us in params["waits_us"]]


def main(waits):
    return asyncio.run(fan_out(waits))
