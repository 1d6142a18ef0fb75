# SPDX-License-Identifier: GPL-2.0
"""Stage 7, parse: read a console log into a verdict.

A run passes only when: KVM initialised in the target's mode, the RAS
extension was detected, every test listed has a TAP result and none
failed, /init finished, and the kernel printed no WARNING, BUG, Oops,
panic, lockdep, KASAN, UBSAN or kmemleak report and is not tainted by one.
"""

import re
from dataclasses import dataclass, field

import targets

RESULT = re.compile(r"^(?P<not>not )?ok (?P<nr>\d+) (?P<name>\S+)"
                    r"(?: # (?P<directive>.*))?$")
DURATION = re.compile(r"^# (?P<name>\S+): (?P<s>[\d.]+) s$")
# Kernel reports that fail a run wherever they appear in the log.
REPORTS = re.compile(
    r"WARNING: |BUG: |Oops|Kernel panic|Internal error:|Unable to handle "
    r"kernel|kernel BUG|possible (?:recursive|circular) locking|"
    r"inconsistent lock state|lockdep is turned off|suspicious RCU usage|"
    r"DEBUG_LOCKS_WARN_ON|KASAN:|UBSAN:|kmemleak: .*new suspected|"
    r"unreferenced object 0x|"
    r"hyp panic|HYP panic|Call trace:|rcu: INFO|soft lockup|hung_task")
TAINT = re.compile(r"^# kernel tainted: (?P<value>\S+)$")
# Taint bits a report leaves: PROPRIETARY..., see Documentation/admin-guide/
# tainted-kernels.rst. D (die, 7), W (warning, 9), B (bad page, 5),
# L (soft lockup, 14).
BAD_TAINT = (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14)
DONE = "# testbed: done"
# Figures the tests print (kselftest messages, "# " twice on the console):
# shown under the table.
FIGURE = re.compile(r"^# # (?P<text>.*(?:per second|ratio|round trip).*)$")


@dataclass
class TestResult:
    name: str
    status: str                 # pass, fail, skip, missing, xfail, xpass
    reason: str = ""
    seconds: float = 0.0


@dataclass
class RunResult:
    target: str
    tests: list = field(default_factory=list)
    problems: list = field(default_factory=list)   # reasons the run failed
    reports: list = field(default_factory=list)    # kernel report lines
    figures: list = field(default_factory=list)    # measurements printed

    @property
    def ok(self):
        return (not self.problems and not self.reports and
                all(t.status in ("pass", "skip", "xfail") for t in self.tests))


def strip_console(line):
    return line.rstrip("\r\n")


def parse(target, text, expected, timed_out=False, xfail=None):
    """target: targets name; text: console log; expected: test names;
    xfail: {test name: reason} for tests known to fail on this target."""
    xfail = xfail or {}
    t = targets.TARGETS[target]
    res = RunResult(target)
    lines = [strip_console(l) for l in text.splitlines()]

    if not any(re.search(t.expect, l) for l in lines):
        res.problems.append(f"KVM did not report {target} mode "
                            f"(/{t.expect}/ not in the log)")
    for pattern in targets.COMMON_EXPECT:
        if not any(re.search(pattern, l) for l in lines):
            res.problems.append(f"/{pattern}/ not in the log")

    found, seconds = {}, {}
    for line in lines:
        m = RESULT.match(line)
        if m and m.group("name") in expected:
            directive = m.group("directive") or ""
            if m.group("not"):
                status, reason = "fail", directive
            elif directive.upper().startswith("SKIP"):
                # The test's own "1..0 # SKIP why" or "ok N # SKIP why".
                status = "skip"
                reason = re.sub(r"^(?:1\.\.0|ok \d+)\s*#\s*SKIP\s*", "",
                                directive[4:].strip())
            else:
                status, reason = "pass", ""
            found[m.group("name")] = (status, reason)
            continue
        d = DURATION.match(line)
        if d:
            seconds[d.group("name")] = float(d.group("s"))
            continue
        f = FIGURE.match(line)
        if f:
            res.figures.append(f.group("text"))
        if line.startswith("# "):
            continue            # a test's own output, passed through by /init
        if REPORTS.search(line):
            res.reports.append(line.strip())
        m = TAINT.match(line)
        if m and m.group("value").isdigit() and \
                int(m.group("value")) & BAD_TAINT:
            res.problems.append(f"kernel tainted {m.group('value')}")

    for name in expected:
        status, reason = found.get(name, ("missing", "no TAP result"))
        if name in xfail and status == "fail":
            status, reason = "xfail", f"{xfail[name]} ({reason})"
        elif name in xfail and status == "pass":
            status, reason = "xpass", ("passes although listed as a known "
                                       "failure: update testbed/suites.py")
        res.tests.append(TestResult(name, status, reason,
                                    seconds.get(name, 0.0)))
    if timed_out:
        res.problems.append("QEMU timed out")
    if DONE not in lines:
        res.problems.append("/init did not finish (no poweroff)")
    return res


def table(results, expected):
    """The summary: one row a test, one column a target."""
    width = max([len(n) for n in expected] + [10])
    head = f"{'test':<{width}}  " + "  ".join(f"{r.target:<15}"
                                               for r in results)
    rows = [head, "-" * len(head)]
    for i, name in enumerate(expected):
        cells = []
        for r in results:
            t = r.tests[i]
            cells.append(f"{t.status.upper():<7}{t.seconds:6.1f} s")
        rows.append(f"{name:<{width}}  " + "  ".join(cells))
    notes = []
    for r in results:
        for t in r.tests:
            if t.status != "pass" and t.reason:
                notes.append(f"  {r.target}/{t.name}: {t.status}: {t.reason}")
        for p in r.problems:
            notes.append(f"  {r.target}: {p}")
        for rep in r.reports[:20]:
            notes.append(f"  {r.target}: kernel report: {rep}")
    figures = [f"  {r.target}: {f}" for r in results for f in r.figures]
    return "\n".join(rows + ([""] + notes if notes else []) +
                     ([""] + figures if figures else []))


def totals(results):
    passed = sum(t.status == "pass" for r in results for t in r.tests)
    skipped = sum(t.status in ("skip", "xfail") for r in results
                  for t in r.tests)
    failed = sum(t.status in ("fail", "missing", "xpass") for r in results
                 for t in r.tests)
    # A run-level problem (mode not reached, kernel report) is a failure too.
    failed += sum(1 for r in results if r.problems or r.reports)
    return passed, failed, skipped
