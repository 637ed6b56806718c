"""Headless Chromium driven from Python's standard library: open a page as a reader would,
read back what it shows, list what went wrong on it, take a screenshot.

Used by tests/lesson_page_test.py, tests/report_page_test.py and scripts/screenshot.py.

Chromium (Debian's `chromium`, installed by scripts/setup) runs with
--remote-debugging-pipe: the DevTools protocol travels over two pipes, commands on the
browser's fd 3 and replies and events on its fd 4, each a JSON message ended by a NUL byte.
No port is opened and no Python package is needed beyond the standard library.

What it guarantees: every event of every tab is kept, so a console error or an uncaught
exception is never missed between two commands; a browser that dies raises RuntimeError
with the end of its own log, one that stops answering TimeoutError naming what it waited
for: never a hang. What it does not: it runs one command at a time, and it does not wait
for anything after the page's `load` event (a page that keeps drawing later must say when
it is done, as the lesson page does with a data attribute on <body>). Cost: ≈ 1–2 s to
start the browser, tens of milliseconds per command, ≈ 0.3 s for a 1280×800 screenshot;
opening a quick run's report (16 MB, its charts embedded) takes 10–25 s.
"""

import base64
import json
import os
import select
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FIRST_SCREEN = (1280, 800)  # what a reader sees on opening a page on a laptop, in CSS px
# The tallest whole page screenshot() takes: 24 000 px at 1280 took ≈ 20 s on a loaded
# 2-vCPU VM; a quick run's report is ≈ 100 000 px tall, ≈ 600 MB as pixels.
FULL_PAGE_MAX_PX = 24_000

# Every image of the page once decoded: a data URI or a file that did not load has
# naturalWidth 0. decode() settles images the `load` event did not wait for (lazy ones).
# A data URI's src comes back whole only when asked (FULL_SRC): a report embeds megabytes.
IMAGES = """
(async () => Promise.all([...document.images].map(async (img, index) => {
  try { await img.decode(); } catch (e) { /* broken: naturalWidth stays 0 */ }
  const src = img.getAttribute('src') || '';
  return {index, alt: img.alt, width: img.naturalWidth, height: img.naturalHeight,
          src: FULL_SRC || !src.startsWith('data:') ? src
               : `${src.split(',', 1)[0]},… (${src.length} characters)`};
})))()
"""


class ChromiumMissing(RuntimeError):
    pass


def require_chromium(what):
    """Raises ChromiumMissing naming the fix when Chromium is not installed."""
    if not Path(CHROMIUM).is_file():
        raise ChromiumMissing(f"{CHROMIUM} is missing: {what} is checked in headless Chromium; "
                              "install it with scripts/setup (Debian's chromium)")


def short(src, keep=80):
    """An image's src for a message: a data URI is cut to its kind and length."""
    if src.startswith("data:") and "…" not in src:
        return f"{src.split(',', 1)[0]},… ({len(src)} characters)"
    return src if len(src) <= keep else src[:keep] + "…"


class Browser:
    """One headless Chromium; each open() is a tab of its own (a DevTools session).

    Use as a context manager, or call close(): the browser and its temporary profile go
    away with it."""

    def __init__(self, width=1400, height=1000, what="the page"):
        require_chromium(what)
        self.size = (width, height)
        self.profile = tempfile.TemporaryDirectory(prefix="cmbench_chromium.")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def child_fds():  # fds 3 and 4 in the browser; the originals close at exec
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [CHROMIUM, "--headless", "--remote-debugging-pipe", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                f"--window-size={width},{height}", f"--user-data-dir={self.profile.name}",
                "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with one
        self.log = open(Path(self.profile.name) / "chromium.log", "w+b")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, close_fds=False, preexec_fn=child_fds)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []  # every event received, each tab's carrying its sessionId

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:  # already gone: what matters is that the process is reaped
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_child)
        os.close(self.from_child)
        self.log.close()
        self.profile.cleanup()

    def _message(self, deadline, waiting_for):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"Chromium gave no {waiting_for} in time")
            ready, _, _ = select.select([self.from_child], [], [], left)
            if ready:
                chunk = os.read(self.from_child, 1 << 16)
                if not chunk:
                    self.log.seek(0)
                    said = self.log.read().decode(errors="replace")[-3000:]
                    raise RuntimeError(f"Chromium closed its pipe (exit {self.proc.poll()}):\n"
                                       f"{said}")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, params=None, session=None, timeout=30):
        """One DevTools command; returns its result, keeps the events that came before it."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._message(deadline, f"answer to {method}")
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session=None, timeout=30):
        """The first event `method` (of this tab, when given) received so far or next."""
        def wanted(e):
            return e.get("method") == method and (session is None
                                                   or e.get("sessionId") == session)
        deadline = time.monotonic() + timeout
        for e in self.events:
            if wanted(e):
                return e
        while True:
            e = self._message(deadline, method)
            self.events.append(e)
            if wanted(e):
                return e

    def open(self, url, viewport=None, timeout=120):
        """A new tab at `url`, loaded; returns its session. `viewport` (width, height) in
        CSS pixels lays the page out at that size, as screenshot() captures it."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable", session=session)
        if viewport:
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": viewport[0], "height": viewport[1], "deviceScaleFactor": 1,
                       "mobile": False}, session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session, timeout=timeout)
        return session

    def evaluate(self, session, expression, timeout=30):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, session=session,
                      timeout=timeout)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def console_errors(self, session=None):
        """Every error the page's console showed (of this tab, when given): console.error
        or console.assert, an uncaught exception, a resource that failed to load."""
        errors = []
        for e in self.events:
            if session is not None and e.get("sessionId") != session:
                continue
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description")))
                                       for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                errors.append(d.get("exception", {}).get("description") or d.get("text"))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                errors.append(f"{p['entry'].get('text')} {p['entry'].get('url', '')}")
        return errors

    def images(self, session, full_src=False):
        """Every <img> of the page in document order: index, src (a data URI cut short
        unless `full_src`), alt and its natural width and height (0 for an image that did
        not load)."""
        flag = "true" if full_src else "false"
        return self.evaluate(session, IMAGES.replace("FULL_SRC", flag), timeout=120)

    def problems(self, session, images=None):
        """What a reader would see go wrong: console errors, then images that did not load
        (of `images`, when already read from the page)."""
        images = self.images(session) if images is None else images
        found = [f"console: {e}" for e in self.console_errors(session)]
        found += [f"image {i['index'] + 1} ({i['alt'] or 'no alt'}; {short(i['src'])}) did not "
                  f"load" for i in images if not i["width"]]
        return found

    def screenshot(self, session, full_page=False):
        """The tab as PNG bytes: its viewport (the first screen), or the whole page (as wide
        and as tall as its content), up to FULL_PAGE_MAX_PX tall (a taller page raises)."""
        params = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
            width, height = round(size["width"]), round(size["height"])
            if height > FULL_PAGE_MAX_PX:
                raise RuntimeError(f"the page is {height} px tall: a full-page screenshot "
                                   f"stops at {FULL_PAGE_MAX_PX} px; take its first screen")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        shot = self.send("Page.captureScreenshot", params, session=session, timeout=180)
        return base64.b64decode(shot["data"])


def png_size(data):
    """(width, height) from a PNG's header, or None when `data` is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
