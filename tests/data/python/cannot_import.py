"""A row whose framework is missing: it fails at start, before any run
(tests/python_rows_test.cpp)."""

import cmbench_no_such_framework  # noqa: F401


def main(params):
    return []
