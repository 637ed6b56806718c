"""cpu_bound in Tornado: each chunk handed to the executor with IOLoop.run_in_executor, the
idiomatic way to keep CPU work off the loop, and the futures joined with gen.multi (C++
twin: ../futures.cpp). The executor's threads share the GIL: no faster than sequential."""

import os
import sys

from tornado import gen
from tornado.ioloop import IOLoop

sys.path.append(os.path.dirname(__file__))
from kernel import chunks, run_chunk  # noqa: E402


async def all_chunks(chunks):
    loop = IOLoop.current()
    return await gen.multi([loop.run_in_executor(None, run_chunk, c) for c in chunks])


def prepare(params):
    return chunks(params)


def main(chunks):
    return IOLoop.current().run_sync(lambda: all_chunks(chunks))
