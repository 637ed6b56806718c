"""error_handling in asyncio: gather(return_exceptions=True), or a TaskGroup that cancels on
the first failure (C++ twin: ../coroutines.cpp).

A task is a coroutine that sleeps and then returns or raises; its `finally:` runs however it
ends, CancelledError included. Collecting is gather(return_exceptions=True): one outcome per
task, in call order. Cancelling on the first failure is a TaskGroup: the first task to fail
cancels every other, each sees CancelledError at its await and cleans up, and the group
raises an ExceptionGroup of the errors once all of them have finished."""

import asyncio
import pathlib
import runpy
from types import SimpleNamespace


# The workload's task records and values, spec.py, loaded by its path: the files here are
# named after the libraries they use, so their directory cannot be on sys.path.
spec = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("spec.py"))))


async def task(p, i, t):
    t.start()
    try:
        await asyncio.sleep(p.waits[i])
        return spec.finish(p, i)
    except asyncio.CancelledError:
        t.ending = "cancelled"
        raise  # a cancelled task re-raises CancelledError after its clean-up
    finally:
        t.clean_up()


async def collect(p, records, errors):
    outcomes = await asyncio.gather(*(task(p, i, t) for i, t in enumerate(records)),
                                    return_exceptions=True)
    for t, outcome in zip(records, outcomes):
        if isinstance(outcome, Exception):
            t.ending, t.error = "error", str(outcome)
            errors.append(t.error)
        else:
            t.ending, t.value = "value", outcome


async def cancel_on_first(p, records, errors):
    tasks = []
    try:
        async with asyncio.TaskGroup() as tg:
            for i, t in enumerate(records):
                tasks.append(tg.create_task(task(p, i, t)))
    except* spec.TaskFailed as group:
        errors.extend(str(e) for e in group.exceptions)
    for t, done in zip(records, tasks):
        if done.cancelled():
            continue  # the task noted it
        if done.exception() is not None:
            t.ending, t.error = "error", str(done.exception())
        else:
            t.ending, t.value = "value", done.result()


def prepare(params):
    return spec.Params(params)


def main(p):
    records, errors = [spec.TaskRecord() for _ in p.waits], []
    fan_out = collect if p.policy == "collect" else cancel_on_first
    asyncio.run(fan_out(p, records, errors))
    return spec.lines(records, errors)
