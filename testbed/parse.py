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
# The kernel's reports of memory errors: GHES's record, memory_failure().
# A failure but while a test that makes them on purpose runs
# (suites.Test.memory_errors).
MEMORY_ERRORS = re.compile(r"\[Hardware Error\]|Memory failure: ")
# A kernel line glued to a test's output line (the kernel and /init share
# the console, and a printk can land before the test's newline): the
# kernel's timestamp inside a "# " line. The vmm driver's relayed guest
# console ("# guest: [ ... ]") is the guest's kernel, not this one.
GLUED = re.compile(r"(?<!guest: )\[\s*\d+\.\d{6}\] (?P<rest>.*)$")
# /init's own lines, not a test's: read before test output is passed over.
TAINT = re.compile(r"^# kernel tainted: (?P<value>\S+)$")
# What kmemleak found once the tests were done (init.c, kmemleak_report()):
# anything but "scan done" is a report.
KMEMLEAK = re.compile(r"^# kmemleak: (?!scan done$)(?P<text>.*)$")
KMEMLEAK_ON = "kmemleak: Kernel memory leak detector initialized"
KMEMLEAK_DONE = "# kmemleak: scan done"
# Taint flags by bit, Documentation/admin-guide/tainted-kernels.rst. Any
# taint fails a run but for the ones a target declares (Target.taint_ok).
TAINT_FLAGS = "PFSRMBUDAWCIOELKXTN"
# The taint a kernel Oops leaves (D, TAINT_DIE): excused only where a test
# was expected to make one and did.
TAINT_DIE = 1 << TAINT_FLAGS.index("D")
DONE = "# testbed: done"
# A known failure is a test that exits with its assertion failure (the
# selftests' banner, then the message), never one that timed out or was
# killed (init.c's result lines).
BANNER = "==== Test Assertion Failure ===="
EXITED = re.compile(r"^exit code \d+$")
# Lines of a test's output (passed through by /init with "# ") worth
# showing under the table: figures, and the sub-cases it skipped.
FIGURE = re.compile(r"^# # (?P<text>.*(?:per second|ratio|round trip).*)$")
# A sub-case that did not run: kselftest's "# SKIP", the selftests'
# print_skip(), which ends its line with ", skipping test", and a test's
# own child that skipped whole ("1..0 # SKIP", get-reg-list's
# configurations). The whole test's own skip is judged apart, by its
# result line.
SUBSKIP = re.compile(r"^# (?:# )?(?P<text>(?:Skipping|SKIP\b|.*# SKIP |"
                     r".*, skipping tests?$).*)$")


# The message a test skipped with, whole: kselftest's "1..0 # SKIP why" (or
# "ok N # SKIP why" as it ends), the selftests' print_skip() ("why, skipping
# test"). /init's result line carries the last line that said "skip",
# which can be another.
WHOLE_SKIP = re.compile(r"^(?:1\.\.0|ok \d+) # SKIP (?P<why>.*)$|"
                        r"^(?P<printed>.*, skipping tests?)$")


def _skip_reason(output, reason):
    """Why a test skipped as a whole: the last of its own lines (@output)
    that is a skip's exit message, else /init's @reason."""
    for line in reversed(output):
        m = WHOLE_SKIP.match(line)
        if m:
            return m.group("why") or m.group("printed")
    return reason


@dataclass
class TestResult:
    name: str
    status: str                 # pass, fail, skip, missing, xfail, xpass
    reason: str = ""
    seconds: float = 0.0
    kind: str = ""              # upstream, series, project, qemu


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


def taint_flags(value):
    """The taint flags of a /proc/sys/kernel/tainted value, as letters."""
    return "".join(TAINT_FLAGS[bit] if bit < len(TAINT_FLAGS) else f"[{bit}]"
                   for bit in range(value.bit_length()) if value >> bit & 1)


def _allowed(line, patterns):
    return any(re.search(p, line) for p in patterns)


