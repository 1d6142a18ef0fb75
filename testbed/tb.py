# SPDX-License-Identifier: GPL-2.0
"""The testbed's verbs. Each stage lives in its own file:

  base.py       fetch Debian's linux-source-7.3 (or use KDIR=)
  tree.py       work tree: base + `git am patches/`; export and check
  lint.py       checkpatch --strict on patches/
  build.py      config (allnoconfig + fragments), kernel, selftests
  initramfs.py  /init (init/init.c) + tests into a cpio
  targets.py    the QEMU targets (VHE, nVHE, protected) as data
  suites.py     the test lists
  qemu.py       boot a target, keep the console log
  parse.py      console log -> verdict and summary table
  review.py     each step builds, no new warnings, htmldocs, b4 am
  bench.py      the benchmarks
"""

import argparse
import os
import shlex
import sys
import time

import build
import initramfs
import lint
import parse
import qemu
import review
import suites
import targets
import tree
from common import BUILD, Failure, Stage, fmt_time, log


def kdir():
    return os.environ.get("KDIR") or None


def do_tree(args):
    tree.make_tree(kdir(), force=getattr(args, "force", False))
    tree.check()
    lint.checkpatch()


def do_build(args, flavours=("base",)):
    for flavour in flavours:
        build.config(flavour)
        build.kernel(flavour)
    build.selftests()


def do_review(args):
    review.steps()
    review.warnings()
    review.htmldocs()
    review.b4()


def run_suite(suite, target_names, echo=False, flavour="base", tests=None,
              sources=None):
    tests = [t.on(flavour) for t in tests or suites.SUITES[suite]]
    names = [t.binary for t in tests]
    cpio = initramfs.make(f"{suite}-{flavour}", tests, sources=sources)
    # Boot time plus every test's own timeout, plus slack.
    budget = 120 + sum(t.timeout for t in tests)
    results = []
    for name in target_names:
        with Stage("run", f"{name}: {len(tests)} tests, {flavour} "
                   "kernel") as st:
            path, _, timed_out = qemu.boot(name, build.image(flavour), cpio,
                                           budget, echo=echo,
                                           tag=f"{suite}-{flavour}")
        xfail = {t.binary: t.xfail_reason(name) for t in tests
                 if t.xfail_reason(name)}
        with open(path, errors="replace") as f:
            res = parse.parse(name, f.read(), names, timed_out, xfail)
        res.seconds = st.seconds
        res.log = path
        results.append(res)
        log("run", f"{name}: {'PASS' if res.ok else 'FAIL'}, boot to "
            f"poweroff {fmt_time(st.seconds)} (log: {path})")
    print()
    print(parse.table(results, names))
    print()
    return results


def closing(results):
    passed, failed, skipped = parse.totals(results)
    print(f"{passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 0 if failed == 0 and all(r.ok for r in results) else 1


def do_run(args):
    tests = None
    if args.tests:
        tests = [t for t in suites.SUITES[args.suite] if t.binary in args.tests]
        unknown = set(args.tests) - {t.binary for t in tests}
        if unknown:
            raise Failure(f"not in suite {args.suite}: {', '.join(unknown)}")
    return closing(run_suite(args.suite, args.targets, echo=args.verbose,
                             flavour=args.flavour, tests=tests))


def do_try(args):
    """Boot binaries built elsewhere (a test being written), one list."""
    tests, sources = [], {}
    for path in args.binaries:
        name = "try/" + os.path.basename(path)
        tests.append(suites.Test(name, tuple(shlex.split(args.args)),
                                 args.timeout))
        sources[name] = os.path.abspath(path)
    return closing(run_suite("try-" + os.path.basename(args.binaries[0]),
                             args.targets, echo=args.verbose,
                             flavour=args.flavour, tests=tests,
                             sources=sources))


def do_parse(args):
    tests = suites.SUITES[args.suite]
    names = [t.binary for t in tests]
    xfail = {t.binary: t.xfail_reason(args.target) for t in tests
             if t.xfail_reason(args.target)}
    with open(args.log, errors="replace") as f:
        res = parse.parse(args.target, f.read(), names, xfail=xfail)
    print(parse.table([res], names))
    return closing([res])


def do_test(args):
    """The whole suite on the test kernel, then on the debug kernel, where a
    lockdep, KASAN, UBSAN or kmemleak report fails the run as a test does."""
    start = time.monotonic()
    do_tree(args)
    do_build(args, flavours=list(build.FLAVOURS))
    do_review(args)
    results = []
    for flavour in build.FLAVOURS:
        results += run_suite("all", args.targets, flavour=flavour)
    log("test", f"total {fmt_time(time.monotonic() - start)}")
    return closing(results)


def do_demo(args):
    start = time.monotonic()
    do_tree(args)
    do_build(args)
    print("\nThe SError flow, as the tests drive it (VHE host):\n")
    results = run_suite("serror", args.targets, echo=True)
    log("demo", f"total {fmt_time(time.monotonic() - start)}")
    return closing(results)


def do_bench(args):
    import bench
    return bench.main(args)


def main():
    p = argparse.ArgumentParser(prog="tb", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    all_targets = list(targets.TARGETS)

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
    add("lint", lambda a: lint.checkpatch(), "checkpatch --strict on patches/")
    sp = add("build", lambda a: do_build(a, a.flavours),
             "config, kernel(s) and selftests")
    sp.add_argument("--flavours", nargs="+", choices=list(build.FLAVOURS),
                    default=["base"])
    add("review", do_review, "each step builds; no new W=1, kernel-doc, "
        "htmldocs warnings; b4 am")
    add("steps", lambda a: review.steps(), "build each step of the series")
    sp = add("run", do_run, "boot the targets and run a suite", all_targets)
    sp.add_argument("--suite", choices=list(suites.SUITES), default="all")
    sp.add_argument("--tests", nargs="+", metavar="BINARY",
                    help="only these tests of the suite")
    sp.add_argument("--flavour", choices=list(build.FLAVOURS), default="base")
    sp.add_argument("-v", "--verbose", action="store_true",
                    help="show the console as it runs")
    sp = add("try", do_try, "boot test binaries built elsewhere", all_targets)
    sp.add_argument("binaries", nargs="+", metavar="BINARY")
    sp.add_argument("--args", default="",
                    help='arguments, one string: --args="-n 1000"')
    sp.add_argument("--timeout", type=int, default=300)
    sp.add_argument("--flavour", choices=list(build.FLAVOURS), default="base")
    sp.add_argument("-v", "--verbose", action="store_true")
    sp = add("parse", do_parse, "verdict for a console log")
    sp.add_argument("target", choices=all_targets)
    sp.add_argument("log")
    sp.add_argument("--suite", choices=list(suites.SUITES), default="all")
    add("test", do_test, "tree, build, the whole suite in every mode",
        all_targets)
    add("demo", do_demo, "tree, build, the SError tests with their output",
        ["vhe"])
    sp = add("bench", do_bench, "benchmarks: hot path, round trip, testbed")
    sp.add_argument("parts", nargs="*",
                    choices=["hotpath", "roundtrip", "warm", "cold"],
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
