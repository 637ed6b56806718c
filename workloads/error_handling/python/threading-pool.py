"""error_handling with concurrent.futures: the tasks submitted to a ThreadPoolExecutor with a
thread per task; wait(FIRST_EXCEPTION) to cancel on the first failure
(C++ twin: ../threads.cpp).

The task is threading.py's, waiting on an Event with stop.wait(d). Collecting reads every
future's result() or exception() in call order. Cancelling on the first failure is
concurrent.futures.wait(return_when=FIRST_EXCEPTION), which returns as soon as a future has
raised; the caller then sets `stop`, since a future that is already running cannot be
cancelled (Future.cancel() only withdraws one still queued). The first failure is, of the
futures wait() found failed, the one whose task ended first."""

import pathlib
import runpy
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from types import SimpleNamespace


# threading.py's task and the workload's spec, loaded by their path: the files here are
# named after the libraries they use, so their directory cannot be on sys.path.
threads = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("threading.py"))))
spec, task = threads.spec, threads.task


def prepare(params):
    return spec.Params(params)


def main(p):
    records, errors = [spec.TaskRecord() for _ in p.waits], []
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=len(p.waits)) as pool:
        futures = [pool.submit(task, p, i, t, stop) for i, t in enumerate(records)]
        if p.policy == "cancel_on_first":
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in done if f.exception() is not None]
            if failed:
                stop.set()  # every sibling wakes from its stop.wait
                first = min(failed, key=lambda f: records[futures.index(f)].end_ns)
                errors.append(str(first.exception()))
    for t, f in zip(records, futures):  # the pool has joined its threads: records are ours
        if f.exception() is not None:
            t.ending, t.error = "error", str(f.exception())
            if p.policy == "collect":
                errors.append(t.error)
        elif t.ending != "cancelled":
            t.ending, t.value = "value", f.result()
    return spec.lines(records, errors)
