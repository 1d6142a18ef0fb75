# SPDX-License-Identifier: GPL-2.0
"""Stage run, the machine: boot one target under QEMU (TCG) with a kernel and
an initramfs until /init powers it off, and keep the console log."""

import os
import subprocess
import sys
import threading
import time

import qemu_build
import targets
from common import LOGS, Failure, fmt_time, log


def command(target, image, initramfs, extra_cmdline=""):
    t = targets.TARGETS[target]
    cmdline = " ".join(x for x in (targets.CMDLINE, t.cmdline, extra_cmdline)
                       if x)
    return [qemu_build.binary(t.qemu), *t.qemu_args(), "-kernel", image,
            "-initrd", initramfs, "-append", cmdline]


def boot(target, image, initramfs, timeout, tag, echo=False):
    """Boot @target until it powers off or @timeout seconds pass.
    Returns (log path, seconds, timed_out)."""
    logfile = os.path.join(LOGS, f"console-{tag}-{target}.log")
    os.makedirs(LOGS, exist_ok=True)
    cmd = command(target, image, initramfs)
    log("run", f"{target}: {' '.join(cmd)}")

    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    except FileNotFoundError as e:
        raise Failure(f"{cmd[0]}: {e}") from e
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
                print(f"    {tag}-{target}: {text.strip()}", flush=True)
            elif time.monotonic() - last_progress > 60:
                print(f"    ... {tag}-{target}: "
                      f"{fmt_time(time.monotonic() - start)}", flush=True)
                last_progress = time.monotonic()
    proc.wait()
    timed_out = not timer.is_alive() and proc.returncode != 0
    timer.cancel()
    seconds = time.monotonic() - start
    if timed_out:
        log("run", f"{target}: QEMU killed after {timeout} s")
    return logfile, seconds, timed_out
