"""cpu_bound in Tornado: each chunk handed to the executor with IOLoop.run_in_executor, the
idiomatic way to keep CPU work off the loop, and the futures joined with gen.multi (C++
twin: ../futures.cpp). The executor's threads share the GIL: no faster than sequential."""


from tornado import gen
from tornado.ioloop import IOLoop

from kernel import chunks, run_chunk


async def all_chunks(chunks):
    loop = IOLoop.current()
    return await gen.multi([loop.run_in_executor(None, run_chunk, c) for c in chunks])


def prepare(params):
    return chunks(params)


def main(chunks):
    return IOLoop.current().run_sync(lambda: all_chunks(chunks))
