"""scripts/hosts: the server's namespace and its client namespaces joined by veth links, up,
shaped, measured across, and down with nothing left behind; bad input and a missing netem said
as such."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOSTS = str(Path(__file__).resolve().parent.parent / "scripts" / "hosts")
CMBENCH = sys.argv[1] if len(sys.argv) > 1 else "build/release/bench/cmbench"
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


def run_cell(name, fails=False, inside=None, env=None):
    """One repetition of a cell with `cmbench run` (in the namespace `inside`, if given): its
    Google Benchmark entry."""
    prefix = ["ip", "netns", "exec", inside] if inside else []
    r = subprocess.run(prefix + [CMBENCH, "run", "--cell", name, "--benchmark_format=json"],
                       capture_output=True, text=True, timeout=120, env=env)
    where = f" in {inside}" if inside else ""
    check((r.returncode != 0) == fails,
          f"{name}{where} {'failed' if fails else 'ran'}: {r.stderr[-500:]}")
    entries = json.loads(r.stdout or "{}").get("benchmarks", [])
    return entries[0] if entries else {}


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

# The echo workload's client measures the shaped link: 100 KiB messages from ten clients fill
# it in each direction (an echo carries each byte both ways, each way shaped on its own).
hosts("up", "--rate", "200mbit")
echo = run_cell("echo/coroutines/size:102400/C:10/T:1s/server:cmbench-a/client:cmbench-c")
mbit = echo.get("mb_per_s", 0) * 8
print(f"echo across the 200mbit link: {mbit:.0f} Mbit/s each way")
check(not echo.get("error_occurred") and 100 <= mbit <= 220,
      f"the echo client sees about 200 Mbit/s across the shaped link ({mbit:.0f}): {echo}")
# A fetching cell and a served one across the plain link, verified like every cell.
for name in ["http_fetch/threads/N:200/d:1ms/server:cmbench-a/client:cmbench-b",
             "http_server/epoll/C:10/rate:5000/T:200ms/server:cmbench-a/client:cmbench-b"]:
    e = run_cell(name)
    check(e and not e.get("error_occurred"), f"{name} verified across the link: {e}")
# Sides that cannot meet, and a host that is not there, are refused at set-up with a reason.
for name, says in [("http_fetch/threads/N:10/server:cmbench-a/client:loopback", "cannot reach"),
                   ("http_fetch/threads/N:10/server:cmbench-a/client:cmbench-z",
                    "not available here: no network namespace cmbench-z")]:
    e = run_cell(name, fails=True)
    check(says in e.get("error_message", ""), f"{name} fails saying '{says}': {e}")

# Machines at addresses: the cell runs on one, and starts its other side on the other over
# ssh. Here an ssh that runs the remote command in the namespace holding the address, through
# a shell as ssh does, stands in for a real one (CMBENCH_SSH).
with tempfile.TemporaryDirectory() as bin_dir:
    fake_ssh = Path(bin_dir) / "fake-ssh"
    fake_ssh.write_text("#!/bin/sh\n"
                        "case $1 in 10.77.0.1) ns=cmbench-a ;; 10.77.0.2) ns=cmbench-b ;; "
                        "*) echo \"fake-ssh: no host $1\" >&2; exit 255 ;; esac\n"
                        "shift; exec ip netns exec $ns sh -c \"$*\"\n")
    fake_ssh.chmod(0o755)
    env = dict(os.environ, CMBENCH_SSH=str(fake_ssh))
    for here, name in [("cmbench-b", "http_fetch/coroutines/N:200/d:1ms/server:10.77.0.1/client:10.77.0.2"),
                       ("cmbench-a", "echo/epoll/C:4/T:200ms/server:10.77.0.1/client:10.77.0.2")]:
        e = run_cell(name, inside=here, env=env)
        check(e and not e.get("error_occurred"),
              f"{name}, run in {here} with its other side over ssh, verified: {e}")

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

# The suite makes the hosts for its cells across links, reports a link this kernel cannot make
# as not available here, and takes the hosts down when it ends: normally, and on Ctrl-C.
with tempfile.TemporaryDirectory() as out:
    suite = [CMBENCH, "suite", "-w", "http_fetch", "-m", "coroutines", "--no-micro",
             "--no-timelines", "--no-report", "--out", out]
    r = subprocess.run(suite, capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, f"the suite ran: {r.stderr[-800:]}")
    results = json.loads((Path(out) / "latest" / "results.json").read_text())
    check(results["cmbench"]["hosts"].get("how") == "made", f"it made the hosts: {results['cmbench']['hosts']}")
    by_client = {}
    for c in results["cmbench"]["cells"]:
        if c["params"]["N"] == "1000" and c["params"]["d"] == "1ms":
            by_client.setdefault(c["params"]["client"], []).append(c["status"])
    check(by_client.get("cmbench-b") == ["ok"] and by_client.get("cmbench-c") == ["ok"] and
          by_client.get("loopback") == ["ok"],
          f"its cells across the plain and the shaped link are ok: {by_client}")
    print("the suite's N=1000 cells by client host:", by_client)
    d_status = by_client.get("cmbench-d")
    check(d_status == (["ok"] if netem else ["unavailable"]),
          f"the delayed link's cell is {'ok' if netem else 'not available here'}: {d_status}")
    check(nothing_left(), "the suite took down the hosts it made")

    started = subprocess.Popen(suite, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not Path("/run/netns/cmbench-a").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    check(Path("/run/netns/cmbench-a").exists(), "a second suite made the hosts")
    started.send_signal(signal.SIGINT)
    code = started.wait(timeout=120)
    check(code == 130, f"interrupted, the suite exits 130 (got {code})")
    check(nothing_left(), "interrupted, the suite took down the hosts it made")

sys.exit(1 if failures else 0)
