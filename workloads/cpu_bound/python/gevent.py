"""cpu_bound in gevent: each chunk handed to the hub's thread pool, the way gevent keeps
blocking or CPU work from stalling every greenlet, and each result read in order (C++
twin: ../fibers.cpp, whose greenlets run on a work-stealing pool of two threads).

A greenlet that computes never yields, so on the hub alone the chunks would run one after
another; the pool's threads let the hub go on, but they share the GIL, so the chunks still
take as long as run one after another."""


import gevent

from kernel import chunks, run_chunk


def prepare(params):
    gevent.get_hub().threadpool  # the hub and its pool's imports, before the timed region
    return chunks(params)


def main(chunks):
    pool = gevent.get_hub().threadpool
    tasks = [pool.spawn(run_chunk, c) for c in chunks]
    return [t.get() for t in tasks]
