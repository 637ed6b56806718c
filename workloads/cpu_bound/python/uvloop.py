"""cpu_bound in asyncio on uvloop: asyncio.py's program, unchanged, on libuv's loop (C++
twin: ../coroutines.cpp). to_thread uses the loop's default executor, a ThreadPoolExecutor
as on asyncio's own loop, so the GIL serialises the chunks here too."""

import os
import runpy

import uvloop

asyncio_row = runpy.run_path(os.path.join(os.path.dirname(__file__), "asyncio.py"))


def prepare(params):
    return asyncio_row["prepare"](params)


def main(chunks):
    uvloop.install()  # asyncio.run below makes its loop with uvloop's policy
    return asyncio_row["main"](chunks)
