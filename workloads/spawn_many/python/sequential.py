"""spawn_many in plain Python: a task is a function call (C++ twin: ../sequential.cpp).
flat is a loop over N calls, skynet a recursive call per node; nothing is created and
nothing joined, so this row is what the interpreter's calls alone cost."""


def task(i):
    return i


def skynet(num, depth):
    if depth == 0:
        return num
    return sum(skynet(num * 10 + i, depth - 1) for i in range(10))


def main(params):
    if params["shape"] == "skynet":
        return [("sum", skynet(0, params["depth"]))]
    return [task(i) for i in range(params["n"])]
