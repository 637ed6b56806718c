"""ping_pong in asyncio on uvloop: asyncio.py's program, unchanged, on libuv's loop
(C++ twin: ../coroutines.cpp). uvloop.install() makes every asyncio.run, in either thread,
start a uvloop loop; call_soon_threadsafe then wakes the other loop through libuv's async
handle instead of asyncio's self-pipe."""

import pathlib
import runpy
from types import SimpleNamespace

import uvloop


# asyncio.py, the same program, loaded by its path: its name is the library's, so its
# directory cannot be on sys.path.
program = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("asyncio.py"))))


def main(p):
    uvloop.install()
    return program.main(p)
