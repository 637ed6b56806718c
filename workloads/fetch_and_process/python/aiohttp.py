"""fetch_and_process with aiohttp and asyncio.Queue: P producer tasks fetch with one
ClientSession, each fetch inside asyncio.wait_for(..., timeout), and put the pages into a
Queue(maxsize=Q); C worker tasks take them out and hand the CPU work to asyncio.to_thread,
so that the loop goes on serving the fetches while a page is processed
(C++ twin: ../coroutines.cpp). aiohttp-naive.py runs the same program with the work called on
the loop, as coroutines-naive does.

Under the GIL the worker thread and the loop take turns: while a page is processed, the loop
gets the interpreter back only when the thread blocks or when sys.getswitchinterval() (5 ms)
runs out, and the fetches' latencies show it.

The session opens a connection per page (force_close) and sets no bound of its own
(limit=0): the P producers are the bound. A failed or late fetch ends its producer; the
run raises the first failure, in producer order, once the workers have drained the queue."""

import asyncio
import pathlib
import sys
import time

import aiohttp

# kernel.py, beside this file; appended, so that no row here hides a module of that name
sys.path.append(str(pathlib.Path(__file__).parent))
import kernel  # noqa: E402


async def fetch(session, url, index):
    start = time.monotonic_ns()
    async with session.get(url) as response:
        response.raise_for_status()
        body = await response.read()
        return index, body, start, time.monotonic_ns()


async def producer(params, session, queue, k):
    deepest = 0
    for i in range(k, params["n"], params["producers"]):
        url = f"http://127.0.0.1:{params['port']}/item/{i}"
        page = await asyncio.wait_for(fetch(session, url, i), params["timeout_ms"] / 1000)
        await queue.put(page)
        deepest = max(deepest, queue.qsize())
    return deepest


async def worker(params, queue, on_loop):
    done = []
    while (page := await queue.get()) is not None:
        if on_loop:
            done.append(kernel.process(page, params["rounds"]))  # the loop stops here for c
        else:
            done.append(await asyncio.to_thread(kernel.process, page, params["rounds"]))
    return done


async def pipeline(params, on_loop):
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        queue = asyncio.Queue(maxsize=params["capacity"])
        workers = [asyncio.create_task(worker(params, queue, on_loop))
                   for _ in range(params["consumers"])]
        producers = [producer(params, session, queue, k) for k in range(params["producers"])]
        depths = await asyncio.gather(*producers, return_exceptions=True)
        for _ in workers:
            await queue.put(None)
        done = await asyncio.gather(*workers)
    for depth in depths:
        if isinstance(depth, BaseException):
            raise depth
    return [(max(depths, default=0),)] + [item for mine in done for item in mine]


def main(params):
    return asyncio.run(pipeline(params, on_loop=False))
