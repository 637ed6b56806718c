"""A row whose run raises: its cell fails with the error (tests/python_rows_test.cpp)."""


def main(params):
    raise ValueError(f"no luck with {len(params['waits_us'])} waits")
