#!/usr/bin/python3
"""The house rules of docs/architecture.md, checked on the sources themselves.

Run: /usr/bin/python3 tests/architecture_test.py   (CTest runs it as architecture)

  - includes point down only: bench -> workloads and demos -> cells -> models -> core; a
    model includes no other model, a workload no other workload (what workloads share lives
    in workloads/serving/, workloads/peers/, workloads/python/ and workloads/mpi/);
  - the engine (models/core/) knows nothing of the harness: no cell, profile, verdict,
    metric or report;
  - a workload or a demo speaks to a model through the model's own words, never through its
    engine (`.engine()`, or the older names `.reactor()` and `.core()`).
"""

import re
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("models", "cells", "workloads", "demos", "bench", "tests", "fuzz")
# Where "x/y.hpp" may be found besides the file's own folder and the root: the include
# directories that the workloads' and the demos' libraries add.
SEARCH = (ROOT, ROOT / "workloads", ROOT / "demos")
SHARED_BY_WORKLOADS = ("serving", "peers", "python", "mpi")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in (".hpp", ".cpp", ".h") and "build" not in path.parts:
                yield path


def resolve(path, name):
    """The project file an #include "name" in `path` reads, or None (a system header)."""
    for base in (path.parent, *SEARCH):
        candidate = (base / name).resolve()
        if candidate.is_file() and ROOT in candidate.parents:
            return candidate.relative_to(ROOT)
    return None


def layer(rel):
    """(layer, unit): ("core", "core"), ("model", "fibers"), ("workload", "echo"), ..."""
    parts = rel.parts
    if parts[0] == "models":
        return ("core", "core") if parts[1] == "core" else ("model", parts[1])
    if parts[0] == "workloads":
        if len(parts) == 2:  # catalog.*: the list of workloads; the rest serves them all
            return ("catalog", "catalog") if rel.stem == "catalog" else ("shared", "workloads")
        if parts[1] in SHARED_BY_WORKLOADS:
            return ("shared", parts[1])
        return ("workload", parts[1])
    return (parts[0], parts[0])


def allowed(src, dst):
    """May a file of layer `src` include one of layer `dst`? Both are (layer, unit)."""
    (sl, su), (dl, du) = src, dst
    if sl in ("bench", "tests", "fuzz"):
        return True
    if sl == "core":
        return dl == "core"
    if sl == "model":
        return dl == "core" or (dl == "model" and du == su)
    if sl == "cells":
        return dl in ("cells", "core")
    if sl == "shared":
        return dl in ("cells", "core", "model", "shared")
    if sl == "workload":
        return dl in ("cells", "core", "model", "shared") or (dl == "workload" and du == su)
    if sl == "catalog":
        return dl in ("cells", "core", "model", "shared", "workload", "catalog")
    if sl == "demos":
        return dl in ("cells", "core", "model", "demos")
    return False


def words(path):
    """The file's text with string literals kept: a JSON key is as much a mention as a
    comment."""
    return path.read_text(encoding="utf-8", errors="replace")


class Architecture(unittest.TestCase):
    def test_includes_point_down(self):
        wrong = []
        count = 0
        for path in sources():
            rel = path.relative_to(ROOT)
            for name in INCLUDE.findall(path.read_text(encoding="utf-8", errors="replace")):
                target = resolve(path, name)
                if target is None:
                    continue
                count += 1
                if not allowed(layer(rel), layer(target)):
                    wrong.append(f"{rel} includes {target}")
        self.assertGreater(count, 300, "the include scan found too little to mean anything")
        self.assertEqual(wrong, [], "\n".join(wrong))

    def test_the_engine_knows_no_harness(self):
        vocabulary = re.compile(r"\b(cells?|profiles?|verdicts?|metrics?|reports?|reported)\b",
                                re.I)
        found = []
        for path in sorted((ROOT / "models" / "core").iterdir()):
            for number, line in enumerate(words(path).splitlines(), 1):
                if vocabulary.search(line):
                    found.append(f"models/core/{path.name}:{number}: {line.strip()}")
        self.assertEqual(found, [], "\n".join(found))

    def test_workloads_and_demos_use_the_models_words(self):
        engine = re.compile(r"\.(reactor|core|engine)\(\)")
        found = []
        for top in ("workloads", "demos"):
            for path in sorted((ROOT / top).rglob("*.[ch]pp")):
                for number, line in enumerate(words(path).splitlines(), 1):
                    if engine.search(line):
                        found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
        self.assertEqual(found, [], "\n".join(found))

    def test_the_rules_catch_what_they_forbid(self):
        # The checker itself, on made-up edges: each forbidden direction is refused.
        self.assertFalse(allowed(("core", "core"), ("cells", "cells")))
        self.assertFalse(allowed(("model", "fibers"), ("model", "coroutines")))
        self.assertFalse(allowed(("model", "fibers"), ("workload", "echo")))
        self.assertFalse(allowed(("workload", "echo"), ("workload", "http_server")))
        self.assertFalse(allowed(("cells", "cells"), ("model", "threads")))
        self.assertFalse(allowed(("demos", "demos"), ("workload", "echo")))
        self.assertFalse(allowed(("workload", "echo"), ("bench", "bench")))
        self.assertTrue(allowed(("workload", "echo"), ("shared", "serving")))
        self.assertEqual(layer(Path("workloads/echo/references/epoll.cpp")), ("workload", "echo"))
        self.assertEqual(layer(Path("workloads/serving/control.hpp")), ("shared", "serving"))
        self.assertEqual(layer(Path("workloads/catalog.cpp")), ("catalog", "catalog"))


if __name__ == "__main__":
    sys.exit(unittest.main(verbosity=2))
