# SPDX-License-Identifier: GPL-2.0
"""Stage 5, initramfs: the project's /init (testbed/init/init.c, static),
the test binaries of one suite, the other files they need (suites.Test.files)
and the list /init runs, as a gzipped newc cpio written here in Python (no
cpio needed). A test that runs shell commands gets /bin/sh (SHELL):
Debian's arm64 busybox-static."""

import gzip
import os
import stat
import threading

from common import BUILD, CACHE, CROSS, TESTBED, Stage, log, run
import debian
import kernel

INIT_SRC = os.path.join(TESTBED, "init", "init.c")


_init_lock = threading.Lock()


def build_init():
    """/init, built once: runs of a plan pack it from several threads."""
    out = os.path.join(BUILD, "init")
    with _init_lock:
        if (os.path.exists(out) and
                os.path.getmtime(out) >= os.path.getmtime(INIT_SRC)):
            return out
        with Stage("initramfs", "build /init"):
            run([f"{CROSS}gcc", "-static", "-O2", "-Wall", "-Wextra",
                 "-Werror", "-o", out + ".new", INIT_SRC])
            os.replace(out + ".new", out)
    return out


BUSYBOX = os.path.join(BUILD, "busybox")
# For Test.files: upstream's arm64/sea_to_user writes EINJ's debugfs files
# with popen("echo ... > file"). busybox runs as the applet named by argv[0]:
# popen() runs "sh -c".
SHELL = (("bin/sh", BUSYBOX),)


def shell():
    """The shell of SHELL: busybox from Debian's arm64 busybox-static
    (bookworm), fetched through the testbed's private apt once."""
    if os.path.exists(BUSYBOX):
        return
    deb = debian.download("busybox-static", "bookworm",
                          os.path.join(CACHE, "debs-arm64"), arch="arm64")
    with Stage("initramfs", f"/bin/sh from {os.path.basename(deb)}"):
        scratch = BUSYBOX + ".d"
        run(["rm", "-rf", scratch])
        run(["dpkg-deb", "-x", deb, scratch])
        os.replace(os.path.join(scratch, "bin", "busybox"), BUSYBOX)
        run(["rm", "-rf", scratch])


class Cpio:
    """Just enough of the newc format for an initramfs."""

    def __init__(self):
        self.data = bytearray()
        self.ino = 1

    def _entry(self, name, mode, body=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(body), 0, 0,
                  rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        self.data += hdr + name_b
        self.data += b"\0" * (-len(self.data) % 4)
        self.data += body
        self.data += b"\0" * (-len(self.data) % 4)

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, body, mode=0o755):
        self._entry(name, stat.S_IFREG | mode, body)

    def chardev(self, name, major, minor):
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return bytes(self.data)


def make(suite_name, tests, extra_files=(), sources=None):
    """tests: suites.Test list; sources: binary -> file, for binaries that
    are not in the selftests build folder. Returns the path of the cpio."""
    init = build_init()
    out = os.path.join(BUILD, f"initramfs-{suite_name}.cpio.gz")
    with Stage("initramfs", f"{suite_name}: {len(tests)} tests"):
        cpio = Cpio()
        for d in ("dev", "proc", "sys", "tmp", "tests"):
            cpio.dir(d)
        cpio.chardev("dev/console", 5, 1)
        with open(init, "rb") as f:
            cpio.file("init", f.read())

        dirs = set()
        for t in tests:
            parts = t.binary.split("/")[:-1]
            for i in range(len(parts)):
                d = "tests/" + "/".join(parts[:i + 1])
                if d not in dirs:
                    cpio.dir(d)
                    dirs.add(d)
            src = (sources or {}).get(t.binary) or \
                os.path.join(kernel.selftests_dir(), t.binary)
            with open(src, "rb") as f:
                cpio.file("tests/" + t.binary, f.read())
        for name, body in extra_files:
            cpio.file(name, body)
        for t in tests:
            for name, path in t.files:
                for i in range(1, name.count("/") + 1):
                    d = "/".join(name.split("/")[:i])
                    if d not in dirs:
                        cpio.dir(d)
                        dirs.add(d)
                with open(path, "rb") as f:
                    cpio.file(name, f.read())

        listing = "".join(f"{t.timeout} {t.binary} {' '.join(t.args)}\n"
                          for t in tests)
        cpio.file("tests.list", listing.encode(), 0o644)
        data = gzip.compress(cpio.finish(), compresslevel=1, mtime=0)
        with open(out, "wb") as f:
            f.write(data)
        log("initramfs", f"{out}: {len(data) / 2**20:.1f} MiB")
    return out