def parse(target, text, expected, timed_out=False, xfail=None, skipped=None,
          may_skip=None, may_skip_whole=None, kinds=None, memory_errors=(),
          oops=None):
    """@target: a targets.Target; @text: the console log; @expected: the
    names of the tests of the suite; @xfail: {name: reason} known to fail
    there, or {name: (reason, regex)}, known to fail with output that
    matches regex; @skipped: {name: reason} not run there; @may_skip and
    @may_skip_whole: {name: [regex]}, the skips of its sub-cases and of
    the whole test accepted there: any other skip fails it; @kinds: {name:
    kind}; @memory_errors: the tests while which the kernel may report
    memory errors; @oops: {name: (reason, [regex, ...])}, the tests known
    to crash the kernel: each must fail with every regex matching a console
    line printed while it ran, and the kernel's reports while it ran (and
    the taint they leave, D) are then its expected failure."""
    xfail, skipped, oops = xfail or {}, skipped or {}, oops or {}
    may_skip, kinds = may_skip or {}, kinds or {}
    may_skip_whole = may_skip_whole or {}
    res = RunResult(target.name)
    lines = [line.rstrip("\r\n") for line in text.splitlines()]

    for pattern in target.expect:
        if not any(re.search(pattern, line) for line in lines):
            res.problems.append(f"/{pattern}/ not in the log")
    for pattern in target.reject:
        if any(re.search(pattern, line) for line in lines):
            res.problems.append(f"/{pattern}/ in the log, it must not be")

    found, seconds, current, tainted = {}, {}, None, False
    output = {}                 # a test's own lines, by test
    console = {}                # the kernel's lines while a test known
                                # to crash it ran, by test
    taint = 0
    # /init's closing lines count only after the last test's result: a
    # test's output, passed through with "# ", could print the same.
    last = max([i for i, line in enumerate(lines) if RESULT.match(line)],
               default=-1)
    done = DONE in lines[last + 1:]
    scanned = KMEMLEAK_DONE in lines[last + 1:]
    for i, line in enumerate(lines):
        closing = i > last
        m = RESULT.match(line)
        if m and m.group("name") in expected:
            found[m.group("name")] = _test_result(m)
            current = None
            continue
        m = TAINT.match(line)
        if m and closing:
            tainted = True
            if not m.group("value").isdigit():
                res.problems.append(f"kernel taint unreadable: "
                                    f"{m.group('value')}")
            else:
                taint = int(m.group("value"))
            continue
        m = KMEMLEAK.match(line)
        if m and closing:
            res.reports.append(f"kmemleak: {m.group('text')}")
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
        if current and line.startswith("# "):
            output.setdefault(current, []).append(line[2:])
        m = SUBSKIP.match(line)
        if m and current:
            res.skips.append(f"{current}: {m.group('text').strip()}")
        if line.startswith("# "):
            # A test's own output, passed through by /init, unless a kernel
            # line is glued to it.
            m = GLUED.search(line[2:])
            if not m:
                continue
            line = m.group(0)
        if current in oops:
            console.setdefault(current, []).append(line.strip())
            if REPORTS.search(line):
                continue        # judged with the test: its crash, or not
        if REPORTS.search(line):
            res.reports.append(line.strip())
        elif MEMORY_ERRORS.search(line) and current not in memory_errors:
            res.reports.append(line.strip())

    for name in expected:
        if name in skipped:
            res.tests.append(TestResult(name, "skip", skipped[name],
                                        kind=kinds.get(name, "")))
            continue
        status, reason = found.get(name, ("missing", "no TAP result"))
        if status == "skip":
            reason = _skip_reason(output.get(name, []), reason)
        allowed = may_skip.get(name, [])
        refused = [text for test, _, text in
                   (line.partition(": ") for line in res.skips)
                   if test == name and not _allowed(text, allowed)]
        if status == "skip" and not _allowed(reason,
                                             may_skip_whole.get(name, [])):
            status, reason = "fail", f"skipped where it must run: {reason}"
        elif name in oops:
            crash = [x for x in console.get(name, []) if REPORTS.search(x)]
            status, reason = _crash(status, reason, oops[name],
                                    console.get(name, []), crash)
            if status != "xfail":
                res.reports += crash
        elif status == "fail" and name in xfail:
            why, how = (xfail[name] if isinstance(xfail[name], tuple)
                        else (xfail[name], None))
            block = _assertion(output.get(name, []))
            if not EXITED.match(reason):
                reason = f"fails, but not as expected (not an exit): {reason}"
            elif how and not any(re.search(how, x) for x in block):
                reason = (f"fails, but not as expected (no /{how}/ in its "
                          f"assertion failure): {reason}")
            else:
                status, reason = "xfail", f"{why} ({reason})"
        elif status == "pass" and name in xfail:
            status, reason = "xpass", ("passes although listed as a known "
                                       "failure: update testbed/suites.py")
        elif status == "pass" and refused:
            more = len(refused) - 1
            status = "fail"
            reason = (f"a sub-case skipped where it must run: {refused[0]}" +
                      (f" (and {more} more)" if more else ""))
        res.tests.append(TestResult(name, status, reason,
                                    seconds.get(name, 0.0),
                                    kinds.get(name, "")))
    allowed = target.taint_ok
    crashed = [t for t in res.tests if t.status == "xfail" and t.name in oops]
    if crashed:
        allowed |= TAINT_DIE
    # An expected panic ends the boot: /init cannot finish, nor say the
    # taint. Only the last test can have panicked (the others would be
    # missing), and it boots alone (runner.must_boot_alone()).
    panicked = crashed and any("Kernel panic" in x for x in
                               console.get(crashed[-1].name, []))
    if taint & ~allowed:
        res.problems.append(f"kernel tainted {taint} ({taint_flags(taint)})")
    if timed_out:
        res.problems.append("QEMU timed out")
    if not done:
        if not panicked:
            res.problems.append("/init did not finish (no poweroff)")
    elif not tainted:
        res.problems.append("no \"# kernel tainted:\" line from /init")
    if any(KMEMLEAK_ON in line for line in lines) and not scanned:
        res.problems.append("kmemleak is on, and did not scan after the "
                            "tests")
    return res


