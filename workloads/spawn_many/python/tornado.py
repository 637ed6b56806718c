"""spawn_many in Tornado without coroutines: a task is a callback queued on the loop with
IOLoop.add_callback and the Future it resolves; gen.multi folds the futures into one that
resolves with their results in call order (C++ twin: ../futures.cpp). A skynet node is such
a task whose body makes the node's ten children and hands back multi() of them: the node's
Future follows that one (chain_future), and then() sums the list. run_sync runs the loop
until the root's Future resolves. A pending task is a loop callback and a Future, no stack.
"""

from tornado import gen
from tornado.concurrent import Future, chain_future, future_add_done_callback, is_future
from tornado.ioloop import IOLoop


def on_next_turn(fn):
    """fn() run on the loop's next turn, as a Future of its result (or of the result of the
    Future it returns)."""
    future = Future()

    def run():
        try:
            result = fn()
        except Exception as error:
            future.set_exception(error)
            return
        if is_future(result):
            chain_future(result, future)
        else:
            future.set_result(result)

    IOLoop.current().add_callback(run)
    return future


def then(future, fn):
    """A Future of fn(future's result), resolved when `future` is."""
    result = Future()

    def done(f):
        try:
            result.set_result(fn(f.result()))
        except Exception as error:
            result.set_exception(error)

    future_add_done_callback(future, done)
    return result


def flat(n):
    return gen.multi([on_next_turn(lambda i=i: i) for i in range(n)])


def skynet(num, depth):
    if depth == 0:
        return on_next_turn(lambda: num)
    children = on_next_turn(lambda: gen.multi([skynet(num * 10 + i, depth - 1) for i in range(10)]))
    return then(children, sum)


def main(params):
    loop = IOLoop.current()
    if params["shape"] == "skynet":
        return [("sum", loop.run_sync(lambda: skynet(0, params["depth"])))]
    return loop.run_sync(lambda: flat(params["n"]))
