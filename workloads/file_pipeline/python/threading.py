"""file_pipeline with a ThreadPoolExecutor of T threads mapping the loop's body over the
files (C++ twin: ../threads.cpp).

Each thread blocks in its own read, write or fdatasync while the others go on; the GIL is
released in every one of those calls, and held while bytes.upper() runs."""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

# file_calls.py, beside this file; appended, since the files here bear the frameworks' names
sys.path.append(os.path.dirname(__file__))
from file_calls import handed_back, prepare, process_file


def main(work):
    with ThreadPoolExecutor(max_workers=work.workers) as pool:
        spans = list(pool.map(process_file, work.files))
        return handed_back(spans, work.workers)
