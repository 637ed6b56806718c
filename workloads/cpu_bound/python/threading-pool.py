"""cpu_bound with concurrent.futures: the chunks mapped over a ThreadPoolExecutor with a
thread per core, as the C++ twin submits them to TBB's workers (../threads.cpp). Under the
GIL the pool's threads take turns: no faster than sequential."""

import os
from concurrent.futures import ThreadPoolExecutor

from kernel import chunks, run_chunk


def prepare(params):
    return chunks(params)


def main(chunks):
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        return list(pool.map(run_chunk, chunks))
