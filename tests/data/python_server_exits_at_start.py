"""A Python server row that fails before it listens, for tests/python_servers_test.cpp."""


def serve(params, ready):
    raise RuntimeError("this server cannot bind: deliberately broken for the test")
