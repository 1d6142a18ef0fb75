# SPDX-License-Identifier: GPL-2.0
"""Stage build, for QEMU: QEMU 10.2.2, the upstream tarball of Debian sid's
source package (Debian's "+ds" repack, without Debian's patches), the
project's patches from qemu/ on top with `git am`, built with meson/ninja
and ccache; and QEMU's own tests of what the patches add.

  tcg        qemu-system-aarch64 for this machine, TCG: the machine every
             target boots (targets.py), with the error injector; its
             qtest and the TCG system tests (tests/tcg/aarch64) come from
             this build too.
  kvm-arm64  qemu-system-aarch64 for the targets' arm64 hosts, KVM only,
             static, the virt board and little else: the VMM that the vmm
             suite runs on them (vmm.py). Cross-built with Debian's
             aarch64-linux-gnu-gcc against a private sysroot of Debian's
             arm64 -dev packages (bookworm), unpacked with dpkg-deb -x: the
             system gets no foreign architecture and no arm64 package.

QEMU 10 needs meson >= 1.5; bookworm has 1.0.1, so the meson of
bookworm-backports is installed when the system's is older.
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import debian
from common import (BUILD, CACHE, JOBS, REPO, TESTBED, Failure, Stage, git,
                    log, run)

PACKAGE = "qemu"
# The newest QEMU source the Debian mirror serves: sid lists 11.1, but only
# 10.2.2's files download.
VERSION = "1:10.2.2+ds-1"
SUITE = "sid"
QEMU = os.path.join(BUILD, "qemu")
SRC = os.path.join(QEMU, "src")
PATCH_GROUPS = ("test-hardware", "vmm")


@dataclass(frozen=True)
class Build:
    name: str
    configure: tuple
    target: str = "qemu-system-aarch64"
    # A cross build: Debian's arm64 -dev packages (bookworm) that make its
    # sysroot. The configure arguments may name the sysroot as {sysroot} and
    # a file of testbed/configs/ as {configs}/NAME (for --with-devices-*,
    # which takes a path relative to the source's configs/devices/<target>/).
    sysroot_packages: tuple = ()

    @property
    def folder(self):
        return os.path.join(QEMU, self.name)

    @property
    def binary(self):
        return os.path.join(self.folder, self.target)

    @property
    def sysroot(self):
        return os.path.join(QEMU, f"{self.name}-sysroot")

    def configure_args(self, src):
        configs = os.path.relpath(os.path.join(TESTBED, "configs"),
                                  os.path.join(src, "configs", "devices",
                                               "aarch64-softmmu"))
        return [os.path.join(src, "configure"),
                *(a.format(sysroot=self.sysroot, configs=configs)
                  for a in self.configure)]


BUILDS = {b.name: b for b in [
    # The machine every target boots: TCG, the virt board's devices only
    # (configs/qemu-virt.mak), a third fewer objects than all the boards.
    # Neither build has debug information: it makes a cold build a quarter
    # slower, for backtraces that the symbols give well enough.
    # It has the error injector (configs/qemu-virt-tcg.mak), and the
    # cross compiler of QEMU's TCG tests. In both builds warnings are
    # errors, as in QEMU's CI: our patches must add none.
    Build("tcg", ("--python=/usr/bin/python3", "--cc=ccache gcc",
                  "--target-list=aarch64-softmmu", "--disable-debug-info",
                  "--disable-docs",
                  "--enable-werror", "--disable-download", "--disable-tools",
                  "--disable-guest-agent", "--disable-slirp", "--disable-vnc",
                  "--disable-gtk", "--disable-sdl", "--disable-opengl",
                  "--disable-install-blobs", "--without-default-devices",
                  "--with-devices-aarch64={configs}/qemu-virt-tcg",
                  "--cross-prefix-aarch64=aarch64-linux-gnu-")),
    # KVM only (no TCG), static, every optional feature off but the device
    # tree (libfdt) the virt board needs; the virt board's devices. The
    # cross file that
    # meson gets is configure's, from --cross-prefix; its pkg-config is the
    # sysroot's (_sysroot()). libfdt has no .pc: -isystem finds its header,
    # and -B adds the library folder to the search path that gcc prints,
    # where meson's find_library() looks for a static library (a cross gcc
    # ignores LIBRARY_PATH, and find_library() ignores -L).
    Build("kvm-arm64", ("--python=/usr/bin/python3",
                        "--cross-prefix=aarch64-linux-gnu-",
                        "--cc=ccache aarch64-linux-gnu-gcc",
                        "--target-list=aarch64-softmmu", "--static",
                        "--disable-tcg", "--enable-kvm",
                        "--without-default-features",
                        "--without-default-devices",
                        "--with-devices-aarch64={configs}/qemu-virt",
                        "--enable-fdt=system", "--disable-debug-info",
                        "--disable-docs",
                        "--enable-werror", "--disable-download",
                        "--disable-tools", "--disable-guest-agent",
                        "--disable-install-blobs",
                        "--extra-cflags=-isystem {sysroot}/usr/include "
                        "-B{sysroot}/usr/lib/aarch64-linux-gnu/"),
          sysroot_packages=("libglib2.0-dev", "libpcre2-dev", "zlib1g-dev",
                            "libfdt-dev")),
]}


def binary(name):
    return BUILDS[name].binary


def patches():
    """The project's QEMU patches, in the order they apply."""
    found = []
    for group in PATCH_GROUPS:
        found += [p for p in sorted(glob.glob(os.path.join(REPO, "qemu", group,
                                                           "*.patch")))
                  if not os.path.basename(p).startswith("0000-")]
    return found


