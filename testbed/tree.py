# SPDX-License-Identifier: GPL-2.0
"""Stage tree: the Linux base, a git work tree with the series applied, and
the way back.

The base is Debian's linux-source-7.3 (from trixie-backports, fetched by
debian.py), or the user's own git tree given as KDIR=/path/to/linux.

What is applied, in order, is SERIES: a prerequisite that is not ours to
send (series/prerequisite/, kvmarm/next has the fix), then the two series
for the list, each in its folder of patches/ with its cover letter: the
fixes, then the feature on top of them. The work tree tags the last
commit of each with the series' name; the base is tagged "upstream".

  make_tree()  the base commit, then `git am` of each series.
  make_upstream_tree()  a second work tree at "upstream", for the kernel
               without the series.
  export()     `git format-patch` of each series into its folder,
               deterministic, with its cover letter from series/NAME.txt,
               and a copy of every file the series create at its kernel
               path here.
  check()      the repo's kernel-path files are exactly what the series
               create, byte for byte.
"""

import filecmp
import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import debian
from common import (BUILD, CACHE, KERNEL_PATHS, PATCHES, REPO, SERIES, TREE,
                    Failure, Stage, git, log, run)

BASE_DATE = "2026-01-01T00:00:00Z"
# The placeholder author of the series (and so of its cover letter): no
# person is named; whoever sends the series takes authorship (README).
SERIES_AUTHOR = {"GIT_COMMITTER_NAME": "kvm-serror-series",
                 "GIT_COMMITTER_EMAIL": "kvm-serror-series@example.invalid"}
UPSTREAM = "upstream"           # the tag of the base commit
PACKAGE = "linux-source-7.3"
SUITE = "trixie-backports"


@dataclass(frozen=True)
class Series:
    name: str                   # its folder, and the work tree's tag
    mailed: bool = True         # for the list: -v, a cover letter, To/Cc
    version: int = 1            # for the list: [PATCH vN]

    @property
    def folder(self):
        return os.path.join(PATCHES if self.mailed else SERIES, self.name)

    @property
    def cover(self):
        return os.path.join(SERIES, f"{self.name}.txt")

    def patches(self):
        return [p for p in sorted(glob.glob(os.path.join(self.folder,
                                                         "*.patch")))
                if "0000-cover-letter" not in os.path.basename(p)]


SERIES_LIST = [
    # kvmarm/next's 3708f6342f01 fixes the same pKVM bug for 7.4: our
    # patch for it goes on 7.3 first, so that pKVM runs pass, and is not
    # sent (its commit message says so).
    Series("prerequisite", mailed=False),
    Series("fixes", version=5),
    Series("serror-exit", version=4),
]
FEATURE = SERIES_LIST[-1].name


def upstream_tree():
    return os.path.join(BUILD, "upstream", "linux")


def _debian_tarball():
    """Download linux-source-7.3 once; return (tarball path, version)."""
    deb = debian.download(PACKAGE, SUITE, os.path.join(CACHE, "debs"))
    version = debian.version(deb)
    unpacked = os.path.join(CACHE, f"{PACKAGE}-{version}")
    tarball = os.path.join(unpacked, "usr", "src", f"{PACKAGE}.tar.xz")
    if not os.path.exists(tarball):
        with Stage("tree", f"unpack {os.path.basename(deb)}"):
            run(["dpkg-deb", "-x", deb, unpacked])
    log("tree", f"Debian {PACKAGE} {version}: {tarball}")
    return tarball, version


def series_patches():
    """The patches to apply, in order, without the cover letters."""
    return [p for s in SERIES_LIST for p in s.patches()]


def _ranges():
    """(series, first..last) of each series in the work tree, by tags."""
    prev, out = UPSTREAM, []
    for s in SERIES_LIST:
        end = "HEAD" if s.name == FEATURE else s.name
        if git("merge-base", "--is-ancestor", end, "HEAD", check=False,
               full=True).returncode:
            raise Failure(f"tag {end} is not on the series branch: tag the "
                          f"last commit of {s.name} (git tag -f {s.name})")
        out.append((s, f"{prev}..{end}"))
        prev = end
    return out


def _has_base():
    return (os.path.isdir(os.path.join(TREE, ".git")) and
            git("rev-parse", "-q", "--verify", f"refs/tags/{UPSTREAM}",
                check=False).strip() != "")


