"""cpu_bound in plain Python: one chunk after another (C++ twin: ../sequential.cpp). The
Python rows' reference time: their speed-ups are measured against this row."""

import os
import sys

sys.path.append(os.path.dirname(__file__))
from kernel import chunks, run_chunk  # noqa: E402


def prepare(params):
    return chunks(params)


def main(chunks):
    return [run_chunk(chunk) for chunk in chunks]
