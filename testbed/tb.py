# SPDX-License-Identifier: GPL-2.0
"""The testbed's verbs. Each stage lives in its own file:

  debian.py      fetch Debian packages through a private apt configuration
  tree.py        the Linux base (or KDIR=), the series applied; export, check
  lint.py        checkpatch on the kernel series and on the QEMU patches
  qemu_build.py  QEMU 10.2.2 from Debian's tarball with the project's patches
  qemu_tests.py  QEMU's own tests of the test hardware (qtest, tests/tcg)
  kernel.py      kernel configs and builds, the KVM selftests, tests/
  review.py      each step builds, no new warnings, htmldocs, b4 am
  targets.py     the hosts (VHE, nVHE, protected, nested, no RAS), as data
  suites.py      which tests run where, and the plan `tb test` follows
  initramfs.py   /init (init/init.c) + the tests into a cpio
  vmm.py         the vmm suite: QEMU for arm64 (KVM), a guest, the driver
  boot.py        boot a target, keep the console log
  runner.py      a suite on a kernel on targets: initramfs, boot, parse
  parse.py       console log -> verdict and summary table
  bench.py       the benchmarks
"""

import argparse
import dataclasses
import os
import re
import shlex
import sys
import time
import unittest

import kernel
import lint
import parse
import qemu_build
import qemu_tests
import review
import runner
import suites
import targets
import tree
from common import TESTBED, Failure, fmt_time, log


def kdir():
    return os.environ.get("KDIR") or None


def do_tree(args):
    tree.make_tree(kdir(), force=getattr(args, "force", False))
    tree.check()
    do_lint(args)


def do_lint(args):
    lint.checkpatch()
    lint.qemu_checkpatch()


def do_build(args, kernels=("test",)):
    qemu_build.build("tcg")
    for name in kernels:
        kernel.build(name)
    kernel.selftests()


def do_review(args):
    review.steps()
    review.warnings()
    review.htmldocs()
    review.b4()


def report(results):
    print()
    print(parse.table(results))
    print()
    passed, failed, skipped, xfailed = parse.totals(results)
    print("\n".join(parse.by_kind(results)))
    print(f"{passed} passed, {failed} failed, {skipped} skipped" +
          (f", {xfailed} failed as expected" if xfailed else ""), flush=True)
    return 0 if failed == 0 and all(r.ok for r in results) else 1


def do_run(args):
    tests = None
    if args.tests:
        tests = [t for t in suites.SUITES[args.suite] if t.binary in args.tests]
        unknown = set(args.tests) - {t.binary for t in tests}
        if unknown:
            raise Failure(f"not in suite {args.suite}: {', '.join(unknown)}")
    return report(runner.run(args.suite, args.targets, args.kernel,
                             tests=tests, echo=args.verbose))


def do_try(args):
    """Boot binaries built elsewhere (a test being written), one list. A
    binary named as a test of the plan gets the files it needs there, and
    may make memory errors where that one may."""
    known = {os.path.basename(t.binary): t
             for tests in suites.SUITES.values() for t in tests}
    tests, sources = [], {}
    for path in args.binaries:
        name = "try/" + os.path.basename(path)
        test = suites.Test(name, tuple(shlex.split(args.args)), args.timeout)
        like = known.get(os.path.basename(path))
        if like:
            test = dataclasses.replace(test, files=like.files,
                                       build=like.build,
                                       memory_errors=like.memory_errors)
        tests.append(test)
        sources[name] = os.path.abspath(path)
    return report(runner.run("try", args.targets, args.kernel, tests=tests,
                             sources=sources, echo=args.verbose,
                             tag="try-" + os.path.basename(args.binaries[0])))


def do_parse(args):
    with open(args.log, errors="replace") as f:
        return report([runner.verdict(suites.SUITES[args.suite], args.target,
                                      args.kernel, f.read())])


def do_selftest(args):
    """The testbed's own tests (the parser on saved console logs)."""
    suite = unittest.defaultTestLoader.discover(TESTBED, pattern="test_*.py")
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


def do_test(args):
    """Everything: the tree and its lint, QEMU and the kernels, the review
    checks, then every run of the plan (suites.PLAN)."""
    start = time.monotonic()
    if do_selftest(args):
        raise Failure("the testbed's own tests failed")
    do_tree(args)
    do_build(args, kernels=list(kernel.KERNELS))
    results = [qemu_tests.run_all()]
    do_review(args)
    results += runner.run_plan(suites.PLAN, jobs=max(1, args.jobs))
    log("test", f"total {fmt_time(time.monotonic() - start)}")
    return report(results)


STORY = re.compile(r"^# # story: (?P<case>\S+)\s+(?P<text>.*)$")
ROLES = ("device:", "KVM:", "QEMU:", "guest:")


