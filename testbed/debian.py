# SPDX-License-Identifier: GPL-2.0
"""Debian packages the testbed fetches without touching the system's apt
configuration: a private sources list, lists and cache under the testbed's
cache folder, one per suite. Serves the Linux base (linux-source-7.3 from
trixie-backports), the QEMU source (the upstream tarball of sid's source
package), the meson that QEMU 10 needs (bookworm-backports), and arm64
packages unpacked, not installed (bookworm): the -dev packages of the arm64
QEMU's sysroot, and busybox-static for the initramfs' /bin/sh.
"""

import glob
import os

from common import CACHE, Failure, Stage, run

MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def _apt(suite, kind="deb", arch=None, refresh=False):
    """apt-get options for a private configuration that sees one suite (of
    one architecture), and its folder. The lists are fetched once."""
    aptdir = os.path.join(CACHE, "apt", "-".join(filter(None, (suite, kind,
                                                              arch))))
    for sub in ("lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(aptdir, sub), exist_ok=True)
    sources = os.path.join(aptdir, "sources.list")
    with open(sources, "w") as f:
        f.write(f"{kind} [signed-by={KEYRING}] {MIRROR} {suite} main\n")
    opts = ["-o", f"Dir::Etc::SourceList={sources}",
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={aptdir}/lists",
            "-o", f"Dir::Cache={aptdir}/cache",
            "-o", "Debug::NoLocking=1"]
    if arch:
        opts += ["-o", f"APT::Architectures::={arch}",
                 "-o", f"APT::Architecture={arch}"]
    fetched = [n for n in os.listdir(os.path.join(aptdir, "lists"))
               if n != "partial"]
    if refresh or not fetched:
        run(["apt-get", *opts, "-q", "update"],
            logfile=os.path.join(aptdir, "update.log"))
    return opts, aptdir


def _apt_get(suite, kind, arch, verb, dest, log):
    """apt-get @verb in @dest; on failure refresh the lists and try again
    (an old list names a version the mirror no longer has)."""
    for refresh in (False, True):
        opts, aptdir = _apt(suite, kind, arch, refresh)
        res = run(["apt-get", *opts, "-q", *verb], cwd=dest,
                  logfile=os.path.join(aptdir, log), check=refresh)
        if res.returncode == 0:
            return


def _once(dest, pattern, stage, fetch):
    """The newest file matching @pattern in @dest, fetched there by @fetch
    (in a Stage named @stage) if there is none yet."""
    found = sorted(glob.glob(os.path.join(dest, pattern)))
    if not found:
        os.makedirs(dest, exist_ok=True)
        with Stage("fetch", stage):
            fetch()
        found = sorted(glob.glob(os.path.join(dest, pattern)))
        if not found:
            raise Failure(f"{stage} left no {pattern} in {dest}")
    return found[-1]


def download(package, suite, dest, arch=None):
    """The .deb of @package (of @arch, default the machine's) from @suite,
    downloaded once into @dest."""
    return _once(dest, f"{package}_*_{arch or '*'}.deb",
                 f"apt-get download {package} ({suite}"
                 f"{', ' + arch if arch else ''})",
                 lambda: _apt_get(suite, "deb", arch, ["download", package],
                                  dest, f"download-{package}.log"))


def source(package, suite, dest):
    """The source package of @package from @suite (.dsc and tarballs),
    downloaded once into @dest. Returns the .dsc."""
    return _once(dest, f"{package}_*.dsc",
                 f"apt-get source {package} ({suite})",
                 lambda: _apt_get(suite, "deb-src", None,
                                  ["source", "--download-only", package],
                                  dest, f"source-{package}.log"))


def orig_tarball(package, version, suite, dest):
    """The upstream tarball (.orig.tar.*) of source package @package at
    @version (epoch included, as apt-get takes it) from @suite, downloaded
    once into @dest, without Debian's packaging. Returns its path."""
    upstream = version.split(":")[-1].rsplit("-", 1)[0]
    return _once(dest, f"{package}_{upstream}.orig.tar.*",
                 f"apt-get source --tar-only {package}={version} ({suite})",
                 lambda: _apt_get(suite, "deb-src", None,
                                  ["source", "--download-only", "--tar-only",
                                   f"{package}={version}"],
                                  dest, f"source-{package}.log"))


def version(path):
    """The version in a .deb or .dsc file name."""
    return os.path.basename(path).split("_")[1].removesuffix(".dsc")