def _create(kdir):
    if os.path.exists(TREE):
        shutil.rmtree(TREE)
    os.makedirs(BUILD, exist_ok=True)
    if kdir:
        with Stage("tree", f"clone {kdir} (shared objects)"):
            run(["git", "clone", "-q", "--shared", kdir, TREE])
            git("tag", UPSTREAM, "HEAD")
        return

    tarball, version = _debian_tarball()
    with Stage("tree", "untar and commit the base"):
        tmp = TREE + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        run(["tar", "-xf", tarball, "-C", tmp, "--strip-components=1"])
        os.rename(tmp, TREE)
        git("init", "-q", "-b", "series")
        # Debian's .gitignore ignores every top-level entry: -f to add them.
        git("add", "-f", "-A", ".")
        git("commit", "-q", "-m",
            f"Linux {kernel_version()} (Debian linux-source-7.3 {version})",
            env={"GIT_AUTHOR_DATE": BASE_DATE})
        git("tag", UPSTREAM)


def kernel_version():
    with open(os.path.join(TREE, "Makefile")) as f:
        head = f.read(400)
    v = dict(re.findall(r"^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION) = ?(.*)$",
                        head, re.M))
    return f"{v['VERSION']}.{v['PATCHLEVEL']}.{v['SUBLEVEL']}{v['EXTRAVERSION']}"


def _series_in_tree():
    """The commits of the series, oldest first."""
    out = git("log", "--reverse", "--format=%H", f"{UPSTREAM}..HEAD").split()
    return out


def make_tree(kdir=None, force=False):
    """Create the work tree if needed, reset it to the base and apply
    patches/."""
    if kdir and _has_base():
        origin = git("config", "--get", "remote.origin.url", check=False).strip()
        if os.path.realpath(origin) != os.path.realpath(kdir):
            force = True
    if not _has_base() or (kdir and force):
        _create(kdir)
    log("tree", f"base: {git('log', '-1', '--format=%h %s', UPSTREAM).strip()}")

    patches = series_patches()
    if _series_in_tree() and not force:
        # Keep work in progress: only replace commits that patches/ has.
        if git("status", "--porcelain", "--untracked-files=no").strip():
            raise Failure(f"{TREE} has uncommitted changes: commit them and "
                          "run 'tb export', or pass --force to discard them")
        if not _same_as_patches(patches):
            raise Failure(f"{TREE} has commits that differ from patches/: "
                          "run 'tb export' first, or --force to discard them")

    with Stage("tree", f"apply {len(patches)} patches with git am"):
        git("am", "--abort", check=False)
        git("checkout", "-q", "-B", "series", UPSTREAM)
        git("reset", "-q", "--hard", UPSTREAM)
        for s in SERIES_LIST:
            for p in s.patches():
                res = git("am", "-q", p, check=False, full=True)
                if res.returncode:
                    git("am", "--abort", check=False)
                    raise Failure(f"git am {os.path.basename(p)} failed:\n"
                                  f"{res.stdout}{res.stderr}")
                log("tree", f"  applied {s.name}/{os.path.basename(p)}")
            git("tag", "-f", s.name)
    _check_created_tracked()


def _same_as_patches(patches):
    """True when upstream..HEAD is the series in patches/ (same patch
    ids)."""
    def ids(text):
        res = subprocess.run(["git", "patch-id", "--stable"], input=text,
                             text=True, capture_output=True, cwd=TREE)
        return [line.split()[0] for line in res.stdout.splitlines()]

    tree_ids = ids(git("format-patch", "--stdout", f"{UPSTREAM}..HEAD"))
    file_ids = []
    for p in patches:
        with open(p) as f:
            file_ids += ids(f.read())
    return tree_ids == file_ids


def _created_files():
    out = git("diff", "--name-only", "--diff-filter=A", UPSTREAM, "HEAD")
    return sorted(out.split())


def added_files(patch):
    """The files a patch file creates."""
    with open(patch, errors="replace") as f:
        text = f.read()
    return re.findall(r"^diff --git a/\S+ b/(\S+)\nnew file mode", text, re.M)


def _check_created_tracked():
    # Debian's .gitignore would hide new files from a plain `git add`:
    # make sure each file a patch creates is really in HEAD after git am.
    tracked = set(_created_files())
    for patch in series_patches():
        for path in added_files(patch):
            if path not in tracked:
                raise Failure(f"{os.path.basename(patch)} creates {path}, "
                              "but git am did not track it")


def export():
    """format-patch each series into its folder and copy the files they
    create."""
    if not _has_base():
        raise Failure("no work tree: run 'tb tree' first")
    for s, revs in _ranges():
        with Stage("export", f"git format-patch {revs} into "
                   f"{os.path.relpath(s.folder, REPO)}"):
            for old in glob.glob(os.path.join(s.folder, "*.patch")):
                os.remove(old)
            os.makedirs(s.folder, exist_ok=True)
            count = len(git("rev-list", revs).split())
            if s.mailed:
                to, cc = _recipients(revs)
                git("format-patch", "-q", f"-v{s.version}", "--cover-letter",
                    "--zero-commit", "--no-signature", "--thread=shallow",
                    "-o", s.folder,
                    *[f"--to={a}" for a in to], *[f"--cc={a}" for a in cc],
                    revs, env=SERIES_AUTHOR)
                _fill_cover_letter(s, revs)
            else:
                git("format-patch", "-q", "--zero-commit", "--no-signature",
                    "-o", s.folder, revs, env=SERIES_AUTHOR)
            _mail_headers(s)
            log("export", f"{s.name}: {count} patches")
    _copy_created()
    check()


