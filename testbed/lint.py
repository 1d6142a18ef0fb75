# SPDX-License-Identifier: GPL-2.0
"""Review checks: the kernel's scripts/checkpatch.pl --strict on every patch
of the series (patches/), and QEMU's own scripts/checkpatch.pl on every
patch under qemu/ (whose accepted findings are the missing sign-off, the
reminder on the placeholder headers update, and the prototypes of a TCG
test's asm() functions).

Four findings are expected and only reported:
- "Missing Signed-off-by": the series carries no sign-off on purpose; whoever
  sends it adds their own (git am -s, b4);
- "Unknown commit id": a Fixes: tag names an upstream commit that the work
  tree lacks when it was made from a tarball (no history);
- "does MAINTAINERS need updating": accepted when get_maintainer.pl already
  finds a maintainer for every file the patch adds;
- "Alignment should match open parenthesis" on the TP_PROTO() line right
  after TRACE_EVENT(: the layout of every trace event in the tree, which
  checkpatch flags in each of them.
Anything else fails.
"""

import os
import re
import subprocess

import qemu_build
import tree
from common import REPO, TREE, Failure, Stage, log

EXPECTED = ("Missing Signed-off-by", "Unknown commit id")
MAINTAINERS_WARNING = "does MAINTAINERS need updating"


def _is_uapi_bit_macro(patch, finding):
    """BIT_MACRO in an arch's uapi header: checkpatch means to skip uapi
    ("it is not exported to uapi", where BIT() does not exist), but only
    matches include/uapi/, not arch/*/include/uapi/."""
    return ("CHECK:BIT_MACRO" in finding and
            "/include/uapi/" in _patch_file(patch, finding))


def _is_trace_event_layout(patch, finding):
    """PARENTHESIS_ALIGNMENT on a TP_PROTO line that follows TRACE_EVENT(."""
    m = re.search(r"\.patch:(\d+): CHECK:PARENTHESIS_ALIGNMENT", finding)
    if not m:
        return False
    with open(patch, errors="replace") as f:
        lines = f.read().splitlines()
    n = int(m.group(1)) - 1
    return (0 < n < len(lines) and lines[n].startswith("+\tTP_PROTO(") and
            lines[n - 1].startswith("+TRACE_EVENT("))


def _has_maintainer(path):
    res = subprocess.run([os.path.join(TREE, "scripts/get_maintainer.pl"),
                          "--no-git", "--no-git-fallback", "--no-rolestats",
                          "-f", path], cwd=TREE, capture_output=True,
                         text=True)
    return any("@" in line and "list" not in line.lower()
               for line in res.stdout.splitlines())


def _authors(patches):
    """Every patch is from the series' placeholder author: a commit made
    with the machine's git identity would put an invented person on the
    list (tree.SERIES_AUTHOR)."""
    want = (f"From: {tree.SERIES_AUTHOR['GIT_COMMITTER_NAME']} "
            f"<{tree.SERIES_AUTHOR['GIT_COMMITTER_EMAIL']}>")
    wrong = []
    for patch in patches:
        with open(patch, errors="replace") as f:
            head = f.read().partition("\n\n")[0]
        if not re.search(rf"^{re.escape(want)}$", head, re.M):
            wrong.append(os.path.basename(patch))
    if wrong:
        raise Failure(f"not from the placeholder author: {', '.join(wrong)}")


def checkpatch():
    patches = tree.series_patches()
    _authors(patches)
    problems = 0
    with Stage("lint", f"checkpatch.pl --strict on {len(patches)} patches"):
        for patch in patches:
            res = subprocess.run(
                [os.path.join(TREE, "scripts/checkpatch.pl"), "--strict",
                 "--no-summary", "--terse", "--show-types", patch],
                cwd=TREE, capture_output=True, text=True)
            name = os.path.basename(patch)
            for line in res.stdout.splitlines():
                if not line.strip():
                    continue
                if any(e in line for e in EXPECTED):
                    log("lint", f"{name}: expected: {line.split(': ', 1)[-1]}")
                elif _is_uapi_bit_macro(patch, line):
                    log("lint", f"{name}: expected: (1ULL << n) in a uapi "
                        "header, where BIT_ULL() does not exist")
                elif _is_trace_event_layout(patch, line):
                    log("lint", f"{name}: expected: TRACE_EVENT layout "
                        "(TP_PROTO alignment)")
                elif MAINTAINERS_WARNING in line and all(
                        _has_maintainer(f) for f in tree.added_files(patch)):
                    log("lint", f"{name}: expected: new files are covered by "
                        "MAINTAINERS already")
                else:
                    log("lint", f"{name}: {line}")
                    problems += 1
    if problems:
        raise Failure(f"checkpatch --strict: {problems} findings")
    log("lint", "checkpatch --strict: clean but for the expected findings")


def _patch_file(patch, finding):
    """The file a --terse finding ("PATCH:LINE: ...") of @patch is in."""
    m = re.search(r":(\d+): ", finding)
    if not m:
        return ""
    with open(patch, errors="replace") as f:
        lines = f.read().splitlines()[:int(m.group(1))]
    for line in reversed(lines):
        if line.startswith("+++ b/"):
            return line[6:]
    return ""


def qemu_checkpatch():
    """QEMU's checkpatch on qemu/*/*.patch, from the QEMU source."""
    patches = qemu_build.patches()
    if not patches:
        return
    script = os.path.join(qemu_build.source(), "scripts", "checkpatch.pl")
    problems = 0
    with Stage("lint", f"QEMU checkpatch.pl on {len(patches)} patches"):
        for patch in patches:
            res = subprocess.run([script, "--no-tree", "--terse", patch],
                                 capture_output=True, text=True)
            name = os.path.relpath(patch, REPO)
            with open(patch, errors="replace") as f:
                # An RFC's headers update for a kernel uAPI not merged yet.
                placeholder = re.search(r"^Subject: \[RFC PATCH [^]]*\] "
                                        r"linux-headers: ", f.read(), re.M)
            for line in (res.stdout + res.stderr).splitlines():
                if not re.search(r"\b(ERROR|WARNING)\b", line):
                    continue
                if "Missing Signed-off-by" in line:
                    log("lint", f"{name}: expected: missing Signed-off-by")
                elif ("externs should be avoided" in line and
                      _patch_file(patch, line).startswith("tests/tcg/")):
                    # A bare-metal test's prototypes of the functions its
                    # top-level asm() defines, as in
                    # tests/tcg/aarch64/sme-outprod1.c.
                    log("lint", f"{name}: expected: prototype of an asm() "
                        "function in a TCG test")
                elif placeholder and "update-linux-headers.sh" in line:
                    # The reminder that every change of linux-headers/
                    # gets: a placeholder for a kernel series not merged
                    # yet cannot come from the script.
                    log("lint", f"{name}: expected: headers placeholder")
                else:
                    log("lint", f"{name}: {line}")
                    problems += 1
    if problems:
        raise Failure(f"QEMU checkpatch: {problems} findings")
    log("lint", "QEMU checkpatch: clean but for the missing sign-offs")
