"""cpu_bound in threading: a thread per chunk, each writing its own slot, all joined (C++
twin: ../threads.cpp, which submits the chunks to TBB's workers).

This is the GIL's lesson: the threads overlap in time, but only one of them runs Python
code at once (the interpreter hands the lock over every 5 ms), so K chunks take as long as
K chunks one after another, and the process never uses more than one core."""

import threading

from kernel import chunks, run_chunk


def task(chunk, results, i):
    results[i] = run_chunk(chunk)


def prepare(params):
    return chunks(params)


def main(chunks):
    results = [None] * len(chunks)
    threads = [threading.Thread(target=task, args=(c, results, i)) for i, c in enumerate(chunks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
