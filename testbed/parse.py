# SPDX-License-Identifier: GPL-2.0
"""Stage parse: a console log into a verdict. Apart from the runner, so that
a saved log can be read again (`tb parse`) and the parser tested on saved
logs (test_parse.py).

A run passes only when: the console shows what the target must show (KVM's
mode, RAS present or absent, the IPA limit) and nothing it must not, every
test that was to run reported a TAP result and none failed, /init finished,
and the kernel printed no WARNING, BUG, Oops, panic, lockdep, KASAN, UBSAN or
kmemleak report and is not tainted by one.
"""

import re
from dataclasses import dataclass, field

RESULT = re.compile(r"^(?P<not>not )?ok (?P<nr>\d+) (?P<name>\S+)"
                    r"(?: # (?P<directive>.*))?$")
DURATION = re.compile(r"^# (?P<name>\S+): (?P<s>[\d.]+) s$")
RUNNING = re.compile(r"^# running (?P<name>\S+) ")
# Kernel reports that fail a run wherever they appear in the log.
REPORTS = re.compile(
    r"WARNING: |BUG: |Oops|Kernel panic|Internal error:|Unable to handle "
    r"kernel|kernel BUG|possible (?:recursive|circular) locking|"
    r"inconsistent lock state|lockdep is turned off|suspicious RCU usage|"
    r"DEBUG_LOCKS_WARN_ON|KASAN:|UBSAN:|kmemleak: .*new suspected|"
    r"unreferenced object 0x|"
    r"hyp panic|HYP panic|Call trace:|rcu: INFO|soft lockup|hung_task")
# /init's own line, not a test's: read before test output is passed over.
TAINT = re.compile(r"^# kernel tainted: (?P<value>\S+)$")
# Taint bits a report leaves, see Documentation/admin-guide/tainted-kernels.rst:
# B (bad page, 5), D (die, 7), W (warning, 9), L (soft lockup, 14).
BAD_TAINT = (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14)
DONE = "# testbed: done"
# Lines of a test's output (passed through by /init with "# ") worth
# showing under the table: figures, and the sub-cases it skipped.
FIGURE = re.compile(r"^# # (?P<text>.*(?:per second|ratio|round trip).*)$")
# A sub-case that did not run: kselftest's "# SKIP", and the selftests'
# print_skip(), which ends its line with ", skipping test".
SUBSKIP = re.compile(r"^# (?:# )?(?P<text>(?!1\.\.0 )"
                     r"(?:Skipping|SKIP\b|.*# SKIP |.*, skipping test$).*)$")


@dataclass
class TestResult:
    name: str
    status: str                 # pass, fail, skip, missing, xfail, xpass
    reason: str = ""
    seconds: float = 0.0


@dataclass
class RunResult:
    target: str
    kernel: str = ""
    tests: list = field(default_factory=list)
    problems: list = field(default_factory=list)   # reasons the run failed
    reports: list = field(default_factory=list)    # kernel report lines
    figures: list = field(default_factory=list)    # measurements printed
    skips: list = field(default_factory=list)      # sub-cases tests skipped
    seconds: float = 0.0
    log: str = ""

    @property
    def ok(self):
        return (not self.problems and not self.reports and
                all(t.status in ("pass", "skip", "xfail") for t in self.tests))


def _test_result(m):
    directive = m.group("directive") or ""
    if m.group("not"):
        return "fail", directive
    if directive.upper().startswith("SKIP"):
        # The test's own "1..0 # SKIP why" or "ok N # SKIP why".
        return "skip", re.sub(r"^(?:1\.\.0|ok \d+)\s*#\s*SKIP\s*", "",
                              directive[4:].strip())
    return "pass", ""


def parse(target, text, expected, timed_out=False, xfail=None, skipped=None):
    """@target: a targets.Target; @text: the console log; @expected: the
    names of the tests of the suite; @xfail: {name: reason} known to fail
    there; @skipped: {name: reason} not run there."""
    xfail, skipped = xfail or {}, skipped or {}
    res = RunResult(target.name)
    lines = [line.rstrip("\r\n") for line in text.splitlines()]

    for pattern in target.expect:
        if not any(re.search(pattern, line) for line in lines):
            res.problems.append(f"/{pattern}/ not in the log")
    for pattern in target.reject:
        if any(re.search(pattern, line) for line in lines):
            res.problems.append(f"/{pattern}/ in the log, it must not be")

    found, seconds, current = {}, {}, None
    for line in lines:
        m = RESULT.match(line)
        if m and m.group("name") in expected:
            found[m.group("name")] = _test_result(m)
            continue
        m = TAINT.match(line)
        if m:
            if not m.group("value").isdigit():
                res.problems.append(f"kernel taint unreadable: "
                                    f"{m.group('value')}")
            elif int(m.group("value")) & BAD_TAINT:
                res.problems.append(f"kernel tainted {m.group('value')}")
            continue
        m = RUNNING.match(line)
        if m:
            current = m.group("name")
            continue
        m = DURATION.match(line)
        if m:
            seconds[m.group("name")] = float(m.group("s"))
            continue
        m = FIGURE.match(line)
        if m:
            res.figures.append(m.group("text"))
        m = SUBSKIP.match(line)
        if m and current:
            res.skips.append(f"{current}: {m.group('text').strip()}")
        if line.startswith("# "):
            continue            # a test's own output, passed through by /init
        if REPORTS.search(line):
            res.reports.append(line.strip())

    for name in expected:
        if name in skipped:
            res.tests.append(TestResult(name, "skip", skipped[name]))
            continue
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


def _by_test(skips):
    """Skipped sub-cases by test, the test's own "Skipping ..." line first."""
    grouped = {}
    for line in skips:
        test, _, text = line.partition(": ")
        grouped.setdefault(test, []).append(text)
    for lines in grouped.values():
        lines.sort(key=lambda text: not text.startswith("Skipping"))
    return grouped


def table(results):
    """The summary: one row a test, one column a target and kernel."""
    names = []
    for r in results:
        names += [t.name for t in r.tests if t.name not in names]
    width = max([len(n) for n in names] + [10])
    heads = [f"{r.target}/{r.kernel}" if r.kernel else r.target
             for r in results]
    head = f"{'test':<{width}}  " + "  ".join(f"{h:<15}" for h in heads)
    rows = [head, "-" * len(head)]
    for name in names:
        cells = []
        for r in results:
            t = next((t for t in r.tests if t.name == name), None)
            cells.append(f"{t.status.upper():<7}{t.seconds:6.1f} s" if t
                         else f"{'-':<15}")
        rows.append(f"{name:<{width}}  " + "  ".join(cells))
    notes = []
    for r, h in zip(results, heads):
        for t in r.tests:
            if t.status != "pass" and t.reason:
                notes.append(f"  {h}/{t.name}: {t.status}: {t.reason}")
        for test, lines in _by_test(r.skips).items():
            more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
            notes.append(f"  {h}/{test}: skipped sub-case: {lines[0]}{more}")
        for p in r.problems:
            notes.append(f"  {h}: {p}")
        for rep in r.reports[:20]:
            notes.append(f"  {h}: kernel report: {rep}")
    figures = [f"  {h}: {f}" for r, h in zip(results, heads) for f in r.figures]
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
