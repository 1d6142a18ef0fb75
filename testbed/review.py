# SPDX-License-Identifier: GPL-2.0
"""Review readiness: what a maintainer checks before reading the series.

  steps()     every step of the series builds on its own: kernel Image and
              KVM selftests, at each commit, in a second work tree (ccache
              makes the steps cheap), with no compiler warning;
  warnings()  W=1 on the touched C files and kernel-doc on the touched
              sources: nothing that the base did not already warn about;
  htmldocs()  `make htmldocs` of Documentation/virt/kvm: no new warnings;
  b4()        `b4 am` of each series of patches/ gives an mbox that `git am` applies to
              the base, with the same result as the series.

All of them work in build/steps/, a git worktree of the work tree, laid out
like build/ (linux/, kbuild-test/) so that ccache hits the main build
(kernel.make_env()).
"""

import glob
import os
import re
import shutil
import subprocess

import kernel
from common import (ARCH, BUILD, CROSS, JOBS, Failure, Stage, git,
                    log, run)
from tree import UPSTREAM

STEPS = os.path.join(BUILD, "steps")
WT = os.path.join(STEPS, "linux")
KBUILD = os.path.join(STEPS, "kbuild-test")
LOGS = os.path.join(BUILD, "logs")


def _wt_git(*args, **kw):
    return git(*args, cwd=WT, **kw)


def _worktree():
    if not os.path.isdir(WT):
        os.makedirs(STEPS, exist_ok=True)
        git("worktree", "prune")
        git("worktree", "add", "-q", "--detach", WT, "HEAD")
    os.makedirs(KBUILD, exist_ok=True)
    shutil.copyfile(os.path.join(kernel.KERNELS["test"].kbuild, ".config"),
                    os.path.join(KBUILD, ".config"))


def _checkout(rev):
    _wt_git("checkout", "-q", "--force", "--detach", rev)
    _wt_git("clean", "-q", "-fdx")


def _commits():
    out = git("rev-list", "--reverse", f"{UPSTREAM}..HEAD").split()
    if not out:
        raise Failure("no series in the work tree: run 'tb tree'")
    return out


def _make(*targets, logname, extra=()):
    return kernel.make(WT, KBUILD, *targets, logname=logname, extra=extra,
                       check=False)


def _warnings(logname):
    with open(os.path.join(LOGS, logname), errors="replace") as f:
        return [line.rstrip() for line in f
                if re.search(r"\b(warning|error):", line)]


def steps():
    """Build each commit of the series: Image and the KVM selftests."""
    _worktree()
    commits = _commits()
    with Stage("steps", f"{len(commits)} steps of the series, each built"):
        for i, rev in enumerate(commits, 1):
            subject = git("log", "-1", "--format=%s", rev).strip()
            _checkout(rev)
            logname = f"step-{i:02d}.log"
            res = _make("Image", logname=logname)
            problems = _warnings(logname)
            if res.returncode == 0 and _touches_selftests(rev):
                res = _selftests(i)
                problems += _warnings(f"step-{i:02d}-selftests.log")
            if res.returncode or problems:
                for line in problems[:20]:
                    log("steps", "    " + line)
                raise Failure(f"step {i} ({subject}) does not build cleanly "
                              f"(logs: {LOGS}/step-{i:02d}*.log)")
            log("steps", f"{i:2d}/{len(commits)} ok  {subject}")


def _touches_selftests(rev):
    """The KVM selftests build from tools/ and the uapi headers: a commit
    that changes neither cannot break them."""
    files = git("diff-tree", "--no-commit-id", "--name-only", "-r", rev)
    return any(f.startswith(("tools/", "include/uapi/",
                             "arch/arm64/include/uapi/"))
               for f in files.split())


def _selftests(i):
    out = os.path.join(STEPS, "selftests")
    os.makedirs(os.path.join(out, "tools"), exist_ok=True)
    res = _make("headers_install", logname=f"step-{i:02d}-headers.log")
    if res.returncode:
        return res
    return run(["make", "-C", os.path.join(WT, "tools/testing/selftests/kvm"),
                f"ARCH={ARCH}", f"CROSS_COMPILE={CROSS}", f"-j{JOBS}",
                f"OUTPUT={out}", f"abs_objdir={out}",
                f"KHDR_INCLUDES=-isystem {KBUILD}/usr/include",
                "EXTRA_CFLAGS=-static"],
               logfile=os.path.join(LOGS, f"step-{i:02d}-selftests.log"),
               check=False)


def _touched(pattern):
    """Files the series changes or creates that match pattern."""
    names = git("diff", "--name-only", "--diff-filter=AM", f"{UPSTREAM}..HEAD")
    return [n for n in names.split() if re.search(pattern, n)]


def _normalize(lines):
    """A warning without its line number and path prefix, so that the same
    warning at base and at the tip compares equal."""
    out = set()
    for line in lines:
        line = re.sub(r"^.*?((?:arch|virt|include|Documentation)/)", r"\1",
                      line)
        out.add(re.sub(r":\d+(:\d+)?(?=[: ]|$)", ":", line).strip())
    return out


def _object(c_file):
    """The object kbuild makes of a C file (nVHE hyp objects are *.nvhe.o)."""
    if "/kvm/hyp/nvhe/" in c_file:
        return c_file[:-2] + ".nvhe.o"
    return c_file[:-2] + ".o"


