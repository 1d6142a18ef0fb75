# SPDX-License-Identifier: GPL-2.0
"""Paths, logging and command helpers shared by every stage of the testbed."""

import os
import shlex
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTBED = os.path.join(REPO, "testbed")
PATCHES = os.path.join(REPO, "patches")
SERIES = os.path.join(REPO, "series")

# Build products live in a folder git ignores; downloads and ccache outside
# the repo so that a fresh clone reuses them.
BUILD = os.environ.get("TB_BUILD", os.path.join(REPO, "build"))
CACHE = os.environ.get("TB_CACHE", "/var/cache/kvm-serror-testbed")
TREE = os.path.join(BUILD, "linux")
LOGS = os.path.join(BUILD, "logs")

ARCH = "arm64"
CROSS = "aarch64-linux-gnu-"
JOBS = str(os.cpu_count() or 1)

# The kernel-path folders: the repo holds only files the series creates.
KERNEL_PATHS = ("arch", "include", "Documentation", "tools", "virt",
                "scripts", "drivers", "kernel", "mm", "lib")


class Failure(Exception):
    """A stage could not do its job; the message says why."""


def log(stage, msg):
    print(f"[{stage}] {msg}", flush=True)


def fmt_time(seconds):
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:04.1f} s"


class Stage:
    """Print what a stage does and how long it took: `with Stage("build", "..."):`"""

    def __init__(self, name, what):
        self.name, self.what = name, what

    def __enter__(self):
        log(self.name, self.what + " ...")
        self.start = time.monotonic()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.seconds = time.monotonic() - self.start
        verdict = "done" if exc_type is None else "FAILED"
        log(self.name, f"{self.what}: {verdict} in {fmt_time(self.seconds)}")
        return False


def run(cmd, cwd=None, env=None, logfile=None, progress=None, check=True):
    """Run a command. With logfile, its output goes there and, every 30 s,
    progress(lines) says how far it got. Returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    if logfile is None:
        return subprocess.run(cmd, cwd=cwd, env=full_env, check=check)

    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    with open(logfile, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=out,
                                stderr=subprocess.STDOUT)
        done = threading.Event()

        def report():
            start = time.monotonic()
            while not done.wait(30):
                with open(logfile, errors="replace") as f:
                    lines = f.readlines()
                what = progress(lines) if progress else f"{len(lines)} lines"
                print(f"    ... {what}, {fmt_time(time.monotonic() - start)}",
                      flush=True)

        t = threading.Thread(target=report, daemon=True)
        t.start()
        rc = proc.wait()
        done.set()
    if check and rc:
        with open(logfile, errors="replace") as f:
            tail = f.readlines()[-25:]
        sys.stdout.write("".join("    | " + l for l in tail))
        raise Failure(f"{shlex.join(cmd)} exited {rc} (log: {logfile})")
    return subprocess.CompletedProcess(cmd, rc)


def git(*args, cwd=TREE, capture=True, check=True, env=None, full=False):
    """git in the work tree, with a fixed identity and dates so that the
    same inputs always give the same commits."""
    full_env = dict(os.environ)
    full_env.update({
        "GIT_AUTHOR_NAME": "testbed", "GIT_AUTHOR_EMAIL": "testbed@localhost",
        "GIT_COMMITTER_NAME": "testbed",
        "GIT_COMMITTER_EMAIL": "testbed@localhost",
        "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    })
    full_env.update(env or {})
    res = subprocess.run(["git", *args], cwd=cwd, env=full_env, check=False,
                         text=True, capture_output=capture)
    if check and res.returncode:
        raise Failure(f"git {' '.join(args)}: {(res.stderr or '').strip()}")
    return res if full or not capture else res.stdout
