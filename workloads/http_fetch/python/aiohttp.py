"""http_fetch with aiohttp: one ClientSession, a task per URL, gathered
(C++ twin: ../coroutines.cpp).

The session's connector is told to behave as the workload asks of every client: a connection
of its own per page (force_close, so each request says Connection: close) and no bound of its
own on connections (limit=0; aiohttp's default of 100 would quietly be an M). With M > 0 an
asyncio.Semaphore(M) is the bound, as in the C++ twin. Each fetch has its own timeout.

A page is handed back as its bytes, in hex; the verifier digests them (rows.cpp)."""

import asyncio
import time

import aiohttp


async def fetch(session, url):
    start = time.monotonic_ns()
    async with session.get(url) as response:
        response.raise_for_status()
        body = await response.read()
        return start, time.monotonic_ns(), body.hex()


async def bounded_fetch(semaphore, session, url):
    async with semaphore:
        return await fetch(session, url)


async def fetch_all(urls, max_in_flight, timeout_s):
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=timeout_s)  # per request, not per session
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        if max_in_flight:
            semaphore = asyncio.Semaphore(max_in_flight)
            fetches = [bounded_fetch(semaphore, session, url) for url in urls]
        else:
            fetches = [fetch(session, url) for url in urls]
        # Every fetch runs to its end, failed or not; then the first failure in URL order.
        pages = await asyncio.gather(*fetches, return_exceptions=True)
    for page in pages:
        if isinstance(page, BaseException):
            raise page
    return pages


def prepare(params):
    urls = [f"http://127.0.0.1:{params['port']}/item/{i}" for i in range(params["n"])]
    return urls, params["max_in_flight"], params["timeout_s"]


def main(prepared):
    return asyncio.run(fetch_all(*prepared))
