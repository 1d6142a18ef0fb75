# SPDX-License-Identifier: GPL-2.0
"""Stage build, for the vmm suite: what an arm64 host of the testbed needs
to run a real VMM and a real guest over the series' KVM_EXIT_ARM_SERROR,
for vmm/vmm_serror.c (the driver, a test that /init runs):

  /vmm/qemu-system-aarch64  QEMU for arm64, KVM only, static, with the
                            project's patches (qemu_build.py, "kvm-arm64")
  /vmm/Image                the guest kernel: the test kernel's Image
  /vmm/guest.cpio.gz        the guest's initramfs: /init is vmm/guest_init.c

The driver is built, as every test binary, below the selftests' output
folder (vmm/vmm_serror), against the test kernel's uapi headers; the rest
goes into the initramfs as the test's extra files (suites.Test.files).
Everything is static: the host's initramfs has no libc.
"""

import gzip
import os

import initramfs
import kernel
import qemu_build
from common import BUILD, CROSS, TESTBED, Failure, Stage, log, run

SRC = os.path.join(TESTBED, "vmm")
OUT = os.path.join(BUILD, "vmm")
DRIVER = "vmm/vmm_serror"
GUEST_INIT = os.path.join(OUT, "guest_init")
GUEST_CPIO = os.path.join(OUT, "guest.cpio.gz")
CFLAGS = ["-static", "-O2", "-Wall", "-Wextra", "-Werror"]

# The files the driver expects in /vmm (its -d).
FILES = (
    ("vmm/qemu-system-aarch64", qemu_build.binary("kvm-arm64")),
    ("vmm/Image", kernel.KERNELS["test"].image),
    ("vmm/guest.cpio.gz", GUEST_CPIO),
)


def _stale(out, *inputs):
    return (not os.path.exists(out) or
            any(os.path.getmtime(i) > os.path.getmtime(out) for i in inputs))


def _compile(src, out, extra=()):
    if not _stale(out, src):
        return out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with Stage("vmm", f"build {os.path.relpath(out, BUILD)}"):
        run([f"{CROSS}gcc", *CFLAGS, *extra, "-o", out, src])
    return out


def guest():
    """The guest's initramfs: /dev/console and /init."""
    init = _compile(os.path.join(SRC, "guest_init.c"), GUEST_INIT)
    if not _stale(GUEST_CPIO, init):
        return GUEST_CPIO
    cpio = initramfs.Cpio()
    cpio.dir("dev")
    cpio.chardev("dev/console", 5, 1)
    with open(init, "rb") as f:
        cpio.file("init", f.read())
    with open(GUEST_CPIO, "wb") as f:
        f.write(gzip.compress(cpio.finish(), compresslevel=9, mtime=0))
    log("vmm", f"{GUEST_CPIO}: {os.path.getsize(GUEST_CPIO) / 2**10:.0f} KiB")
    return GUEST_CPIO


def driver():
    """vmm/vmm_serror below the selftests' output folder, with the test
    kernel's uapi headers (KVM_CAP_ARM_SERROR_TO_USER)."""
    k = kernel.KERNELS["test"]
    headers = os.path.join(k.kbuild, "usr", "include")
    if not os.path.exists(os.path.join(headers, "linux", "kvm.h")):
        with Stage("vmm", "uapi headers (headers_install)"):
            kernel.make(k.source, k.kbuild, "headers_install",
                        logname="headers.log")
    return _compile(os.path.join(SRC, "vmm_serror.c"),
                    os.path.join(kernel.selftests_dir(), DRIVER),
                    ["-isystem", headers])


def build():
    """Everything the vmm suite packs: QEMU for arm64, the guest, the
    driver. The guest kernel is the test kernel, built by `tb build`."""
    image = kernel.KERNELS["test"].image
    if not os.path.exists(image):
        raise Failure(f"{image}: no test kernel, run ./tb build first")
    qemu_build.build("kvm-arm64")
    guest()
    driver()
