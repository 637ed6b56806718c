"""error_handling in gevent: greenlets, joinall and get(), or joinall(raise_error=True) and
killall (C++ twin: ../fibers.cpp).

A task is a greenlet that sleeps as if it blocked and then returns or raises; its `finally:`
runs however it ends, GreenletExit included. Collecting is joinall() and then each
greenlet's get() in spawn order: its value or its exception. Cancelling on the first failure
is joinall(raise_error=True), which raises the first failure as soon as it happens, and
killall(), which raises GreenletExit in every sibling where it sleeps and waits until they
have all died."""

import pathlib
import runpy
from types import SimpleNamespace

import gevent


# The workload's task records and values, spec.py, loaded by its path: the files here are
# named after the libraries they use, so their directory cannot be on sys.path.
spec = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("spec.py"))))


def task(p, i, t):
    t.start()
    try:
        gevent.sleep(p.waits[i])
        return spec.finish(p, i)
    except gevent.GreenletExit:
        t.ending = "cancelled"
        raise
    finally:
        t.clean_up()


def prepare(params):
    hub = gevent.get_hub()  # the hub (libev's loop) and its imports, before the timed region
    # A greenlet that raises is reported by the hub on stderr, traceback and all; the errors
    # here are expected, and the fan-out reports them.
    hub.NOT_ERROR = hub.NOT_ERROR + (spec.TaskFailed,)
    return spec.Params(params)


def main(p):
    records, errors = [spec.TaskRecord() for _ in p.waits], []
    tasks = [gevent.spawn(task, p, i, t) for i, t in enumerate(records)]
    if p.policy == "collect":
        gevent.joinall(tasks)
    else:
        try:
            gevent.joinall(tasks, raise_error=True)
        except spec.TaskFailed as first:
            errors.append(str(first))
            gevent.killall(tasks)
    for t, g in zip(records, tasks):
        if t.ending == "cancelled":
            continue
        try:
            t.value = g.get()
            t.ending = "value"
        except spec.TaskFailed as error:
            t.ending, t.error = "error", str(error)
            if p.policy == "collect":
                errors.append(t.error)
    return spec.lines(records, errors)
