"""spawn_many in asyncio on uvloop: asyncio.py's program, unchanged, on libuv's loop (C++
twin: ../coroutines.cpp). uvloop replaces the loop (its ready queue, call_soon) but not
asyncio's Task and gather, which are most of a task's cost."""

import os
import runpy

import uvloop

asyncio_row = runpy.run_path(os.path.join(os.path.dirname(__file__), "asyncio.py"))


def main(params):
    uvloop.install()  # asyncio.run in the asyncio row makes its loop with uvloop's policy
    return asyncio_row["main"](params)
