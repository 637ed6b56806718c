"""error_handling in Tornado: Futures with their callbacks, gen.multi, and an Event that stops
the siblings (C++ twin: ../futures.cpp).

A Tornado Future cannot be cancelled, so a task that must be stoppable waits on something
that can end early: tornado.locks.Event.wait(timeout), which is with_timeout over the
event's Future. The deadline passing (TimeoutError) is the task's wait ending normally;
`stop` being set first means it was cancelled. Collecting is gen.multi over the tasks with
their errors kept: each task's Future wrapped in one that resolves with its value or its
exception, in call order. Cancelling on the first failure needs the failures as they come:
gen.multi waits for every Future before it raises the first error in list order, so it
cannot stop anything early. gen.WaitIterator yields the Futures as they finish; the first
that raises sets `stop`, and every sibling wakes on the loop's next turn."""

import asyncio
import datetime
import pathlib
import runpy
from types import SimpleNamespace

from tornado import gen, locks, util
from tornado.ioloop import IOLoop


# The workload's task records and values, spec.py, loaded by its path: the files here are
# named after the libraries they use, so their directory cannot be on sys.path.
spec = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("spec.py"))))


def task(p, i, t, stop):
    t.start()
    done = asyncio.Future()
    done.add_done_callback(lambda _: t.clean_up())  # finally

    def waited(wait):
        if wait.exception() is None:  # stop was set first: cancelled
            t.ending = "cancelled"
            done.set_result(0)
            return
        if not isinstance(wait.exception(), util.TimeoutError):
            done.set_exception(wait.exception())
            return
        try:
            done.set_result(spec.finish(p, i))
        except spec.TaskFailed as error:
            done.set_exception(error)

    stop.wait(timeout=datetime.timedelta(seconds=p.waits[i])).add_done_callback(waited)
    return done


def keep_errors(future):
    """A Future that resolves with the task's value or its exception: it never fails."""
    settled = asyncio.Future()
    future.add_done_callback(lambda f: settled.set_result(f.exception() or f.result()))
    return settled


async def fan_out(p, records, errors):
    stop = locks.Event()
    tasks = [task(p, i, t, stop) for i, t in enumerate(records)]
    settled = [keep_errors(f) for f in tasks]
    if p.policy == "cancel_on_first":
        finishing = gen.WaitIterator(*tasks)
        while not finishing.done():
            try:
                await finishing.next()
            except spec.TaskFailed as first:
                errors.append(str(first))
                stop.set()  # every sibling stops
                break
    for t, outcome in zip(records, await gen.multi(settled)):
        if isinstance(outcome, Exception):
            t.ending, t.error = "error", str(outcome)
            if p.policy == "collect":
                errors.append(t.error)
        elif t.ending != "cancelled":
            t.ending, t.value = "value", outcome


def prepare(params):
    return spec.Params(params)


def main(p):
    records, errors = [spec.TaskRecord() for _ in p.waits], []
    IOLoop.current().run_sync(lambda: fan_out(p, records, errors))
    return spec.lines(records, errors)