def do_demo(args):
    """The SError flow told by a real VMM: QEMU under KVM on an arm64 host
    (with the series), a Linux guest, an SError raised by the emulated
    hardware, and what KVM, QEMU and the guest did, case by case."""
    start = time.monotonic()
    do_tree(args)
    do_build(args)
    results = runner.run("vmm", args.targets, "test")
    print("\nThe SError flow with a real VMM: the error injector raises a "
          "physical SError\nwhile a Linux guest runs under QEMU "
          "(-accel kvm,serror-policy=...), on a\nhost with the series.\n")
    for res in results:
        print(f"{res.target} host (every console line: {res.log}):")
        cases = {}
        with open(res.log, errors="replace") as f:
            for line in f:
                m = STORY.match(line.rstrip())
                if m:
                    cases.setdefault(m.group("case"), []).append(
                        m.group("text"))
        for case, lines in cases.items():
            # The driver logs as it checks; tell it in the order it happens.
            lines.sort(key=lambda t: next((i for i, who in enumerate(ROLES)
                                           if t.startswith(who)), 0))
            print()
            for i, text in enumerate(lines):
                print(f"  {case if i == 0 else '':<16}{text}")
        print()
    log("demo", f"total {fmt_time(time.monotonic() - start)}")
    return report(results)


def do_bench(args):
    import bench
    return bench.main(args)


def main():
    p = argparse.ArgumentParser(prog="tb", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    all_targets = list(targets.TARGETS)
    all_kernels = list(kernel.KERNELS)

    def add(name, fn, help_text, with_targets=None):
        sp = sub.add_parser(name, help=help_text)
        sp.set_defaults(fn=fn)
        if with_targets is not None:
            sp.add_argument("--targets", nargs="+", choices=all_targets,
                            default=with_targets)
        return sp

    sp = add("tree", do_tree, "create the work tree and apply patches/")
    sp.add_argument("--force", action="store_true",
                    help="discard commits and changes in the work tree")
    add("export", lambda a: tree.export(), "work tree -> patches/ and "
        "created files")
    add("check", lambda a: tree.check(), "repo kernel-path files == series")
    add("lint", do_lint, "checkpatch on patches/ and qemu/")
    add("qemu", lambda a: qemu_build.build("tcg") and 0,
        "build QEMU with the project's patches")
    add("qemu-test", lambda a: (qemu_build.build("tcg"),
                                report([qemu_tests.run_all()]))[1],
        "QEMU's own tests of the test hardware: qtest, tests/tcg")
    sp = add("build", lambda a: do_build(a, a.kernels),
             "QEMU, kernel(s), selftests and tests/")
    sp.add_argument("--kernels", nargs="+", choices=all_kernels,
                    default=["test"])
    add("review", do_review, "each step builds; no new W=1, kernel-doc, "
        "htmldocs warnings; b4 am")
    add("steps", lambda a: review.steps(), "build each step of the series")
    default = [t for t in all_targets if targets.TARGETS[t].default]
    sp = add("run", do_run, "boot targets and run a suite", default)
    sp.add_argument("--suite", choices=list(suites.SUITES), default="all")
    sp.add_argument("--tests", nargs="+", metavar="BINARY",
                    help="only these tests of the suite")
    sp.add_argument("--kernel", choices=all_kernels, default="test")
    sp.add_argument("-v", "--verbose", action="store_true",
                    help="show the console as it runs")
    sp = add("try", do_try, "boot test binaries built elsewhere", ["vhe"])
    sp.add_argument("binaries", nargs="+", metavar="BINARY")
    sp.add_argument("--args", default="",
                    help='arguments, one string: --args="-n 1000"')
    sp.add_argument("--timeout", type=int, default=300)
    sp.add_argument("--kernel", choices=all_kernels, default="test")
    sp.add_argument("-v", "--verbose", action="store_true")
    sp = add("parse", do_parse, "verdict for a console log")
    sp.add_argument("target", choices=all_targets)
    sp.add_argument("log")
    sp.add_argument("--suite", choices=list(suites.SUITES), default="all")
    sp.add_argument("--kernel", choices=all_kernels, default="test")
    add("selftest", do_selftest, "the testbed's own tests")
    sp = add("test", do_test, "everything: tree, builds, review, every run")
    sp.add_argument("--jobs", type=int, default=2,
                    help="boots at a time (default 2: a boot keeps about "
                         "one core busy)")
    add("demo", do_demo, "tree, build, QEMU under KVM: the SError flow told",
        ["vhe"])
    sp = add("bench", do_bench, "benchmarks: hot path, round trip, testbed")
    sp.add_argument("parts", nargs="*",
                    choices=["hotpath", "roundtrip", "inner", "warm",
                             "cold"],
                    help="what to measure (default: all but cold)")
    sp.add_argument("--cold", action="store_true",
                    help="also time a run from an empty build folder")

    args = p.parse_args()
    try:
        rc = args.fn(args)
    except Failure as e:
        log("tb", f"error: {e}")
        print("0 passed, 1 failed", flush=True)
        return 1
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
