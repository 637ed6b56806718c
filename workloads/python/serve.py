"""Runs one Python reference server, for the suite (workloads/python/served.hpp).

    /usr/bin/python3 -B -P workloads/python/serve.py <row file>

The row file is a short server in one framework's idiom (workloads/<workload>/python/).
It is loaded first, so that the interpreter's start-up and the framework's imports are
done before the server listens. Then, one line each:

    <- {"variant": "hello", "backend_us": 1000, "idle_timeout_ms": 2000}   on stdin
    -> listening <port>                                                     on stdout

The row's `serve(params, ready)` binds 127.0.0.1, port 0 (the system's choice), calls
`ready(port)` once it accepts connections (with a listen backlog of 1 024, as
the C++ servers': the frameworks' own, 5 to 256, drop connection attempts when a thousand
clients connect at once, and a dropped SYN is retried only a second later), and runs its framework's loop for as long as the
process lives. The suite stops it by closing stdin: the process then ends at once with
status 0 (the load generator has closed its connections by then; nothing is left to finish
gracefully). SIGTERM ends it too, by its default action or the framework's handler. A row
that raises writes its traceback on stderr and exits with status 1; the suite reports it.
The row's code must not write to stdout.
"""

import importlib.util
import json
import os
import sys
import threading
import traceback


def load(path):
    spec = importlib.util.spec_from_file_location("row", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["row"] = module
    spec.loader.exec_module(module)
    return module


def exit_at_end_of(stream):
    """Ends the process once `stream` ends: the suite's stop, or the suite's own end."""
    stream.read()
    os._exit(0)


def main():
    # The protocol keeps the real stdout; what the row prints goes to stderr instead.
    protocol, sys.stdout = sys.stdout, sys.stderr
    row = load(sys.argv[1])
    params = json.loads(sys.stdin.readline())
    # A thread of the OS, blocked in read() with the GIL released: it costs the server
    # nothing until the suite closes stdin. Started before the row's framework takes over.
    threading.Thread(target=exit_at_end_of, args=(sys.stdin,), daemon=True).start()

    def ready(port):
        protocol.write(f"listening {port}\n")
        protocol.flush()

    try:
        row.serve(params, ready)
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