# What the testbed changes in the tarball to build offline, before the
# project's patches (file, text, replacement). Debian's +ds tarball ships
# neither the Python wheels nor the firmware blobs:
#  - configure installs pycotap, which only `meson test` uses, in its venv,
#    from PyPI or python/wheels; bookworm has no package of it;
#  - meson.build unpacks the edk2 blobs when bzip2 is there, and fails on
#    the missing ones.
BUILD_FIXES = (
    ("pythondeps.toml", 'pycotap = { accepted = ">=1.1.0", installed = '
     '"1.3.1" }\n', ""),
    ("meson.build", "    unpack_edk2_blobs = bzip2.found()\n",
     "    unpack_edk2_blobs = false\n"),
)


def _stamp(tarball):
    h = hashlib.sha256(os.path.basename(tarball).encode())
    h.update(repr(BUILD_FIXES).encode())
    for p in patches():
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def _build_fixes(src):
    """BUILD_FIXES, committed, tagged "testbed"."""
    for name, old, new in BUILD_FIXES:
        path = os.path.join(src, name)
        with open(path) as f:
            text = f.read()
        if old not in text:
            raise Failure(f"{name}: the testbed's build fix no longer "
                          f"applies ({old.strip()!r} is gone)")
        with open(path, "w") as f:
            f.write(text.replace(old, new, 1))
    git("commit", "-q", "-a", "-m", "testbed: build offline from the +ds "
        "tarball (pycotap, edk2 blobs)", cwd=src)
    git("tag", "testbed", cwd=src)


def source():
    """The patched source tree, made again when a patch or the tarball
    changed. Tags: "upstream" (the tarball), "testbed" (BUILD_FIXES)."""
    tarball = debian.orig_tarball(PACKAGE, VERSION, SUITE,
                                  os.path.join(CACHE, "qemu-source"))
    stamp_file = os.path.join(QEMU, "src.stamp")
    stamp = _stamp(tarball)
    if os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        return SRC
    with Stage("qemu", f"unpack {os.path.basename(tarball)}, apply qemu/"):
        shutil.rmtree(SRC, ignore_errors=True)
        os.makedirs(SRC)
        run(["tar", "-xf", tarball, "-C", SRC, "--strip-components=1",
             "--no-same-owner"])
        git("init", "-q", "-b", "patched", cwd=SRC)
        git("add", "-f", "-A", ".", cwd=SRC)
        git("commit", "-q", "-m", f"QEMU {VERSION} (upstream tarball)",
            cwd=SRC)
        git("tag", "upstream", cwd=SRC)
        _build_fixes(SRC)
        for p in patches():
            res = git("am", "-q", p, cwd=SRC, check=False, full=True)
            if res.returncode:
                git("am", "--abort", cwd=SRC, check=False)
                raise Failure(f"git am {os.path.relpath(p, REPO)} failed:\n"
                              f"{res.stdout}{res.stderr}")
        log("qemu", f"{len(patches())} patches applied")
    with open(stamp_file, "w") as f:
        f.write(stamp)
    return SRC


