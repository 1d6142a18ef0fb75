# SPDX-License-Identifier: GPL-2.0
"""Stage config and build, for the kernel: the arm64 host kernels, the KVM
selftests and the project's own tests (tests/), cross-built with Debian's
aarch64 gcc and ccache.

Three kernels, all allnoconfig plus fragments from testbed/configs/ (every
option a fragment sets must survive olddefconfig, or the stage fails):

  test      the series, test.config + acpi.config: small, what most runs
            boot, the UEFI + ACPI hosts among them;
  debug     the series, test.config + debug.config: lockdep, KASAN, UBSAN,
            kmemleak, about 4 times slower;
  upstream  the unpatched base (tree.py's tag "upstream"), test.config +
            acpi.config: to show what the emulated hardware does to a kernel
            without the series.
"""

import filecmp
import hashlib
import os
import re
import shutil
from dataclasses import dataclass

import tree
from common import (ARCH, BUILD, CACHE, CROSS, JOBS, REPO, TESTBED, Failure,
                    Stage, git, log, run)

CONFIGS = os.path.join(TESTBED, "configs")


@dataclass(frozen=True)
class Kernel:
    name: str
    fragments: tuple
    series: bool = True         # with the series, or the unpatched base
    timeout_scale: int = 1      # how much slower its tests run
    # The kbuild folder's name: the same for the same config in two trees,
    # so that ccache sees the same relative paths (see make_env()).
    kbuild_name: str = ""

    @property
    def source(self):
        return tree.TREE if self.series else tree.upstream_tree()

    @property
    def kbuild(self):
        return os.path.join(os.path.dirname(self.source),
                            f"kbuild-{self.kbuild_name or self.name}")

    @property
    def image(self):
        return os.path.join(self.kbuild, "arch", "arm64", "boot", "Image")


KERNELS = {k.name: k for k in [
    Kernel("test", ("test.config", "acpi.config")),
    Kernel("debug", ("test.config", "debug.config"), timeout_scale=4),
    Kernel("upstream", ("test.config", "acpi.config"), series=False,
           kbuild_name="test"),
]}


def make_env(source):
    """ccache settings that let every tree share one cache: paths relative
    to the folder that holds the tree and its kbuild folders, and the tree's
    own path, which the kernel maps to "" in -fmacro-prefix-map, left out of
    the hash."""
    return {"CCACHE_DIR": os.path.join(CACHE, "ccache"),
            "CCACHE_DEPEND": "1", "CCACHE_MAXSIZE": "5G",
            "CCACHE_BASEDIR": os.path.dirname(source),
            "CCACHE_NOHASHDIR": "1",
            "CCACHE_IGNOREOPTIONS": "-fmacro-prefix-map=* -ffile-prefix-map=*",
            "KBUILD_BUILD_TIMESTAMP": "2026-01-01",
            "KBUILD_BUILD_USER": "testbed", "KBUILD_BUILD_HOST": "testbed"}


def make(source, kbuild, *targets, logname, progress=None, extra=(),
         check=True):
    cmd = ["make", "-C", source, f"O={kbuild}", f"ARCH={ARCH}",
           f"CROSS_COMPILE=ccache {CROSS}", f"-j{JOBS}", *extra, *targets]
    return run(cmd, env=make_env(source),
               logfile=os.path.join(BUILD, "logs", logname),
               progress=progress, check=check)


def _wanted_options(fragments):
    wanted = {}
    for frag in fragments:
        with open(os.path.join(CONFIGS, frag)) as f:
            for line in f:
                m = re.match(r"^(CONFIG_\w+)=(.*)$", line.strip())
                n = re.match(r"^# (CONFIG_\w+) is not set$", line.strip())
                if m:
                    wanted[m.group(1)] = m.group(2)
                elif n:
                    wanted[n.group(1)] = "n"
    return wanted


