"""fetch_and_process with threads and queue.Queue: P producer threads fetch with urllib
(urlopen with a timeout) and put each page into a Queue(maxsize=Q); C consumer threads get
pages and process them; a None per consumer, put once every producer has been joined, tells
the consumers to stop (C++ twin: ../threads.cpp).

The C++ consumers compute on two cores at once; these take turns on one, under the GIL, and
each producer that has a response to parse waits for its turn too.

A failed or late fetch ends its producer; the others finish their items, the consumers drain
the queue and stop, and the run raises the failure of the lowest producer."""

import pathlib
import queue
import sys
import threading

# kernel.py and blocking.py, beside this file; appended, so that no row here hides a module
sys.path.append(str(pathlib.Path(__file__).parent))
import kernel  # noqa: E402
from blocking import fetch  # noqa: E402


def main(params):
    pages = queue.Queue(maxsize=params["capacity"])
    depths = [0] * params["producers"]  # each thread writes only its own slots
    errors = [None] * params["producers"]
    done = [[] for _ in range(params["consumers"])]

    def producer(k):
        try:
            for i in range(k, params["n"], params["producers"]):
                url = f"http://127.0.0.1:{params['port']}/item/{i}"
                pages.put(fetch(url, i, params["timeout_ms"] / 1000))
                depths[k] = max(depths[k], pages.qsize())
        except Exception as error:
            errors[k] = error

    def consumer(k):
        while (page := pages.get()) is not None:
            done[k].append(kernel.process(page, params["rounds"]))

    consumers = [threading.Thread(target=consumer, args=(k,)) for k in range(params["consumers"])]
    producers = [threading.Thread(target=producer, args=(k,)) for k in range(params["producers"])]
    for t in consumers + producers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        pages.put(None)
    for t in consumers:
        t.join()
    for error in errors:
        if error:
            raise error
    return [(max(depths),)] + [item for mine in done for item in mine]
