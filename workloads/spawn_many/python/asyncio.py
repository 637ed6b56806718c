"""spawn_many in asyncio: each task a coroutine made a Task by create_task and gathered; a
skynet node creates its ten children the same way and sums what gather returns (C++ twin:
../coroutines.cpp). A new task waits in the loop's FIFO behind every task created before
it, so skynet runs breadth first and the whole tree is alive at once."""

import asyncio


async def task(i):
    return i


async def flat(n):
    return await asyncio.gather(*[asyncio.create_task(task(i)) for i in range(n)])


async def skynet(num, depth):
    if depth == 0:
        return num
    children = [asyncio.create_task(skynet(num * 10 + i, depth - 1)) for i in range(10)]
    return sum(await asyncio.gather(*children))


def main(params):
    if params["shape"] == "skynet":
        return [("sum", asyncio.run(skynet(0, params["depth"])))]
    return asyncio.run(flat(params["n"]))
