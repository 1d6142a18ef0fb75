# SPDX-License-Identifier: GPL-2.0
"""The test lists: which programs run, with which arguments, timeouts and
requirements. Names are paths below the selftests' output folder; the
project's own tests (tests/*.c) are built into it under tests/."""

from dataclasses import dataclass, replace

import vmm


@dataclass(frozen=True)
class Test:
    binary: str
    args: tuple = ()
    timeout: int = 120          # seconds on a VHE host of the test kernel
    why: str = ""               # why it is in the list, or why it is tuned
    # Target features (targets.py) the test needs. On a target without one
    # the test does not run: it is reported as SKIP, with the reason.
    requires: frozenset = frozenset()
    # Known failures of the unpatched base, by target feature: reported as
    # XFAIL and counted with the skips; a pass is an XPASS and fails the
    # run, so that the entry gets removed.
    xfail: tuple = ()           # ((feature, reason), ...)
    # On a slower target or kernel, do less rather than wait longer: the
    # value of -n is divided by the slowdown.
    shrink: bool = False
    # Other files the test needs in the initramfs: ((name there, path
    # here), ...), and what makes them (called by the runner first).
    files: tuple = ()
    build: object = None

    def missing(self, target):
        return sorted(self.requires - target.features)

    def xfail_reason(self, target):
        for feature, reason in self.xfail:
            if feature in target.features:
                return reason
        return None

    def on(self, target, scale=1):
        """This test as it runs on @target: a longer timeout where the target
        or the kernel (@scale) is slower, or less work if it shrinks."""
        slowdown = target.timeout_scale * scale
        if not self.shrink or slowdown == 1:
            return replace(self, timeout=self.timeout * slowdown)
        args = list(self.args)
        i = args.index("-n") + 1
        args[i] = str(max(1, int(args[i]) // slowdown))
        return replace(self, args=tuple(args))


# The upstream arm64 tests that cover the area the series touches (SError,
# external aborts, vCPU events, ID registers, exits) and finish under TCG.
UPSTREAM = [
    Test("arm64/external_aborts", why="SError/SEA injection; the series adds "
         "its cases for the injection fixes"),
    Test("arm64/sea_to_user", timeout=60,
         why="KVM_EXIT_ARM_SEA; needs ACPI EINJ, which the virt machine has "
             "not: it must skip, with its reason (patch 1)"),
    Test("arm64/vgic_init", xfail=(
        ("pkvm", "fails on the unpatched 7.3.4 base under pKVM: "
         "vgic_init.c:179 expects E2BIG for a distributor address at the IPA "
         "limit and gets EINVAL"),)),
    Test("arm64/psci_test"),
    Test("arm64/hypercalls"),
    Test("get-reg-list", why="every register userspace can see"),
    Test("arm64/set_id_regs", why="ID_AA64PFR0_EL1.RAS writable by the VMM"),
    Test("arm64/debug-exceptions"),
    Test("arch_timer", ("-n", "2", "-e", "100000"), timeout=180,
         why="-n 2 -e 100000: the default 4 vCPUs and 100 us margin are too "
             "tight under TCG on a 2-vCPU guest"),
    Test("arm64/mmio_sign_ext", why="exit to userspace round trip"),
    Test("arm64/smccc_filter"),
    Test("kvm_binary_stats_test", why="the series adds a vCPU stat"),
]

# The series' own selftest.
SERIES = [
    Test("arm64/serror_to_user",
         why="KVM_EXIT_ARM_SERROR with real SErrors from the error injector"),
]

# The project's deeper verification (tests/), outside the series.
PROJECT = [
    Test("tests/serror_base",
         why="real SErrors without the capability: KVM's implementation "
             "defined vSError, as on the unpatched base; a real SEA, "
             "reflected and as KVM_EXIT_ARM_SEA"),
    Test("tests/serror_migration",
         why="a pending SError moved to a fresh VM, delivered once"),
    Test("tests/serror_hostile_input",
         why="every malformed use of the SError uAPI, state unchanged"),
    Test("tests/serror_storm", ("-n", "20000"), timeout=600, shrink=True,
         why="20,000 SErrors from the error injector on 4 vCPUs, with the "
             "capability on, then off; KVM_SET_VCPU_EVENTS racing KVM_RUN "
             "(each a device write and a guest exit: about 1,000 a second "
             "under TCG)"),
]

# Benchmarks: run by `tb bench`, not by the test command.
BENCH = [
    Test("tests/serror_round_trip", ("-n", "2000"),
         why="SError round trip against an MMIO round trip"),
]

# QEMU's serror-policy end to end: QEMU under KVM on the target's host, a
# guest kernel in it, and real SErrors from the error injector (vmm.py).
VMM = [
    Test(vmm.DRIVER, timeout=900, files=vmm.FILES, build=vmm.build,
         requires=frozenset({"ras"}),
         why="QEMU handles KVM_EXIT_ARM_SERROR for a real guest: forward, "
             "ignore, stop, off; a policy without the capability"),
]

_SERROR = ["arm64/external_aborts", "arm64/serror_to_user", "tests/serror_base",
           "tests/serror_migration", "tests/serror_hostile_input",
           "tests/serror_storm"]

SUITES = {
    # Everything, on the test kernel's VHE, nVHE and protected hosts.
    "all": UPSTREAM + SERIES + PROJECT,
    # The SError tests: the nested and no-RAS hosts, the debug kernel and the
    # demo. Nested hosts are about 9 times slower, and what they add is the
    # vEL2 guest, which only the SError tests care about here.
    "serror": [t for t in UPSTREAM + SERIES + PROJECT if t.binary in _SERROR],
    # The unpatched base: what the device does to a kernel without the series
    # (the series' test and most VMM cases skip there for want of the
    # capability: that is the point).
    "upstream": [t for t in SERIES + PROJECT + VMM
                 if t.binary in ("arm64/serror_to_user", "tests/serror_base",
                                 vmm.DRIVER)],
    "bench": BENCH,
    # QEMU's serror-policy with a real VMM and guest.
    "vmm": VMM,
}

# What `tb test` runs: (suite, targets, kernel). The whole suite on the test
# kernel's VHE, nVHE and protected hosts; the SError tests on the nested and
# no-RAS hosts (see SUITES) and on the debug kernel, where lockdep, KASAN,
# UBSAN and kmemleak watch the code the series adds; a real VMM and guest on
# VHE, nVHE, protected and nested hosts (the VMM's guest runs at EL1 there:
# no slower than on VHE); and on the unpatched base, what the error
# injector does to a kernel without the series.
PLAN = [
    ("all", ["vhe", "nvhe", "protected"], "test"),
    ("serror", ["nested", "noras"], "test"),
    ("serror", ["vhe", "nvhe", "protected"], "debug"),
    ("vmm", ["vhe", "nvhe", "protected", "nested"], "test"),
    ("upstream", ["vhe", "noras"], "upstream"),
]