def _recipients(revs):
    """To: the maintainers, Cc: the reviewers and lists, as
    scripts/get_maintainer.pl finds them for the series @revs."""
    series = os.path.join(BUILD, "series.mbox")
    with open(series, "w") as f:
        f.write(git("format-patch", "--stdout", revs))
    res = subprocess.run([os.path.join(TREE, "scripts/get_maintainer.pl"),
                          "--no-git", "--no-git-fallback", series],
                         cwd=TREE, capture_output=True, text=True)
    to, cc = [], []
    for line in res.stdout.splitlines():
        addr, _, role = line.partition(" (")
        if not addr.strip():
            continue
        (to if role.startswith("maintainer:") else cc).append(addr.strip())
    return to, cc


def _fill_cover_letter(s, revs):
    """Put series/NAME.txt (subject line, blank line, body) into the
    generated cover letter, and give it the date of the last patch so that
    nothing changes when nothing changed."""
    path, = glob.glob(os.path.join(s.folder, "*0000-cover-letter.patch"))
    with open(path) as f:
        text = f.read()
    subject, body = "*** SUBJECT HERE ***", "*** BLURB HERE ***"
    if os.path.exists(s.cover):
        with open(s.cover) as f:
            subject, _, body = f.read().partition("\n\n")
        subject, body = subject.strip(), body.rstrip("\n")
    last_date = git("log", "-1", "--format=%aD",
                    revs.split("..")[1]).strip()
    text = text.replace("*** SUBJECT HERE ***", subject, 1)
    text = text.replace("*** BLURB HERE ***", body, 1)
    text = re.sub(r"^Date: .*$", f"Date: {last_date}", text, count=1,
                  flags=re.M)
    with open(path, "w") as f:
        f.write(text)


def _mail_headers(s):
    """Stable Message-IDs (git's carry the time), and Subject: lines on one
    line: b4 0.12 (Debian bookworm) fails on a folded Subject:."""
    def msgid(n):
        return f"<kvm-serror-{s.name}.v{s.version}.{n:04d}@example.invalid>"

    for path in sorted(glob.glob(os.path.join(s.folder, "*.patch"))):
        n = int(re.sub(r"^v\d+-", "", os.path.basename(path))[:4])
        with open(path) as f:
            head, sep, body = f.read().partition("\n\n")
        head = re.sub(r"^(Subject: .*)\n[ \t]+(.*)$", r"\1 \2", head,
                      flags=re.M)
        head = re.sub(r"^Message-ID: <[^>]*>$", f"Message-ID: {msgid(n)}",
                      head, flags=re.M | re.I)
        head = re.sub(r"^(In-Reply-To|References): <[^>]*>$",
                      rf"\1: {msgid(0)}", head, flags=re.M | re.I)
        with open(path, "w") as f:
            f.write(head + sep + body)


def _copy_created():
    for path in _created_files():
        dst = os.path.join(REPO, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(TREE, path), dst)


def _repo_kernel_files():
    found = []
    for top in KERNEL_PATHS:
        for dirpath, _, files in os.walk(os.path.join(REPO, top)):
            for name in files:
                found.append(os.path.relpath(os.path.join(dirpath, name), REPO))
    return sorted(found)


def check():
    """Fail when the repo's kernel-path files and the series disagree."""
    created = _created_files()
    present = _repo_kernel_files()
    problems = []
    for path in created:
        if path not in present:
            problems.append(f"missing here: {path} (the series creates it)")
        elif not filecmp.cmp(os.path.join(REPO, path),
                             os.path.join(TREE, path), shallow=False):
            problems.append(f"differs: {path} (repo copy vs. the series)")
    for path in present:
        if path not in created:
            problems.append(f"not created by the series: {path}")
    for p in problems:
        log("check", p)
    if problems:
        raise Failure(f"{len(problems)} kernel-path files disagree with the "
                      "series: run 'tb export' after changing the tree")
    log("check", f"{len(created)} files created by the series match the repo")


def make_upstream_tree():
    """A git worktree of the work tree at the base, for the kernel without
    the series; laid out like build/ (linux/ beside its kbuild folders)."""
    wt = upstream_tree()
    if not os.path.isdir(wt):
        os.makedirs(os.path.dirname(wt), exist_ok=True)
        git("worktree", "prune")
        git("worktree", "add", "-q", "--detach", wt, UPSTREAM)
    git("checkout", "-q", "--force", "--detach", UPSTREAM, cwd=wt)
