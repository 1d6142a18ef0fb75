# SPDX-License-Identifier: GPL-2.0
"""Stage 3 and 4, config and build: the arm64 test kernel and the KVM
selftests, cross-built from the work tree with Debian's aarch64 gcc.

The kernel is allnoconfig plus the fragments in testbed/configs/; every
option a fragment asks for must survive olddefconfig, or the stage fails.
"""

import filecmp
import os
import re
import shutil

from common import (ARCH, BUILD, CACHE, CROSS, JOBS, TESTBED, TREE, Failure,
                    Stage, log, run)

CONFIGS = os.path.join(TESTBED, "configs")

# Kernel flavours: a name, its build folder and its fragments.
FLAVOURS = {
    "base": ["base.config"],
    "debug": ["base.config", "debug.config"],
}


def kbuild_dir(flavour="base"):
    return os.path.join(BUILD, f"kbuild-{flavour}")


def image(flavour="base"):
    return os.path.join(kbuild_dir(flavour), "arch", "arm64", "boot", "Image")


def _make_env():
    # CCACHE_BASEDIR makes the paths relative, so that a clone elsewhere
    # (CI's) hits the cache the developer's clone filled.
    return {"CCACHE_DIR": os.path.join(CACHE, "ccache"),
            "CCACHE_DEPEND": "1", "CCACHE_MAXSIZE": "5G",
            "CCACHE_BASEDIR": BUILD, "CCACHE_NOHASHDIR": "1",
            "KBUILD_BUILD_TIMESTAMP": "2026-01-01",
            "KBUILD_BUILD_USER": "testbed", "KBUILD_BUILD_HOST": "testbed"}


def _make(kbuild, *targets, logname, progress=None, extra=()):
    cmd = ["make", "-C", TREE, f"O={kbuild}", f"ARCH={ARCH}",
           f"CROSS_COMPILE=ccache {CROSS}", f"-j{JOBS}", *extra, *targets]
    return run(cmd, env=_make_env(), logfile=os.path.join(BUILD, "logs",
                                                           logname),
               progress=progress)


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


def config(flavour="base"):
    """allnoconfig + fragments, checked, written only when it changed."""
    kbuild = kbuild_dir(flavour)
    fragments = FLAVOURS[flavour]
    with Stage("config", f"{flavour}: allnoconfig + {' + '.join(fragments)}"):
        scratch = os.path.join(BUILD, f"config-{flavour}")
        os.makedirs(scratch, exist_ok=True)
        _make(scratch, "allnoconfig", logname=f"config-{flavour}.log")
        run([os.path.join(TREE, "scripts/kconfig/merge_config.sh"), "-m",
             "-O", scratch, os.path.join(scratch, ".config"),
             *[os.path.join(CONFIGS, f) for f in fragments]],
            cwd=TREE, logfile=os.path.join(BUILD, "logs", f"merge-{flavour}.log"),
            env={"ARCH": ARCH, "CROSS_COMPILE": CROSS})
        _make(scratch, "olddefconfig", logname=f"config-{flavour}.log")

        got = {}
        with open(os.path.join(scratch, ".config")) as f:
            for line in f:
                m = re.match(r"^(CONFIG_\w+)=(.*)$", line.strip())
                if m:
                    got[m.group(1)] = m.group(2)
        lost = [f"{k}={v} (got {got.get(k, 'n')})"
                for k, v in _wanted_options(fragments).items()
                if got.get(k, "n") != v]
        if lost:
            raise Failure("options the fragments set did not survive "
                          "olddefconfig: " + ", ".join(lost))

        os.makedirs(kbuild, exist_ok=True)
        dst = os.path.join(kbuild, ".config")
        src = os.path.join(scratch, ".config")
        if os.path.exists(dst) and filecmp.cmp(src, dst, shallow=False):
            log("config", "unchanged")
        else:
            shutil.copyfile(src, dst)
            log("config", f"written to {dst}")


def _objects(lines):
    done = sum(1 for l in lines if l.lstrip().startswith(("CC ", "AS ")))
    return f"{done} objects compiled"


def kernel(flavour="base"):
    kbuild = kbuild_dir(flavour)
    with Stage("build", f"{flavour} kernel Image (-j{JOBS}, ccache)"):
        _make(kbuild, "Image", logname=f"kernel-{flavour}.log",
              progress=_objects)
        log("build", f"{image(flavour)}: "
            f"{os.path.getsize(image(flavour)) / 2**20:.1f} MiB")


def selftests_dir():
    return os.path.join(BUILD, "selftests")


def selftests():
    """Headers from headers_install, then tools/testing/selftests/kvm,
    statically linked so that the initramfs needs no libc."""
    kbuild = kbuild_dir("base")
    out = selftests_dir()
    with Stage("build", "uapi headers (headers_install)"):
        _make(kbuild, "headers_install", logname="headers.log")
    with Stage("build", "KVM selftests for arm64 (static)"):
        os.makedirs(os.path.join(out, "tools"), exist_ok=True)
        run(["make", "-C", os.path.join(TREE, "tools/testing/selftests/kvm"),
             f"ARCH={ARCH}", f"CROSS_COMPILE={CROSS}", f"-j{JOBS}",
             f"OUTPUT={out}", f"abs_objdir={out}",
             f"KHDR_INCLUDES=-isystem {kbuild}/usr/include",
             "EXTRA_CFLAGS=-static"],
            logfile=os.path.join(BUILD, "logs", "selftests.log"),
            progress=lambda lines: f"{sum(' -o ' in l for l in lines)} "
                                   "compiler runs")