def _config_key(k):
    """What the config depends on: the fragments and the source tree."""
    h = hashlib.sha256(git("rev-parse", "HEAD", cwd=k.source).encode())
    for frag in k.fragments:
        with open(os.path.join(CONFIGS, frag), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def config(kernel):
    """allnoconfig + fragments, checked, written only when it changed; not
    made again while neither the fragments nor the tree changed."""
    k = KERNELS[kernel]
    stamp = os.path.join(k.kbuild, "config.stamp")
    key = _config_key(k)
    if (os.path.exists(stamp) and open(stamp).read() == key and
            os.path.exists(os.path.join(k.kbuild, ".config"))):
        log("config", f"{k.name}: unchanged since the last build")
        return
    with Stage("config", f"{k.name}: allnoconfig + {' + '.join(k.fragments)}"):
        scratch = os.path.join(BUILD, f"config-{k.name}")
        os.makedirs(scratch, exist_ok=True)
        make(k.source, scratch, "allnoconfig", logname=f"config-{k.name}.log")
        run([os.path.join(k.source, "scripts/kconfig/merge_config.sh"), "-m",
             "-O", scratch, os.path.join(scratch, ".config"),
             *[os.path.join(CONFIGS, f) for f in k.fragments]],
            cwd=k.source, env={"ARCH": ARCH, "CROSS_COMPILE": CROSS},
            logfile=os.path.join(BUILD, "logs", f"merge-{k.name}.log"))
        make(k.source, scratch, "olddefconfig", logname=f"config-{k.name}.log")

        got = {}
        with open(os.path.join(scratch, ".config")) as f:
            for line in f:
                m = re.match(r"^(CONFIG_\w+)=(.*)$", line.strip())
                if m:
                    got[m.group(1)] = m.group(2)
        lost = [f"{opt}={v} (got {got.get(opt, 'n')})"
                for opt, v in _wanted_options(k.fragments).items()
                if got.get(opt, "n") != v]
        if lost:
            raise Failure("options the fragments set did not survive "
                          "olddefconfig: " + ", ".join(lost))

        os.makedirs(k.kbuild, exist_ok=True)
        dst = os.path.join(k.kbuild, ".config")
        src = os.path.join(scratch, ".config")
        if os.path.exists(dst) and filecmp.cmp(src, dst, shallow=False):
            log("config", "unchanged")
        else:
            shutil.copyfile(src, dst)
            log("config", f"written to {dst}")
    with open(stamp, "w") as f:
        f.write(key)


def _objects(lines):
    done = sum(1 for line in lines if line.lstrip().startswith(("CC ", "AS ")))
    return f"{done} objects compiled"


def build(kernel):
    k = KERNELS[kernel]
    if not k.series:
        tree.make_upstream_tree()
    config(kernel)
    with Stage("build", f"{k.name} kernel Image (-j{JOBS}, ccache)"):
        make(k.source, k.kbuild, "Image", logname=f"kernel-{k.name}.log",
             progress=_objects)
        log("build", f"{k.image}: {os.path.getsize(k.image) / 2**20:.1f} MiB")


def selftests_dir():
    return os.path.join(BUILD, "selftests")


def selftests():
    """Headers from headers_install, then tools/testing/selftests/kvm of
    the series and the project's tests, statically linked so that the
    initramfs needs no libc."""
    k = KERNELS["test"]
    out = selftests_dir()
    with Stage("build", "uapi headers (headers_install)"):
        make(k.source, k.kbuild, "headers_install", logname="headers.log")
    with Stage("build", "KVM selftests for arm64 (static)"):
        os.makedirs(os.path.join(out, "tools"), exist_ok=True)
        run(["make", "-C", os.path.join(k.source, "tools/testing/selftests/kvm"),
             f"ARCH={ARCH}", f"CROSS_COMPILE={CROSS}", f"-j{JOBS}",
             f"OUTPUT={out}", f"abs_objdir={out}",
             f"KHDR_INCLUDES=-isystem {k.kbuild}/usr/include",
             "EXTRA_CFLAGS=-static"],
            logfile=os.path.join(BUILD, "logs", "selftests.log"),
            progress=lambda lines: f"{sum(' -o ' in l for l in lines)} "
                                   "compiler runs")
    with Stage("build", "the project's tests (tests/)"):
        run(["make", "-C", os.path.join(REPO, "tests"), f"-j{JOBS}",
             f"KSRC={k.source}", f"OUTPUT={out}",
             f"KHDR={k.kbuild}/usr/include", f"CROSS_COMPILE={CROSS}"],
            logfile=os.path.join(BUILD, "logs", "tests.log"))