def _meson_version():
    try:
        out = subprocess.run(["meson", "--version"], capture_output=True,
                             text=True).stdout
    except FileNotFoundError:
        return (0,)
    return tuple(int(x) for x in re.findall(r"\d+", out)[:2])


def ensure_meson():
    if _meson_version() >= (1, 5):
        return
    deb = debian.download("meson", "bookworm-backports",
                          os.path.join(CACHE, "debs"))
    with Stage("qemu", f"install {os.path.basename(deb)} (QEMU 10 needs "
               "meson >= 1.5)"):
        run(["apt-get", "install", "-q", "-y", "--no-install-recommends",
             deb], env={"DEBIAN_FRONTEND": "noninteractive"},
            logfile=os.path.join(QEMU, "meson-install.log"))


SYSROOT_ARCH = "arm64"
SYSROOT_SUITE = "bookworm"
SYSROOT_TRIPLET = "aarch64-linux-gnu"


def _sysroot(b):
    """Debian's arm64 -dev packages of @b unpacked into its sysroot, made
    again when the list changes, and a pkg-config there that looks only in
    it. Returns that pkg-config."""
    pkgconfig = os.path.join(b.sysroot, "pkg-config")
    stamp_file = os.path.join(b.sysroot, "packages.stamp")
    stamp = " ".join(b.sysroot_packages)
    if os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        return pkgconfig
    debs = [debian.download(p, SYSROOT_SUITE,
                            os.path.join(CACHE, f"debs-{SYSROOT_ARCH}"),
                            arch=SYSROOT_ARCH) for p in b.sysroot_packages]
    with Stage("qemu", f"{b.name}: sysroot of {len(debs)} {SYSROOT_ARCH} "
               "-dev packages"):
        shutil.rmtree(b.sysroot, ignore_errors=True)
        os.makedirs(b.sysroot)
        for deb in debs:
            run(["dpkg-deb", "-x", deb, b.sysroot])
        libdir = ":".join(os.path.join(b.sysroot, d) for d in (
            f"usr/lib/{SYSROOT_TRIPLET}/pkgconfig", "usr/share/pkgconfig"))
        with open(pkgconfig, "w") as f:
            f.write("#!/bin/sh\n"
                    f"# pkg-config for {SYSROOT_TRIPLET}: the sysroot's .pc "
                    "files only, paths in it\n"
                    f"PKG_CONFIG_LIBDIR={libdir}\n"
                    f"PKG_CONFIG_SYSROOT_DIR={b.sysroot}\n"
                    "export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR\n"
                    "unset PKG_CONFIG_PATH\n"
                    'exec pkg-config "$@"\n')
        os.chmod(pkgconfig, 0o755)
    with open(stamp_file, "w") as f:
        f.write(stamp)
    return pkgconfig


def _env(build):
    env = {"CCACHE_DIR": os.path.join(CACHE, "ccache-qemu"),
           "CCACHE_BASEDIR": QEMU, "CCACHE_NOHASHDIR": "1",
           "CCACHE_MAXSIZE": "3G"}
    env.update(_sysroot_env(build))
    return env


def _sysroot_env(b):
    """PKG_CONFIG, which configure writes into meson's cross file."""
    if not b.sysroot_packages:
        return {}
    return {"PKG_CONFIG": os.path.join(b.sysroot, "pkg-config")}


