"""A row whose interpreter dies in the middle of a run, as a crashed extension would
(tests/python_rows_test.cpp)."""

import os
import signal


def main(params):
    os.kill(os.getpid(), signal.SIGKILL)