def _assertion(output):
    """The lines of @output (a test's own) from its last assertion
    failure's banner on, or none: where an expected failure's message
    must be."""
    starts = [i for i, line in enumerate(output) if line.strip() == BANNER]
    return output[starts[-1]:] if starts else []


def _crash(status, reason, expected, console, reports):
    """The verdict on a test known to crash the kernel (@expected: reason,
    regexes): it must have failed, with a kernel report and every regex
    matching a line of @console, the kernel's lines while it ran."""
    why, patterns = expected
    missing = [p for p in patterns
               if not any(re.search(p, line) for line in console)]
    if status == "pass":
        return "xpass", ("passes although listed as crashing the kernel: "
                         "update testbed/suites.py")
    # A crash that kills the test fails it; a panic ends the boot before
    # its result line.
    if status not in ("fail", "missing") or not reports or missing:
        what = (f"no /{missing[0]}/ on the console" if missing else
                "no kernel report" if not reports else status)
        return "fail", f"expected to crash the kernel, but {what}: {reason}"
    return "xfail", f"{why} ({reason}; the kernel: {reports[0]})"


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
        whole = {t.name for t in r.tests if t.status == "skip"}
        for test, lines in _by_test(r.skips).items():
            if test in whole:
                continue
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
    """(passed, failed, skipped, expected failures) over @results. A run's
    own problem (mode not reached, kernel report, taint) is a failure."""
    passed = sum(t.status == "pass" for r in results for t in r.tests)
    skipped = sum(t.status == "skip" for r in results for t in r.tests)
    xfailed = sum(t.status == "xfail" for r in results for t in r.tests)
    failed = sum(t.status in ("fail", "missing", "xpass") for r in results
                 for t in r.tests)
    failed += sum(1 for r in results if r.problems or r.reports)
    return passed, failed, skipped, xfailed


KINDS = ("series", "project", "upstream")


def by_kind(results):
    """Lines of the closing summary: per kernel, how many results are the
    series' tests, the project's own and upstream's, and how they ended."""
    counts = {}
    for r in results:
        for t in r.tests:
            key = "QEMU" if r.target == "qemu" else f"{r.kernel} kernel"
            c = counts.setdefault(key, {}).setdefault(
                t.kind or "project", {})
            status = {"missing": "fail", "xpass": "fail"}.get(t.status,
                                                              t.status)
            c[status] = c.get(status, 0) + 1
    words = (("pass", "passed"), ("fail", "failed"), ("skip", "skipped"),
             ("xfail", "failed as expected"))
    lines = []
    for kernel, kinds in counts.items():
        parts = []
        for kind in KINDS:
            if kind in kinds:
                c = kinds[kind]
                parts.append(f"{kind} " + ", ".join(
                    f"{c[s]} {w}" for s, w in words if c.get(s)))
        lines.append(f"  {kernel + ':':<10} " + "; ".join(parts))
    return lines
