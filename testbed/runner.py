# SPDX-License-Identifier: GPL-2.0
"""Stage run: one suite, on one kernel, on some targets. For each target,
the tests it can run go into an initramfs, the target boots it (boot.py) and
its console log is parsed (parse.py); the tests whose requirements it lacks
are reported as skipped, with what they need."""

import boot
import initramfs
import kernel
import parse
import suites
import targets
from common import Stage, fmt_time, log


def run(suite, target_names, kernel_name="test", tests=None, sources=None,
        echo=False, tag=None):
    """Returns a list of parse.RunResult, one per target."""
    k = kernel.KERNELS[kernel_name]
    tests = tests or suites.SUITES[suite]
    for build in dict.fromkeys(x.build for x in tests if x.build):
        build()
    results = []
    for name in target_names:
        t = targets.TARGETS[name]
        runnable = [x.on(t, k.timeout_scale) for x in tests if not x.missing(t)]
        skipped = {x.binary: "needs " + ", ".join(x.missing(t))
                   for x in tests if x.missing(t)}
        xfail = {x.binary: x.xfail_reason(t) for x in runnable
                 if x.xfail_reason(t)}
        label = tag or f"{suite}-{kernel_name}"
        cpio = initramfs.make(f"{label}-{name}", runnable, sources=sources)
        # Boot time plus every test's own timeout, plus slack.
        budget = 120 * t.timeout_scale + sum(x.timeout for x in runnable)
        with Stage("run", f"{name}: {len(runnable)} tests, {kernel_name} "
                   "kernel") as st:
            path, _, timed_out = boot.boot(name, k.image, cpio, budget,
                                           label, echo=echo)
        with open(path, errors="replace") as f:
            res = parse.parse(t, f.read(), [x.binary for x in tests],
                              timed_out, xfail=xfail, skipped=skipped)
        res.kernel = kernel_name
        res.seconds = st.seconds
        res.log = path
        results.append(res)
        log("run", f"{name}: {'PASS' if res.ok else 'FAIL'}, boot to "
            f"poweroff {fmt_time(st.seconds)} (log: {path})")
    return results

