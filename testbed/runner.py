# SPDX-License-Identifier: GPL-2.0
"""Stage run: one suite, on one kernel, on some targets. For each target,
the tests it can run go into an initramfs, the target boots it (boot.py) and
its console log is parsed (parse.py); the tests whose requirements it lacks
are reported as skipped, with what they need."""

import concurrent.futures

import boot
import initramfs
import kernel
import parse
import suites
import targets
from common import Failure, Stage, fmt_time, log


def verdict(tests, target, kernel_name, text, timed_out=False):
    """The console log @text of @tests on @target with the kernel
    @kernel_name, parsed with what the plan says of each test there: which
    ones do not run for want of a feature, which must fail, which skips
    are accepted (suites.Test)."""
    t = targets.TARGETS[target] if isinstance(target, str) else target
    runnable = [x for x in tests if not x.missing(t)]
    res = parse.parse(
        t, text, [x.binary for x in tests], timed_out,
        xfail={x.binary: x.xfail_reason(t, kernel_name) for x in runnable
               if x.xfail_reason(t, kernel_name)},
        skipped={x.binary: "needs " + ", ".join(x.missing(t))
                 for x in tests if x.missing(t)},
        may_skip={x.binary: x.skips_allowed(t, kernel_name) for x in tests},
        may_skip_whole={x.binary: x.skips_allowed(t, kernel_name, True)
                        for x in tests},
        kinds={x.binary: x.kind for x in tests},
        memory_errors={x.binary for x in runnable if x.memory_errors},
        oops={x.binary: x.crash_reason(t, kernel_name) for x in runnable
              if x.crash_reason(t, kernel_name)})
    res.kernel = kernel_name
    return res


def must_boot_alone(tests, target, kernel_name):
    """The test of @tests that crashes @kernel_name on @target (suites.Test.
    crashes) although others share its boot, else None: a crash would hide
    what the others do after it."""
    crashing = [x.binary for x in tests
                if x.crash_reason(target, kernel_name)]
    return crashing[0] if crashing and len(tests) > 1 else None


def _one(suite, name, kernel_name, tests, sources=None, echo=False,
         tag=None):
    """@tests of @suite on the target @name with @kernel_name: one
    parse.RunResult."""
    k = kernel.KERNELS[kernel_name]
    t = targets.TARGETS[name]
    if t.fragment and t.fragment not in k.fragments:
        raise Failure(f"{name} boots a kernel built with {t.fragment}: the "
                      f"{kernel_name} kernel is not")
    runnable = [x.on(t, k) for x in tests if not x.missing(t)]
    lonely = must_boot_alone(runnable, t, kernel_name)
    if lonely:
        raise Failure(f"{lonely} crashes the {kernel_name} kernel on {name}: "
                      f"it must boot alone, not in suite {suite}")
    label = tag or f"{suite}-{kernel_name}"
    cpio = initramfs.make(f"{label}-{name}", runnable, sources=sources)
    # Boot time plus every test's own timeout, plus slack.
    budget = 120 * t.timeout_scale + sum(x.timeout for x in runnable)
    with Stage("run", f"{name}: {len(runnable)} tests, {kernel_name} "
               "kernel") as st:
        path, _, timed_out = boot.boot(name, k.image, cpio, budget,
                                       label, echo=echo)
    with open(path, errors="replace") as f:
        res = verdict(tests, t, kernel_name, f.read(), timed_out)
    res.seconds = st.seconds
    res.log = path
    log("run", f"{name}: {'PASS' if res.ok else 'FAIL'}, boot to "
        f"poweroff {fmt_time(st.seconds)} (log: {path})")
    return res


def _build(tests):
    for build in dict.fromkeys(x.build for x in tests if x.build):
        build()


def run(suite, target_names, kernel_name="test", tests=None, sources=None,
        echo=False, tag=None):
    """Returns a list of parse.RunResult, one per target, one after the
    other."""
    tests = tests or suites.SUITES[suite]
    _build(tests)
    return [_one(suite, name, kernel_name, tests, sources, echo, tag)
            for name in target_names]


def run_plan(plan, jobs=2):
    """Every run of @plan (suites.PLAN), @jobs boots at a time, the
    longest first; the results in the plan's order. A boot under TCG
    keeps about one host core busy: most tests run one vCPU."""
    runs = [(suite, name, kernel_name) for suite, names, kernel_name in plan
            for name in names]
    for suite, _, _ in plan:
        _build(suites.SUITES[suite])
    initramfs.build_init()

    def cost(r):
        suite, name, kernel_name = r
        return (len(suites.SUITES[suite]) *
                targets.TARGETS[name].timeout_scale *
                kernel.KERNELS[kernel_name].timeout_scale *
                (3 if "pkvm" in targets.TARGETS[name].features else 1))

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {r: pool.submit(_one, r[0], r[1], r[2],
                                  suites.SUITES[r[0]])
                   for r in sorted(runs, key=cost, reverse=True)}
        return [futures[r].result() for r in runs]
