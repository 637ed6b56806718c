"""file_pipeline with aiofiles: a task per file, gathered (C++ twin: ../coroutines.cpp).

Every await on an aiofiles file object is a trip to the loop's default executor: open, read
and close for the input; open, write (flush and fdatasync, with sync) and close for the
output. The default executor is given T threads, as the C++ offload pool is."""

import asyncio
import os
import sys
import time

import aiofiles

# file_calls.py, beside this file; appended, since the files here bear the frameworks' names
sys.path.append(os.path.dirname(__file__))
from file_calls import pipe_all, prepare


async def pipe_file(file):
    start = time.monotonic_ns()
    async with aiofiles.open(file.source, "rb") as f:
        data = await f.read()
    async with aiofiles.open(file.output, "wb") as f:
        await f.write(data.upper())
        if file.sync:
            await f.flush()
            await asyncio.to_thread(os.fdatasync, f.fileno())
    return start, time.monotonic_ns()


def main(work):
    return asyncio.run(pipe_all(pipe_file, work))  # pipe_all: file_calls.py
