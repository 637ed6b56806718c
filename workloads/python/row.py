"""Runs one Python reference row once, for the suite (workloads/python/rows.hpp).

    /usr/bin/python3 -B -P workloads/python/row.py <row file>

The row file is a short program in one framework's idiom (workloads/<workload>/python/).
It is loaded first, so that the interpreter's start-up and the framework's imports are
done before anything is timed. Then, over stdin and stdout, one line each:

    <- {"waits_us": [...], ...}    the row's parameters, one JSON object
    -> ready                       parsed, prepared (row.prepare), waiting for the start
    <- go                          the timed region starts here ...
    -> done                        ... and ends here, when row.main has returned
    -> <result lines>              one line per item of what row.main returned,
    -> end <cpu_ns> <wall_ns>      the run's CPU time (interpreter and reaped children) and
                                   wall time, measured here

A tuple or list item is written as its fields separated by spaces, anything else with
str(). A row that raises writes `error <type>: <message>` instead of `done`, its traceback
on stderr, and exits with status 1. The row's code must not write to stdout.
"""

import importlib.util
import json
import os
import resource
import sys
import time
import traceback


def load(path):
    # The row's own folder, for the modules its rows share (cpu_bound's kernel.py): appended,
    # so that a row named threading.py never hides the standard library's module.
    sys.path.append(os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location("row", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["row"] = module  # so that pickle finds its functions (multiprocessing)
    spec.loader.exec_module(module)
    return module


def cpu_ns():
    """This interpreter's CPU time, every thread, and that of the children it has reaped."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time_ns() + int((children.ru_utime + children.ru_stime) * 1e9)


def say(protocol, line):
    protocol.write(line + "\n")
    protocol.flush()


def line_of(item):
    if isinstance(item, (tuple, list)):
        return " ".join(str(field) for field in item)
    return str(item)


def main():
    # The protocol keeps the real stdout; what the row prints goes to stderr instead.
    protocol, sys.stdout = sys.stdout, sys.stderr
    row = load(sys.argv[1])
    params = json.loads(sys.stdin.readline())
    prepared = row.prepare(params) if hasattr(row, "prepare") else params
    say(protocol, "ready")
    if sys.stdin.readline().strip() != "go":
        return 0  # the suite did not want this run after all
    cpu, start = cpu_ns(), time.monotonic_ns()
    try:
        result = row.main(prepared)
    except Exception as error:
        traceback.print_exc()
        say(protocol, "error " + type(error).__name__ + ": " + " ".join(str(error).split()))
        return 1
    wall, cpu = time.monotonic_ns() - start, cpu_ns() - cpu
    say(protocol, "done")
    lines = [line_of(item) for item in result]
    lines.append(f"end {cpu} {wall}")
    protocol.write("\n".join(lines) + "\n")
    protocol.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
