"""fetch_and_process with multiprocessing: P producer processes fetch with urllib (urlopen
with a timeout) and put the pages into a multiprocessing.Queue(maxsize=Q), shared by every
process the parent forks; C consumer processes get pages, process them on cores of their
own and put the results into a second queue. The parent joins the producers, puts one None
per consumer, reads the results, and joins the consumers (C++ twin: ../processes.cpp).

The parent drains the results before it joins the consumers: a process that has put items
on a multiprocessing.Queue does not end until its queue's thread has written them all into
the pipe, which only a reader empties. Each producer reports its deepest queue, or the
failure that ended it, on a queue of its own kind; the run raises the first failure, in
producer order, once the consumers are done."""

import multiprocessing as mp
import pathlib
import sys

# kernel.py and blocking.py, beside this file; appended, so that no row here hides a module
sys.path.append(str(pathlib.Path(__file__).parent))
import kernel  # noqa: E402
from blocking import fetch  # noqa: E402


def producer(params, k, pages, reports):
    try:
        deepest = 0
        for i in range(k, params["n"], params["producers"]):
            url = f"http://127.0.0.1:{params['port']}/item/{i}"
            pages.put(fetch(url, i, params["timeout_ms"] / 1000))
            deepest = max(deepest, pages.qsize())
        reports.put((k, deepest))
    except Exception as error:
        reports.put((k, f"{type(error).__name__}: {error}"))


def consumer(params, pages, results):
    while (page := pages.get()) is not None:
        results.put(kernel.process(page, params["rounds"]))
    results.put(None)  # this consumer is done


def main(params):
    pages = mp.Queue(maxsize=params["capacity"])
    results, reports = mp.Queue(), mp.Queue()
    consumers = [mp.Process(target=consumer, args=(params, pages, results))
                 for _ in range(params["consumers"])]
    producers = [mp.Process(target=producer, args=(params, k, pages, reports))
                 for k in range(params["producers"])]
    for p in consumers + producers:
        p.start()
    outcomes = dict(reports.get() for _ in producers)
    for p in producers:
        p.join()
    for _ in consumers:
        pages.put(None)
    items, running = [], len(consumers)
    while running:
        if (item := results.get()) is None:
            running -= 1
        else:
            items.append(item)
    for p in consumers:
        p.join()
    for k in range(len(producers)):
        if isinstance(outcomes[k], str):
            raise RuntimeError(f"producer {k}: {outcomes[k]}")
    return [(max(outcomes.values()),)] + items
