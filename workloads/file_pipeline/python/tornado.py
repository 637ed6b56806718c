"""file_pipeline in Tornado: each blocking call sent to the executor with
IOLoop.run_in_executor, the files' coroutines joined with gen.multi (C++ twin: ../futures.cpp).

Two trips to the executor per file, the upper-casing on the loop between them. The loop's
default executor gets T threads."""

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tornado import gen
from tornado.ioloop import IOLoop

# file_calls.py, beside this file; appended, since the files here bear the frameworks' names
sys.path.append(os.path.dirname(__file__))
from file_calls import handed_back, prepare, read_file, write_file


async def pipe_file(file):
    start = time.monotonic_ns()
    loop = IOLoop.current()
    data = await loop.run_in_executor(None, read_file, file.source)
    await loop.run_in_executor(None, write_file, file.output, data.upper(), file.sync)
    return start, time.monotonic_ns()


async def pipe_all(work):
    IOLoop.current().set_default_executor(ThreadPoolExecutor(work.workers))
    spans = await gen.multi([pipe_file(f) for f in work.files])
    return handed_back(spans, work.workers)


def main(work):
    return IOLoop.current().run_sync(lambda: pipe_all(work))
