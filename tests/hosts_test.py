"""scripts/hosts: the server's namespace and its client namespaces joined by veth links, up,
shaped, measured across, and down with nothing left behind; bad input and a missing netem said
as such."""
import re
import subprocess
import sys
import time
from pathlib import Path

HOSTS = str(Path(__file__).resolve().parent.parent / "scripts" / "hosts")
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def hosts(*args):
    return subprocess.run([HOSTS, *args], capture_output=True, text=True, timeout=60)


# Receives in a client host at ADDRESS, sends MEGABYTES from cmbench-a; returns the rate in
# Mbit/s.
RECEIVER = """
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5201)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); n = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    n += len(d)
print(n, flush=True)
"""
SENDER = """
import socket, sys, time
n = int(sys.argv[1]) << 20; chunk = b"x" * (1 << 16)
c = socket.create_connection((sys.argv[2], 5201), timeout=30)
t0 = time.monotonic(); sent = 0
while sent < n:
    c.sendall(chunk); sent += len(chunk)
c.shutdown(socket.SHUT_WR); c.recv(1); print(time.monotonic() - t0)
"""


def mbit_per_s(client, address, megabytes):
    rx = subprocess.Popen(["ip", "netns", "exec", client, "/usr/bin/python3", "-c", RECEIVER,
                           address], stdout=subprocess.PIPE, text=True)
    try:
        check(rx.stdout.readline().strip() == "ready", f"the receiver in {client} started")
        tx = subprocess.run(["ip", "netns", "exec", "cmbench-a", "/usr/bin/python3", "-c", SENDER,
                             str(megabytes), address], capture_output=True, text=True, timeout=60)
        check(tx.returncode == 0, f"the sender in cmbench-a reached {client}: " + tx.stderr)
        received = int(rx.stdout.readline().strip() or 0)
        check(received == megabytes << 20, f"all {megabytes} MiB arrived ({received} bytes)")
        return megabytes * 8 * 1.048576 / float(tx.stdout.strip() or "inf")
    finally:
        rx.kill()
        rx.wait()


def nothing_left():
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-brief", "link"], capture_output=True, text=True).stdout
    return "cmbench-" not in netns and "cmbench-" not in links


hosts("down")
r = hosts("up", "--rate", "50mbit")
check(r.returncode == 0, "up --rate 50mbit: " + r.stderr)
shaped = mbit_per_s("cmbench-c", "10.77.1.2", 8)
r = hosts("status")
check(r.stdout.count("tbf") == 2 and "rate 50Mbit" in r.stdout, "status shows tbf both ways")
r = hosts("up")  # again: idempotent, the shaped link at its default rate
check(r.returncode == 0, "up again: " + r.stderr)
check("rate 1Gbit" in hosts("status").stdout, "up again without --rate shapes cmbench-c at 1gbit")
unshaped = mbit_per_s("cmbench-b", "10.77.0.2", 64)
print(f"50mbit link (a-c): {shaped:.1f} Mbit/s; plain veth (a-b): {unshaped:.0f} Mbit/s")
# A wide margin: the token bucket's burst lets the first 256 KiB through at once.
check(25 <= shaped <= 65, f"the shaped link carries about 50 Mbit/s ({shaped:.1f})")
check(unshaped > 4 * shaped, f"the unshaped link is much faster ({unshaped:.0f} Mbit/s)")

r = hosts("down")
check(r.returncode == 0, "down: " + r.stderr)
check(nothing_left(), "down leaves no namespace, veth or qdisc")
check(hosts("down").returncode == 0, "down with nothing up is not an error")

netem = "netem: available" in hosts("status").stdout
r = hosts("up", "--delay", "1ms")
if netem:
    check(r.returncode == 0, "up --delay 1ms where netem exists: " + r.stderr)
else:
    check(r.returncode == 3 and "not available here" in r.stderr,
          f"--delay without netem says so, exit 3 (got {r.returncode}: {r.stderr.strip()})")
hosts("down")

for args, says in [(["up", "--rate", "fast"], "expected a rate"),
                   (["up", "--delay", "soon"], "expected a duration"),
                   (["up", "--frob"], "unknown option"),
                   (["sideways"], "valid: up, down, status")]:
    r = hosts(*args)
    check(r.returncode == 2 and says in r.stderr, f"{args} exits 2 saying '{says}': {r.stderr}")
check(nothing_left(), "nothing left at the end")

sys.exit(1 if failures else 0)
