"""cpu_bound with concurrent.futures: the chunks mapped over a ThreadPoolExecutor with a
thread per core, as the C++ twin submits them to TBB's workers (../threads.cpp). Under the
GIL the pool's threads take turns: no faster than sequential."""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.append(os.path.dirname(__file__))
from kernel import chunks, run_chunk  # noqa: E402


def prepare(params):
    return chunks(params)


def main(chunks):
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        return list(pool.map(run_chunk, chunks))
