"""error_handling with multiprocessing: a Process per task, its exit code, and terminate()
for the siblings (C++ twin: ../processes.cpp).

Collecting joins the children in call order: a child that raised exits with status 1, and
its record on the reports queue says which error. Cancelling on the first failure: the
parent reads the reports as they come, and at the first failure terminate()s every child,
then joins them all. terminate() is SIGTERM, which kills a Python child outright, skipping
its `finally:` blocks; so each child turns it into an exception (Terminated) where it
sleeps, as a worker with its own SIGTERM handler does, and runs its clean-up. SIGTERM is
blocked in the parent while it forks, so that a child is born with it blocked and handles
it only once its handler is in place. The clean-up runs in the child, so each child's
record comes back on the queue, which the parent drains before it joins."""

import multiprocessing
import pathlib
import runpy
import signal
import time
from types import SimpleNamespace


# The workload's task records and values, spec.py, loaded by its path: the files here are
# named after the libraries they use, so their directory cannot be on sys.path.
spec = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("spec.py"))))
TERM = {signal.SIGTERM}


class Terminated(Exception):
    """SIGTERM, raised where the child is when it arrives."""


def on_sigterm(signum, frame):
    raise Terminated()


def task(p, i, reports):
    """The task, in the child: its clean-up sends its record, however it ends."""
    signal.signal(signal.SIGTERM, on_sigterm)
    t = spec.TaskRecord()
    t.start()
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, TERM)
        time.sleep(p.waits[i])
        t.value = spec.finish(p, i)
        t.ending = "value"
    except Terminated:
        t.ending = "cancelled"
    except spec.TaskFailed as error:
        t.ending, t.error = "error", str(error)
        raise  # the child exits with status 1
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, TERM)  # a late SIGTERM must not cut it short
        t.clean_up()
        reports.put((i, vars(t)))  # plain values: the parent cannot unpickle spec's class


def prepare(params):
    return spec.Params(params)


def record_of(fields):
    t = spec.TaskRecord()
    vars(t).update(fields)
    return t


def main(p):
    records, errors = [None] * len(p.waits), []
    reports = multiprocessing.SimpleQueue()
    unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, TERM)
    try:
        children = [multiprocessing.Process(target=task, args=(p, i, reports)) for i in range(len(p.waits))]
        for child in children:
            child.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
    received = 0
    if p.policy == "cancel_on_first":
        while received < len(children):
            i, fields = reports.get()
            t = records[i] = record_of(fields)
            received += 1
            if t.ending == "error":
                errors.append(t.error)
                for child in children:
                    child.terminate()
                break
    for _ in range(received, len(children)):  # every child reports once: drain, then join
        i, fields = reports.get()
        records[i] = record_of(fields)
    for child, t in zip(children, records):
        child.join()
        if child.exitcode != 0 and p.policy == "collect":
            errors.append(t.error)
    return spec.lines(records, errors)
