# SPDX-License-Identifier: GPL-2.0
"""Benchmarks (they print figures, they do not judge; targets are stated).

  hot path:   the world-switch code, base vs. series, same config:
              instructions per symbol and whether the code is identical.
              Target: 0 instructions more.
  round trip: arm64/serror_round_trip in every mode: guest SError ->
              KVM_EXIT_ARM_SERROR -> userspace pends a vSError -> guest
              handler, against an MMIO round trip. Target: ratio <= 1.2.
  testbed:    the inner loop (touch one file under arch/arm64/kvm/,
              rebuild the test kernel, the SError suite on VHE; target:
              60 s or less), warm (the same, then the whole suite on the
              test kernel's VHE, nVHE and protected hosts) and, with
              --cold, `tb test` from an empty build folder and cache.
"""

import os
import re
import shutil
import subprocess
import time

import kernel
import review
import runner
import tree
from common import BUILD, CROSS, REPO, TREE, Failure, fmt_time, git, log

TOUCHED = "arch/arm64/kvm/guest.c"

# The world switch: entered on every KVM_RUN round, VHE and nVHE/pKVM.
HOT_SYMBOLS = [
    ("VHE", "__kvm_vcpu_run"),
    ("VHE", "__guest_enter"),
    ("VHE", "__guest_exit"),
    ("nVHE", "__kvm_nvhe___kvm_vcpu_run"),
    ("nVHE", "__kvm_nvhe___guest_enter"),
    ("nVHE", "__kvm_nvhe___guest_exit"),
    # pKVM's host-side entry to the above, which syncs the vCPU state.
    ("pKVM", "__kvm_nvhe_handle___kvm_vcpu_run"),
    # The host's handling of every exit, before and after preemption is
    # enabled: the series adds a flag test to handle_exit()'s common path.
    ("host", "handle_exit_early"),
    ("host", "handle_exit"),
]


def _disassemble(vmlinux, symbol):
    """The instructions of a symbol, addresses replaced by the symbol they
    point into, so that the same code at another address compares equal."""
    out = subprocess.run([f"{CROSS}objdump", "-d", "--no-show-raw-insn",
                          f"--disassemble={symbol}", vmlinux],
                         capture_output=True, text=True, check=True).stdout
    insns = []
    for line in out.splitlines():
        m = re.match(r"^\s*[0-9a-f]+:\s+(.*)$", line)
        if m:
            insn = re.sub(r"\b[0-9a-f]{16}\b|\b0x[0-9a-f]+\b(?= <)", "ADDR",
                          m.group(1))
            insn = re.sub(r"<([\w.$]+)\+0x[0-9a-f]+>", r"<\1+OFF>", insn)
            insns.append(insn.strip())
    if not insns:
        raise Failure(f"{symbol}: not found in {vmlinux}")
    return insns


def _hot_path():
    review._worktree()
    code = {}
    # The base with the prerequisite (tree.SERIES_LIST): what the two
    # series themselves add.
    for tag, rev in (("base", tree.SERIES_LIST[0].name),
                     ("series", git("rev-parse", "HEAD").strip())):
        review._checkout(rev)
        res = review._make("vmlinux", logname=f"hotpath-{tag}.log")
        if res.returncode:
            raise Failure(f"vmlinux at {tag} did not build")
        vmlinux = os.path.join(review.KBUILD, "vmlinux")
        code[tag] = {sym: _disassemble(vmlinux, sym) for _, sym in HOT_SYMBOLS}
    rows = []
    for mode, sym in HOT_SYMBOLS:
        a, b = code["base"][sym], code["series"][sym]
        if a == b:
            same = "identical"
        elif _no_imm(a) == _no_imm(b):
            same = ("same instructions, other immediates (struct offsets, "
                    "addresses)")
        else:
            same = "code differs"
        rows.append((f"hot path, {mode}: {sym}",
                     f"{len(a)} -> {len(b)} instructions, delta "
                     f"{len(b) - len(a):+d}, {same}"))
    return rows


def _no_imm(insns):
    """Without immediates, and without the symbol objdump names an adrp
    page after: what is left is the instruction stream's shape."""
    return [re.sub(r"<[^>]*>", "<SYM>",
                   re.sub(r"#-?(0x[0-9a-f]+|\d+)", "#IMM", i))
            for i in insns]


def _round_trip():
    results = runner.run("bench", ["vhe", "nvhe", "protected"])
    rows = []
    for r in results:
        with open(r.log, errors="replace") as f:
            text = f.read()
        for key in ("MMIO round trip", "SError round trip",
                    "SError/MMIO round trip ratio",
                    "SError cycle, from the MMIO exit before the guest "
                    "raises it", "Exits per round"):
            m = re.search(rf"^# # {re.escape(key)}: (.*)$", text, re.M)
            rows.append((f"{r.target}: {key}", m.group(1) if m else
                         "not measured (see the log)"))
    return rows


def _inner():
    """What a developer waits for after an edit: one kernel file touched,
    the test kernel rebuilt, the SError suite on the VHE host."""
    os.utime(os.path.join(TREE, TOUCHED))
    start = time.monotonic()
    kernel.build("test")
    built = time.monotonic() - start
    results = runner.run("serror", ["vhe"])
    total = time.monotonic() - start
    verdict = "" if all(r.ok for r in results) else " (the suite FAILED)"
    return [(f"inner loop: touch {TOUCHED}, rebuild the test kernel",
             fmt_time(built)),
            ("inner loop: + the SError suite on VHE (target: 60 s or less)",
             fmt_time(total) + verdict)]


def _warm():
    os.utime(os.path.join(TREE, TOUCHED))
    start = time.monotonic()
    kernel.build("test")
    kernel.selftests()
    built = time.monotonic() - start
    results = runner.run("all", ["vhe", "nvhe", "protected"])
    total = time.monotonic() - start
    rows = [(f"warm rebuild after touching {TOUCHED}", fmt_time(built)),
            ("warm run: rebuild + whole suite on VHE, nVHE, protected",
             fmt_time(total))]
    for r in results:
        rows.append((f"{r.target}: boot to poweroff ({len(r.tests)} tests)",
                     fmt_time(r.seconds)))
    return rows


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
    return [("cold full run: `tb test` from nothing (downloads, cold "
             "ccache, QEMU, three kernels, review, every run)",
             fmt_time(seconds) + ("" if rc == 0 else f" (exit {rc})"))]


def main(args):
    parts = args.parts or ["hotpath", "roundtrip", "inner", "warm"]
    if args.cold and "cold" not in parts:
        parts.append("cold")
    figures = []
    for part, fn in (("hotpath", _hot_path), ("roundtrip", _round_trip),
                     ("inner", _inner), ("warm", _warm), ("cold", _cold)):
        if part in parts:
            log("bench", part)
            figures += fn()
    print()
    width = max(len(k) for k, _ in figures)
    for k, v in figures:
        print(f"  {k:<{width}}  {v}")
    return 0
