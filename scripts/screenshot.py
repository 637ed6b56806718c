#!/usr/bin/python3
"""The first screen of a run's HTML report, as a reader who opens it sees it: a PNG for the
README.

Usage: /usr/bin/python3 scripts/screenshot.py RUN_DIR [--out PNG] [--full-page] [--width PX]

Opens RUN_DIR/report.html (written by scripts/report.py) in headless Chromium at 1280×800
CSS pixels, through the driver the page tests use (tests/browser.py), and checks it as
tests/report_page_test.py does: a console error or an image that did not load and no
screenshot is written. The PNG (RUN_DIR/report-first-screen.png unless --out) is made small
for a repository: 256 colours, scaled down to --width pixels when given (Pillow, which
Debian's matplotlib brings; without it the browser's PNG is kept as it is).

Exit status: 0 written, 1 bad input (no such run, no report.html, Chromium missing, a broken
page); the reason on stderr, never a traceback.
"""

import argparse
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser import FIRST_SCREEN, Browser, ChromiumMissing  # noqa: E402


def smaller(png, width=None):
    """The PNG with a 256-colour palette and, given `width`, scaled down to it: a page of
    text and charts loses nothing a reader sees. Unchanged without Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return png
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if width and width < image.width:
        image = image.resize((width, round(image.height * width / image.width)),
                             Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                   dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def screenshot(run_dir, full_page=False):
    """(PNG bytes, None), or (None, why) when the page is missing or shows a problem."""
    page = run_dir / "report.html"
    if not run_dir.is_dir():
        return None, f"{run_dir}: no such directory"
    if not page.is_file():
        return None, f"{run_dir}: no report.html; write it first: scripts/report.py {run_dir}"
    try:
        with Browser(what="the report's screenshot") as browser:
            session = browser.open(page.resolve().as_uri(), viewport=FIRST_SCREEN)
            problems = browser.problems(session)
            if problems:
                return None, f"{page} has problems, no screenshot taken:\n  " + \
                    "\n  ".join(problems)
            return browser.screenshot(session, full_page=full_page), None
    except (ChromiumMissing, RuntimeError, TimeoutError, OSError) as e:
        return None, str(e)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Screenshot a run's HTML report.")
    parser.add_argument("run_dir", type=Path, help="directory holding report.html")
    parser.add_argument("--out", type=Path,
                        help="the PNG to write (default RUN_DIR/report-first-screen.png)")
    parser.add_argument("--full-page", action="store_true",
                        help="the whole page at 1280 px wide, not its first screen")
    parser.add_argument("--width", type=int, help="scale the PNG down to this many pixels")
    args = parser.parse_args(argv)
    png, why = screenshot(args.run_dir, args.full_page)
    if png is None:
        print(f"screenshot.py: {why}", file=sys.stderr)
        return 1
    out = args.out or args.run_dir / "report-first-screen.png"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(smaller(png, args.width))
    except OSError as e:
        print(f"screenshot.py: cannot write {out}: {e}", file=sys.stderr)
        return 1
    print(f"{out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
