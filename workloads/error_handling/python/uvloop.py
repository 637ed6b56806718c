"""error_handling in asyncio on uvloop: asyncio.py's program, unchanged, on libuv's loop
(C++ twin: ../coroutines.cpp)."""

import pathlib
import runpy
from types import SimpleNamespace

import uvloop


# asyncio.py, the same program, loaded by its path: its name is the library's, so its
# directory cannot be on sys.path.
program = SimpleNamespace(**runpy.run_path(str(pathlib.Path(__file__).with_name("asyncio.py"))))
prepare = program.prepare


def main(p):
    uvloop.install()
    return program.main(p)
