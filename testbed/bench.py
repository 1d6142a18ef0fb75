# SPDX-License-Identifier: GPL-2.0
"""Testbed turnaround figures (a benchmark, not a test: it prints, it does
not judge).

  warm: touch one file under arch/arm64/kvm/, rebuild, run the whole suite
        in every mode;
  cold: (--cold) the whole `tb test` in a fresh build folder with an empty
        cache (download, untar, cold ccache), as on a new machine.
"""

import os
import shutil
import subprocess
import time

import build
from common import BUILD, REPO, TREE, fmt_time, log
import targets

TOUCHED = "arch/arm64/kvm/guest.c"


def _warm():
    import tb
    os.utime(os.path.join(TREE, TOUCHED))
    start = time.monotonic()
    build.config("base")
    build.kernel("base")
    build.selftests()
    built = time.monotonic() - start
    results = tb.run_suite("all", list(targets.TARGETS))
    total = time.monotonic() - start
    return built, total, results


def _cold():
    folder = os.path.join(BUILD, "bench-cold")
    shutil.rmtree(folder, ignore_errors=True)
    env = dict(os.environ, TB_BUILD=os.path.join(folder, "build"),
               TB_CACHE=os.path.join(folder, "cache"))
    env.pop("KDIR", None)
    start = time.monotonic()
    with open(os.path.join(BUILD, "logs", "bench-cold.log"), "w") as out:
        rc = subprocess.run([os.path.join(REPO, "tb"), "test"], env=env,
                            stdout=out, stderr=subprocess.STDOUT).returncode
    seconds = time.monotonic() - start
    shutil.rmtree(folder, ignore_errors=True)
    return seconds, rc


def main(args):
    figures = []
    if args.cold:
        log("bench", "cold: tb test from an empty build folder and cache")
        seconds, rc = _cold()
        figures.append(("cold full run (download, untar, cold ccache, "
                        "build, 3 modes)", fmt_time(seconds) +
                        ("" if rc == 0 else f" (exit {rc})")))
    log("bench", f"warm: touch {TOUCHED}, rebuild, run 3 modes")
    built, total, results = _warm()
    figures.append((f"warm rebuild after touching {TOUCHED}", fmt_time(built)))
    figures.append(("warm run: rebuild + whole suite in 3 modes",
                    fmt_time(total)))
    for r in results:
        figures.append((f"{r.target}: boot to poweroff ({len(r.tests)} tests)",
                        fmt_time(r.seconds)))
    print()
    width = max(len(k) for k, _ in figures)
    for k, v in figures:
        print(f"  {k:<{width}}  {v}")
    return 0
