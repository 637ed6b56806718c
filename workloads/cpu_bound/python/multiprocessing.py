"""cpu_bound in multiprocessing: Pool().map(run_chunk, chunks) (C++ twin: ../processes.cpp).

Each worker is a forked interpreter with a GIL of its own, so the chunks run in parallel,
one worker per core; chunks go out and results come back pickled through pipes, in order.
The pool's start (a fork each, ≈ 25 ms for an interpreter here) and its end are part of
the time, as a `with Pool() as pool:` block's are."""

import multiprocessing

from kernel import chunks, run_chunk


def prepare(params):
    return chunks(params)


def main(chunks):
    with multiprocessing.Pool() as pool:
        return pool.map(run_chunk, chunks)
