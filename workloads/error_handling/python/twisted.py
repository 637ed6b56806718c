"""error_handling in Twisted: deferLater per task, a DeferredList, or gatherResults and an
errback that cancels the siblings (C++ twin: ../callbacks.cpp).

A task is Twisted's own deferLater: a Deferred fired by a delayed call, whose canceller
cancels that call. Its clean-up is an addBoth, which runs on a value, an error or a
cancellation alike. Collecting is DeferredList(consumeErrors=True): one (success, result)
pair per task, in call order. Cancelling on the first failure is gatherResults, which fails
with the first failure, and an errback that cancel()s every task: each sibling's delayed
call is removed and its Deferred fails with CancelledError at once, inside cancel(), so
every sibling has stopped before the errback returns."""

import pathlib
import runpy
from types import SimpleNamespace

from twisted.internet import defer, reactor, task  # importing reactor installs it (epoll)


# The workload's task records and values, spec.py, loaded by its path: the files here are
# named after the libraries they use, so their directory cannot be on sys.path.
spec = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("spec.py"))))


def start_task(reactor, p, i, t):
    t.start()
    d = task.deferLater(reactor, p.waits[i], spec.finish, p, i)

    def clean_up(outcome):  # finally: a value or a Failure passes through
        t.clean_up()
        return outcome

    return d.addBoth(clean_up)


def record(t, success, outcome):
    """How a task ended, from the outcome its Deferred gave."""
    if success:
        t.ending, t.value = "value", outcome
    elif outcome.check(defer.CancelledError):
        t.ending = "cancelled"
    else:
        t.ending, t.error = "error", outcome.getErrorMessage()


def collect(tasks, records, errors):
    def read(results):
        for t, (success, outcome) in zip(records, results):
            record(t, success, outcome)
            if t.ending == "error":
                errors.append(t.error)

    return defer.DeferredList(tasks, consumeErrors=True).addCallback(read)


def cancel_on_first(tasks, records, errors):
    def note(outcome, t):  # each task's own ending, before the gathering consumes it
        record(t, not isinstance(outcome, defer.Failure), outcome)
        return outcome

    for d, t in zip(tasks, records):
        d.addBoth(note, t)

    def first_failure(failure):
        errors.append(failure.value.subFailure.getErrorMessage())  # a FirstError wraps it
        for d in tasks:
            d.cancel()  # the siblings' errbacks run here

    return defer.gatherResults(tasks, consumeErrors=True).addErrback(first_failure)


def prepare(params):
    return spec.Params(params)


def main(p):
    records, errors = [spec.TaskRecord() for _ in p.waits], []

    def run(reactor):
        tasks = [start_task(reactor, p, i, t) for i, t in enumerate(records)]
        fan_out = collect if p.policy == "collect" else cancel_on_first
        return fan_out(tasks, records, errors)

    try:
        task.react(run)  # runs the reactor until run's Deferred fires, then stops it
    except SystemExit as end:  # react() ends the process's reactor with sys.exit
        if end.code:
            raise RuntimeError(f"the reactor stopped with status {end.code}") from end
    return spec.lines(records, errors)
