"""ping_pong in asyncio: two tasks and two Queues, one each way (C++ twin: ../coroutines.cpp).

Each end awaits get() on its own queue, adds one and put()s the token in the other's; a put
that finds the other end waiting wakes it through the loop's ready queue. Split: each end is
a task on its own loop, on its own pinned thread, and hands the token over with the other
loop's call_soon_threadsafe (put_nowait scheduled there), which wakes that loop through its
self-pipe. os has no sched_getcpu, so libc's is called through ctypes."""

import asyncio
import ctypes
import os
import threading
import time

sched_getcpu = ctypes.CDLL(None).sched_getcpu


async def ping(there, back, rounds, counts):
    token = 0
    start = time.monotonic_ns()
    for _ in range(rounds):
        await there.put(token + 1)
        token = await back.get()
        counts["a"] += 1
    counts["elapsed"] = time.monotonic_ns() - start
    return token


async def pong(there, back, rounds, counts):
    for _ in range(rounds):
        token = await there.get()
        counts["b"] += 1
        await back.put(token + 1)


async def rally(rounds, counts):
    there, back = asyncio.Queue(1), asyncio.Queue(1)
    token, _ = await asyncio.gather(ping(there, back, rounds, counts), pong(there, back, rounds, counts))
    return token


class End:
    """One end on its own loop; its inbox is touched on that loop only."""

    def __init__(self):
        self.loop = asyncio.get_running_loop()
        self.inbox = asyncio.Queue()
        self.received = 0
        self.cpu = -1

    def hand(self, token):  # called from the other end's thread
        self.loop.call_soon_threadsafe(self.inbox.put_nowait, token)


async def remote_ping(a, b, rounds, counts):
    token = 0
    start = time.monotonic_ns()
    for _ in range(rounds):
        b.hand(token + 1)
        token = await a.inbox.get()
        a.received += 1
    counts["elapsed"] = time.monotonic_ns() - start
    a.cpu = sched_getcpu()
    return token


async def remote_pong(ends, ready, rounds, cpu):
    os.sched_setaffinity(0, {cpu})
    b = ends["b"] = End()
    ready.set()
    for _ in range(rounds):
        token = await b.inbox.get()
        b.received += 1
        ends["a"].hand(token + 1)
    b.cpu = sched_getcpu()


async def start_ping(ends, rounds, counts):
    a = ends["a"] = End()
    return await remote_ping(a, ends["b"], rounds, counts)


def split(p):
    ends, ready, counts = {}, threading.Event(), {}
    b = threading.Thread(target=lambda: asyncio.run(remote_pong(ends, ready, p["rounds"], p["cpu_b"])))
    b.start()
    ready.wait()
    # B hands the token back to ends["a"], which A makes on its own loop before its first
    # hand-off, so it is there before B could need it.
    token = asyncio.run(start_ping(ends, p["rounds"], counts))
    b.join()
    a, b_end = ends["a"], ends["b"]
    return token, a.received + b_end.received, counts["elapsed"], a.cpu, b_end.cpu


def main(p):
    os.sched_setaffinity(0, {p["cpu_a"]})
    if p["split"]:
        return [split(p)]
    counts = {"a": 0, "b": 0}
    token = asyncio.run(rally(p["rounds"], counts))
    cpu = sched_getcpu()
    return [(token, counts["a"] + counts["b"], counts["elapsed"], cpu, cpu)]
