"""spawn_many with concurrent.futures: each task submitted to a ThreadPoolExecutor, its
future's result read in order (C++ twin: ../threads_tbb.cpp, which submits to TBB's
task_group). A pool reuses its threads, so a task is a work item and a future, not a
thread. A skynet node waits for its children's futures while holding a worker, so the pool
gets a worker per node: with fewer, the waiting nodes could hold every worker and the tree
would never finish (TBB's workers run other tasks while they wait; Python's cannot)."""

from concurrent.futures import ThreadPoolExecutor


def task(i):
    return i


def skynet(pool, num, depth):
    if depth == 0:
        return num
    children = [pool.submit(skynet, pool, num * 10 + i, depth - 1) for i in range(10)]
    return sum(child.result() for child in children)


def main(params):
    if params["shape"] == "skynet":
        nodes = (10 * params["n"] - 1) // 9
        with ThreadPoolExecutor(max_workers=nodes) as pool:
            return [("sum", pool.submit(skynet, pool, 0, params["depth"]).result())]
    with ThreadPoolExecutor() as pool:
        return list(pool.map(task, range(params["n"])))