def configure(b, src):
    """Configure @b from @src into its folder, unless it was configured with
    the same arguments (and sysroot) already."""
    if b.sysroot_packages:
        _sysroot(b)
    os.makedirs(b.folder, exist_ok=True)
    args = b.configure_args(src)
    stamp = " ".join(args + [f"{k}={v}" for k, v in
                             sorted(_sysroot_env(b).items())] +
                     list(b.sysroot_packages))
    stamp_file = os.path.join(b.folder, "configure.stamp")
    if not (os.path.exists(stamp_file) and
            open(stamp_file).read() == stamp and
            os.path.exists(os.path.join(b.folder, "build.ninja"))):
        with Stage("qemu", f"{b.name}: configure"):
            run(args, cwd=b.folder, env=_env(b),
                logfile=os.path.join(b.folder, "configure.log"))
        with open(stamp_file, "w") as f:
            f.write(stamp)


def build(name):
    b = BUILDS[name]
    src = source()
    ensure_meson()
    configure(b, src)
    with Stage("qemu", f"{name}: ninja {b.target} (-j{JOBS}, ccache)"):
        run(["ninja", f"-j{JOBS}", b.target], cwd=b.folder, env=_env(b),
            logfile=os.path.join(b.folder, "ninja.log"),
            progress=lambda lines: lines[-1].split("]")[0].strip("[ \n")
            if lines else "starting")
    log("qemu", f"{b.binary}: {os.path.getsize(b.binary) / 2**20:.0f} MiB")
    return b.binary


def export(group, tree, revs, prefix="PATCH"):
    """`git format-patch` of @revs in the QEMU git tree @tree into
    qemu/@group/, deterministic, with the cover letter's subject and text
    from qemu/@group/cover-letter.txt (subject line, blank line, body),
    and @prefix in the subjects ("RFC PATCH" for the VMM side, whose
    kernel uAPI is not merged)."""
    out = os.path.join(REPO, "qemu", group)
    cover = os.path.join(out, "cover-letter.txt")
    for old in glob.glob(os.path.join(out, "*.patch")):
        os.remove(old)
    author = {"GIT_COMMITTER_NAME": "kvm-serror-series",
              "GIT_COMMITTER_EMAIL": "kvm-serror-series@example.invalid"}
    git("format-patch", "-q", "--cover-letter", "--zero-commit",
        f"--subject-prefix={prefix}", "--no-signature", "--thread=shallow", "-o", out, revs, cwd=tree,
        env=author)
    with open(cover) as f:
        subject, _, body = f.read().partition("\n\n")
    path = os.path.join(out, "0000-cover-letter.patch")
    with open(path) as f:
        text = f.read()
    last_date = git("log", "-1", "--format=%aD", revs.split("..")[-1],
                    cwd=tree).strip()
    text = text.replace("*** SUBJECT HERE ***", subject.strip(), 1)
    text = text.replace("*** BLURB HERE ***", body.rstrip("\n"), 1)
    text = re.sub(r"^Date: .*$", f"Date: {last_date}", text, count=1,
                  flags=re.M)
    with open(path, "w") as f:
        f.write(text)
    for path in sorted(glob.glob(os.path.join(out, "*.patch"))):
        n = int(os.path.basename(path)[:4])
        with open(path) as f:
            head, sep, body = f.read().partition("\n\n")
        head = re.sub(r"^(Subject: .*)\n[ \t]+(.*)$", r"\1 \2", head,
                      flags=re.M)
        head = re.sub(r"^Message-ID: <[^>]*>$",
                      f"Message-ID: <qemu-{group}.{n:04d}@example.invalid>",
                      head, flags=re.M | re.I)
        head = re.sub(r"^(In-Reply-To|References): <[^>]*>$",
                      rf"\1: <qemu-{group}.0000@example.invalid>", head,
                      flags=re.M | re.I)
        with open(path, "w") as f:
            f.write(head + sep + body)
    log("export", f"qemu/{group}: {len(glob.glob(os.path.join(out, '0*.patch'))) - 1}"
        " patches")
