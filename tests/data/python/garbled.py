"""A row that hands back something other than spans (tests/python_rows_test.cpp)."""


def main(params):
    return [("start", "end") for _ in params["waits_us"]]
