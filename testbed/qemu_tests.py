# SPDX-License-Identifier: GPL-2.0
"""Stage test, for QEMU: QEMU's own tests of what qemu/test-hardware adds,
built and run in the TCG build (qemu_build.py):

  qtest  tests/qtest/arm-error-injector-test: the device's registers,
         arming by MPIDR, the syndromes it refuses, DISARM, poison, the
         EINJ interface, reset, migration (no guest code runs under
         qtest);
  tcg    tests/tcg/aarch64/system/serror.c, a bare-metal program that raises
         errors with the device and checks what the CPU model does with
         them, run three ways (its Makefile.softmmu-target): at EL2 on
         -cpu max, at EL3 on -cpu max, and at EL2 on cortex-a72 (no
         FEAT_RAS).

Each TCG run lists, as data, the cases that must run there: the run fails if
one of them is skipped or missing, not only if one fails. The results are
one parse.RunResult, target "qemu", so that they count in `tb test`'s total.
"""

import os
import re

import parse
import qemu_build
from common import JOBS, Stage, log, run

QTEST = "tests/qtest/arm-error-injector-test"
# The qtest's cases: each must pass.
QTEST_CASES = ("registers", "targets", "syndromes", "no-writer", "poison",
               "einj", "einj-table", "reset", "migration")

# The three runs of the TCG test: (make target, its output file, what it
# is, the cases that must pass there).
_EL2 = ("serror_taken_now", "serror_to_el1", "serror_amo_to_el2",
        "invalid_syndromes", "no_tea_stays_at_el1", "in_guest",
        "in_guest_later", "abort_syndrome", "pe_reset_disarms")
TCG_RUNS = (
    ("run-serror", "serror.out", "serror, EL2, -cpu max", _EL2 + (
        "serror_masked_then_deferred", "serror_routed_lower_stays_pending",
        "esb_takes_unmasked_serror", "serrors_combine", "tea_routes_to_el2",
        "tea_at_walk", "at_entry", "at_guest_exit", "serror_later",
        "poison_consumed")),
    ("run-serror-el3", "run-serror-el3.out", "serror, EL3, -cpu max",
     ("scr_ea_routes_to_el3", "tea_without_scr_ea", "nmea", "iesb_set",
      "iesb_clear")),
    ("run-serror-noras", "run-serror-noras.out", "serror, EL2, cortex-a72",
     _EL2 + ("no_ras_syndromes", "no_ras_esb_is_nop", "no_ras_tea_res0")),
)

CASE = re.compile(r"^(?P<verdict>ok|not ok|skip) (?P<name>\w+)(?::\s*"
                  r"(?P<why>.*))?$")


def _qtest(b, res):
    with Stage("qemu-test", f"build {QTEST}"):
        run(["ninja", f"-j{JOBS}", QTEST], cwd=b.folder,
            env=qemu_build._env(b),
            logfile=os.path.join(b.folder, "qtest-build.log"))
    logfile = os.path.join(b.folder, "qtest.log")
    with Stage("qemu-test", "run the qtest") as st:
        proc = run([os.path.join(b.folder, QTEST), "--tap"], cwd=b.folder,
                   env={"QTEST_QEMU_BINARY": b.binary}, logfile=logfile,
                   check=False)
    with open(logfile, errors="replace") as f:
        text = f.read()
    passed = re.findall(r"^ok \d+ \S*/arm-error-injector/(\S+)", text, re.M)
    failed = re.findall(r"^not ok \d+ (\S+)", text, re.M)
    missing = [c for c in QTEST_CASES if c not in passed]
    if proc.returncode or failed or missing:
        reason = (f"exit {proc.returncode}, failed: {', '.join(failed)}, "
                  f"did not pass: {', '.join(missing)} (log: {logfile})")
        res.tests.append(parse.TestResult("qtest/arm-error-injector", "fail",
                                          reason, st.seconds))
    else:
        res.tests.append(parse.TestResult("qtest/arm-error-injector", "pass",
                                          f"{len(passed)} cases", st.seconds))


def _tcg_run(folder, target, out, what, must, res):
    logfile = os.path.join(folder, f"{target}.log")
    with Stage("qemu-test", f"tests/tcg: {what}") as st:
        proc = run(["make", target], cwd=folder, logfile=logfile,
                   check=False)
    path = os.path.join(folder, out)
    verdicts = {}
    if os.path.exists(path):
        with open(path, errors="replace") as f:
            for line in f:
                m = CASE.match(line.strip())
                if m:
                    verdicts[m.group("name")] = (m.group("verdict"),
                                                 m.group("why") or "")
    # Any case that failed, and any that must run here and did not pass.
    problems = []
    for case in dict.fromkeys(list(verdicts) + list(must)):
        verdict, why = verdicts.get(case, ("missing", "no result"))
        if verdict == "not ok" or (case in must and verdict != "ok"):
            problems.append(f"{case}: {verdict}{': ' + why if why else ''}")
    if proc.returncode and not problems:
        problems.append(f"exit {proc.returncode} (log: {logfile})")
    name = f"tcg/{target.removeprefix('run-')}"
    passed = sum(v == "ok" for v, _ in verdicts.values())
    res.tests.append(parse.TestResult(
        name, "fail" if problems else "pass",
        "; ".join(problems) if problems else f"{passed} cases", st.seconds))
    for case, (v, why) in verdicts.items():
        if v == "skip":
            res.skips.append(f"{name}: {case}: {why}")


def run_all():
    """Build and run QEMU's tests of the test hardware; one RunResult."""
    b = qemu_build.BUILDS["tcg"]
    res = parse.RunResult("qemu", "tcg")
    _qtest(b, res)
    folder = os.path.join(b.folder, "tests", "tcg", "aarch64-softmmu")
    for target, out, what, must in TCG_RUNS:
        _tcg_run(folder, target, out, what, must, res)
    for t in res.tests:
        log("qemu-test", f"{t.name}: {t.status.upper()} {t.reason}")
    return res
