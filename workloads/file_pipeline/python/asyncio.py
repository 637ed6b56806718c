"""file_pipeline in asyncio with to_thread: a task per file, gathered, each blocking call
sent to the loop's default executor (C++ twin: ../coroutines.cpp, which awaits aiofiles-style
calls instead; the two trips per file here are ../futures.cpp's).

Two trips per file, the whole read and the whole write, against aiofiles' six; the
upper-casing runs on the loop between them. The default executor gets T threads."""

import asyncio
import os
import sys
import time

# file_calls.py, beside this file; appended, since the files here bear the frameworks' names
sys.path.append(os.path.dirname(__file__))
from file_calls import pipe_all, prepare, read_file, write_file


async def pipe_file(file):
    start = time.monotonic_ns()
    data = await asyncio.to_thread(read_file, file.source)
    await asyncio.to_thread(write_file, file.output, data.upper(), file.sync)
    return start, time.monotonic_ns()


def main(work):
    return asyncio.run(pipe_all(pipe_file, work))  # pipe_all: file_calls.py
