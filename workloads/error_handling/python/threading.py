"""error_handling with threading: a Thread per task, each writing its own record, and an
Event that the first failure sets (C++ twin: ../threads.cpp).

Collecting: the caller joins every thread and reads the records in call order. Cancelling on
the first failure: every task waits with stop.wait(d), and the first task to fail sets
`stop`, so every sibling wakes at once and cleans up. A thread cannot be killed from
outside; it stops only where it looks at the Event."""

import pathlib
import runpy
import threading
from types import SimpleNamespace


# The workload's task records and values, spec.py, loaded by its path: the files here are
# named after the libraries they use, so their directory cannot be on sys.path.
spec = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("spec.py"))))


def task(p, i, t, stop):
    """One task: waits, then returns its value or raises its error; notes the stop instead
    when the stop reached it. Its clean-up ends before its caller learns how it ended."""
    t.start()
    try:
        if stop.wait(p.waits[i]):
            t.ending = "cancelled"
            return 0
        return spec.finish(p, i)
    finally:
        t.clean_up()


def worker(p, i, t, stop, first_lock, errors):
    """A thread's body; the record is its own until the caller has joined the thread."""
    try:
        t.value = task(p, i, t, stop)
        if t.ending != "cancelled":
            t.ending = "value"
    except spec.TaskFailed as error:
        t.ending, t.error = "error", str(error)
        if p.policy == "cancel_on_first":
            with first_lock:
                if not stop.is_set():  # the first failure: it stops every sibling
                    errors.append(t.error)
                    stop.set()


def prepare(params):
    return spec.Params(params)


def main(p):
    records, errors = [spec.TaskRecord() for _ in p.waits], []
    stop, first_lock = threading.Event(), threading.Lock()
    workers = [threading.Thread(target=worker, args=(p, i, t, stop, first_lock, errors))
               for i, t in enumerate(records)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if p.policy == "collect":
        errors = [t.error for t in records if t.ending == "error"]
    return spec.lines(records, errors)
