# SPDX-License-Identifier: GPL-2.0
"""Review checks on patches/: scripts/checkpatch.pl --strict on every patch.

Three findings are expected and only reported:
- "Missing Signed-off-by": the series carries no sign-off on purpose; whoever
  sends it adds their own (git am -s, b4);
- "Unknown commit id": a Fixes: tag names an upstream commit that the work
  tree lacks when it was made from a tarball (no history);
- "does MAINTAINERS need updating": accepted when get_maintainer.pl already
  finds a maintainer for every file the patch adds.
Anything else fails.
"""

import glob
import os
import re
import subprocess

from common import PATCHES, TREE, Failure, Stage, log

EXPECTED = ("Missing Signed-off-by", "Unknown commit id")
MAINTAINERS_WARNING = "does MAINTAINERS need updating"


def _added_files(patch):
    with open(patch, errors="replace") as f:
        text = f.read()
    return re.findall(r"^diff --git a/\S+ b/(\S+)\nnew file mode", text, re.M)


def _has_maintainer(path):
    res = subprocess.run([os.path.join(TREE, "scripts/get_maintainer.pl"),
                          "--no-git", "--no-git-fallback", "--no-rolestats",
                          "-f", path], cwd=TREE, capture_output=True,
                         text=True)
    return any("@" in line and "list" not in line.lower()
               for line in res.stdout.splitlines())


def checkpatch():
    patches = [p for p in sorted(glob.glob(os.path.join(PATCHES, "*.patch")))
               if not os.path.basename(p).startswith("0000-")]
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
                elif MAINTAINERS_WARNING in line and all(
                        _has_maintainer(f) for f in _added_files(patch)):
                    log("lint", f"{name}: expected: new files are covered by "
                        "MAINTAINERS already")
                else:
                    log("lint", f"{name}: {line}")
                    problems += 1
    if problems:
        raise Failure(f"checkpatch --strict: {problems} findings")
    log("lint", "checkpatch --strict: clean but for the expected findings")
