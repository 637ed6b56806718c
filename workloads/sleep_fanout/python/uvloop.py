"""sleep_fanout in asyncio on uvloop: asyncio.py's program on libuv's loop
(C++ twin: ../coroutines.cpp).

libuv measures a timer from the loop's time, read once per turn of the loop (in ms), not
from the instant asyncio.sleep is called: a task records its start as the loop sees it,
the instant its wait is counted from. Measured from the call instead, a wait can end up to
a millisecond before its d."""

import asyncio
import time

import uvloop


async def task(seconds):
    start = int(asyncio.get_running_loop().time() * 1e9)  # CLOCK_MONOTONIC, as libuv reads it
    await asyncio.sleep(seconds)
    return start, time.monotonic_ns()


async def fan_out(waits):
    return await asyncio.gather(*(task(w) for w in waits))


def prepare(params):
    return [us / 1e6 for us in params["waits_us"]]


def main(waits):
    uvloop.install()
    return asyncio.run(fan_out(waits))
