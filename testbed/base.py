# SPDX-License-Identifier: GPL-2.0
"""Stage 1, base: the Linux 7.3 source the series applies to.

Either Debian's linux-source-7.3 package, fetched without touching the
system's apt configuration (a private sources list and lists folder under
the cache), or the user's own git tree given as KDIR=/path/to/linux.
"""

import glob
import os

from common import CACHE, Failure, Stage, log, run

PACKAGE = "linux-source-7.3"
SUITE = "trixie-backports"
MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


def _apt_options(aptdir):
    return ["-o", f"Dir::Etc::SourceList={aptdir}/sources.list",
            "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={aptdir}/lists",
            "-o", f"Dir::Cache={aptdir}/cache",
            "-o", "Debug::NoLocking=1"]


def debian_tarball():
    """Download linux-source-7.3 once; return (tarball path, version)."""
    aptdir = os.path.join(CACHE, "apt")
    os.makedirs(os.path.join(aptdir, "lists", "partial"), exist_ok=True)
    os.makedirs(os.path.join(aptdir, "cache", "archives", "partial"),
                exist_ok=True)
    with open(os.path.join(aptdir, "sources.list"), "w") as f:
        f.write(f"deb [signed-by={KEYRING}] {MIRROR} {SUITE} main\n")
    opts = _apt_options(aptdir)

    debs = sorted(glob.glob(os.path.join(CACHE, f"{PACKAGE}_*.deb")))
    if not debs:
        with Stage("base", f"apt-get download {PACKAGE} ({SUITE})"):
            run(["apt-get", *opts, "-q", "update"],
                logfile=os.path.join(CACHE, "apt-update.log"))
            run(["apt-get", *opts, "-q", "download", PACKAGE], cwd=CACHE,
                logfile=os.path.join(CACHE, "apt-download.log"))
        debs = sorted(glob.glob(os.path.join(CACHE, f"{PACKAGE}_*.deb")))
        if not debs:
            raise Failure(f"apt-get download left no {PACKAGE} .deb in {CACHE}")
    deb = debs[-1]
    version = os.path.basename(deb).split("_")[1]

    unpacked = os.path.join(CACHE, f"deb-{version}")
    tarball = os.path.join(unpacked, "usr", "src", f"{PACKAGE}.tar.xz")
    if not os.path.exists(tarball):
        with Stage("base", f"unpack {os.path.basename(deb)}"):
            run(["dpkg-deb", "-x", deb, unpacked])
    log("base", f"Debian {PACKAGE} {version}: {tarball}")
    return tarball, version
