"""file_pipeline with a multiprocessing Pool of T forked workers mapping the loop's body over
the files (C++ twin: ../processes.cpp).

The forks are part of the time, as a `with Pool()` block's are. Each worker gets its files'
names (pickled, in chunks, on the pool's task queue) and sends back only the spans; a failed
file's OSError comes back pickled and map raises it here."""

import multiprocessing
import os
import sys

# file_calls.py, beside this file; appended, since the files here bear the frameworks' names
sys.path.append(os.path.dirname(__file__))
from file_calls import handed_back, prepare, process_file


def main(work):
    with multiprocessing.Pool(work.workers) as pool:
        spans = pool.map(process_file, work.files)
        return handed_back(spans, work.workers)
