"""error_handling for the Python rows: what ../spec.hpp gives the C++ ones (the tasks'
parameters, their values and errors, the record each task keeps) and the lines a row hands
back for the C++ verifier. Not a row itself: each row loads it by its path (load_spec in
the row), because this directory's files are named after the libraries they use.

A row's result lines, in call order:
    task <ending> <value> <start_ns> <end_ns> <cleanups> [<error text>]   one per task
    raised <error text>                                  one per error the fan-out reported
<ending> is not_started, value, error or cancelled; the times are CLOCK_MONOTONIC."""

import time


class TaskFailed(Exception):
    """The error a failing task raises."""


class Params:
    def __init__(self, params):
        self.policy = params["policy"]  # "collect" or "cancel_on_first"
        self.waits = [us / 1e6 for us in params["waits_us"]]  # seconds
        self.fails = [bool(f) for f in params["fails"]]


def value_of(i):
    return i * 7 + 1


def error_text(i):
    return f"task {i} failed"


def finish(p, i):
    """The end of task i's wait: its value, or its error raised."""
    if p.fails[i]:
        raise TaskFailed(error_text(i))
    return value_of(i)


class TaskRecord:
    """How one task ended, its span up to the end of its clean-up, and how often its
    clean-up (the task's `finally:`) ran: it must run once, however the task ends."""

    def __init__(self):
        self.ending = "not_started"
        self.value = 0
        self.error = ""
        self.start_ns = self.end_ns = 0
        self.cleanups = 0

    def start(self):
        self.start_ns = time.monotonic_ns()

    def clean_up(self):
        self.cleanups += 1
        self.end_ns = time.monotonic_ns()


def lines(records, errors):
    for t in records:
        yield ("task", t.ending, t.value, t.start_ns, t.end_ns, t.cleanups, t.error)
    for e in errors:
        yield ("raised", e)