def _w1(objects, logname):
    _make(*objects, logname=logname, extra=("W=1",))
    return _normalize(_warnings(logname))


def _kernel_doc(files):
    res = subprocess.run([os.path.join(WT, "scripts/kernel-doc"), "-none",
                          "-Wall", *files], cwd=WT, capture_output=True,
                         text=True)
    return _normalize(l for l in res.stderr.splitlines() if l.strip())


def warnings():
    """W=1 and kernel-doc: new warnings at the tip, against the base."""
    _worktree()
    objects = [o for o in map(_object, _touched(r"^(arch|virt)/.*\.c$"))
               if os.path.exists(os.path.join(kernel.KERNELS["test"].kbuild,
                                              o))]
    doc_files = _touched(r"^(arch|virt|include)/.*\.[ch]$")
    with Stage("warnings", f"W=1 on {len(objects)} objects, kernel-doc on "
               f"{len(doc_files)} files, base vs. series"):
        _checkout(git("rev-parse", "HEAD").strip())
        tip_w1 = _w1(objects, "w1-series.log")
        tip_doc = _kernel_doc(doc_files)
        _checkout(UPSTREAM)
        present = [o for o in objects
                   if os.path.exists(os.path.join(WT, re.sub(
                       r"(\.nvhe)?\.o$", ".c", o)))]
        base_w1 = _w1(present, "w1-base.log")
        base_doc = _kernel_doc([f for f in doc_files
                                if os.path.exists(os.path.join(WT, f))])
        new_w1, new_doc = tip_w1 - base_w1, tip_doc - base_doc
        log("warnings", f"W=1: {len(base_w1)} warnings at the base, "
            f"{len(tip_w1)} with the series, {len(new_w1)} new")
        log("warnings", f"kernel-doc: {len(base_doc)} at the base, "
            f"{len(tip_doc)} with the series, {len(new_doc)} new")
        for line in sorted(new_w1 | new_doc):
            log("warnings", "    new: " + line)
        if new_w1 or new_doc:
            raise Failure("the series adds warnings")


def _htmldocs(tag):
    out = os.path.join(STEPS, f"docs-{tag}")
    logname = f"htmldocs-{tag}.log"
    res = run(["make", "-C", WT, f"O={out}", "SPHINXDIRS=virt/kvm",
               "htmldocs"], logfile=os.path.join(LOGS, logname), check=False)
    if res.returncode:
        raise Failure(f"make htmldocs failed at {tag} (log: {LOGS}/{logname})")
    with open(os.path.join(LOGS, logname), errors="replace") as f:
        return _normalize(l for l in f if re.search(r"WARNING|ERROR", l))


def htmldocs():
    """Sphinx on Documentation/virt/kvm, base vs. series."""
    _worktree()
    with Stage("htmldocs", "make htmldocs SPHINXDIRS=virt/kvm, base vs. "
               "series"):
        _checkout(git("rev-parse", "HEAD").strip())
        tip = _htmldocs("series")
        _checkout(UPSTREAM)
        base = _htmldocs("base")
        new = tip - base
        log("htmldocs", f"{len(base)} warnings at the base, {len(tip)} with "
            f"the series, {len(new)} new")
        for line in sorted(new):
            log("htmldocs", "    new: " + line)
        if new:
            raise Failure("the series adds documentation warnings")


def b4():
    """b4 am on each series for the list, then git am of its output on
    what it is based on: the same tree as the work tree's."""
    import tree
    _worktree()
    out = os.path.join(STEPS, "b4")
    shutil.rmtree(out, ignore_errors=True)
    prev = None
    for s in tree.SERIES_LIST:
        if not s.mailed:
            prev = s.name
            continue
        sout = os.path.join(out, s.name)
        os.makedirs(sout)
        mbox = os.path.join(sout, "series.mbox")
        with open(mbox, "w") as f:
            for p in sorted(glob.glob(os.path.join(s.folder, "*.patch"))):
                with open(p) as src:
                    f.write(src.read())
        with Stage("b4", f"b4 am -m patches/{s.name}, git am of the result "
                   f"on {prev}"):
            run(["b4", "--offline-mode", "am", "-m", mbox, "-o", sout],
                cwd=sout, logfile=os.path.join(LOGS, f"b4-{s.name}.log"))
            ready = glob.glob(os.path.join(sout, "*.mbx"))
            if len(ready) != 1:
                raise Failure(f"b4 am wrote {len(ready)} mboxes (log: "
                              f"{LOGS}/b4-{s.name}.log)")
            _checkout(prev)
            _wt_git("am", "-q", ready[0])
            end = "HEAD" if s.name == tree.FEATURE else s.name
            got = _wt_git("rev-parse", "HEAD^{tree}").strip()
            want = git("rev-parse", f"{end}^{{tree}}").strip()
            count = len(_wt_git("rev-list", f"{prev}..HEAD").split())
            if got != want:
                raise Failure(f"b4 am + git am of {s.name} gives a different "
                              "tree than the work tree's")
            log("b4", f"{s.name}: {count} patches applied, same tree as the "
                "work tree's")
        prev = s.name
