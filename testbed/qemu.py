# SPDX-License-Identifier: GPL-2.0
"""Stage 6, run: boot one target under QEMU TCG, keep its console log."""

import os
import subprocess
import sys
import threading
import time

from common import BUILD, Failure, log, fmt_time
import targets


def boot(target, image, initramfs, timeout, echo=False, extra_cmdline="",
         tag="all"):
    """Boot `target` until /init powers off or `timeout` seconds pass.
    Returns (log path, seconds, timed_out)."""
    t = targets.TARGETS[target]
    logfile = os.path.join(BUILD, "logs", f"console-{tag}-{target}.log")
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    cmdline = " ".join(x for x in (targets.CMDLINE, t.cmdline, extra_cmdline)
                       if x)
    cmd = [targets.QEMU, *targets.MACHINE, "-kernel", image,
           "-initrd", initramfs, "-append", cmdline]
    log("run", f"{target}: {' '.join(cmd)}")

    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    except FileNotFoundError as e:
        raise Failure(f"{targets.QEMU}: {e}") from e
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    last_progress = start
    with open(logfile, "wb") as out:
        for line in proc.stdout:
            out.write(line)
            text = line.decode(errors="replace")
            if echo:
                sys.stdout.write("    " + text)
                sys.stdout.flush()
            elif text.startswith(("ok ", "not ok ")):
                print(f"    {target}: {text.strip()}", flush=True)
            elif time.monotonic() - last_progress > 60:
                print(f"    ... {target}: "
                      f"{fmt_time(time.monotonic() - start)}", flush=True)
                last_progress = time.monotonic()
    proc.wait()
    timed_out = not timer.is_alive() and proc.returncode != 0
    timer.cancel()
    seconds = time.monotonic() - start
    if timed_out:
        log("run", f"{target}: QEMU killed after {timeout} s")
    return logfile, seconds, timed_out
