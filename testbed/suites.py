# SPDX-License-Identifier: GPL-2.0
"""The test lists: which KVM selftests run, with which arguments and
timeouts. Names are paths below tools/testing/selftests/kvm's output."""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Test:
    binary: str
    args: tuple = ()
    timeout: int = 120          # seconds of guest wall time, TCG is slow
    why: str = ""               # why it is in the list, or why it is tuned
    # Targets where the test is known to fail on the base, with the reason.
    # Its result is shown as XFAIL and counted as skipped; a pass there is
    # an XPASS and fails the run, so that the entry gets removed.
    xfail: tuple = ()           # ((target, reason), ...)

    def xfail_reason(self, target):
        return dict(self.xfail).get(target)

    def on(self, flavour):
        """This test as it runs on a kernel flavour: with a longer timeout
        on the debug kernel."""
        return replace(self,
                       timeout=self.timeout * TIMEOUT_SCALE.get(flavour, 1))


# KASAN, lockdep and kmemleak make the debug kernel slower under TCG: 2-4
# times for long tests (protected mode: debug-exceptions 17 s -> 72 s,
# serror_storm 49 s -> 130 s), up to 12 times for short ones that create
# many VMs (vcpu_events_serror 1.5 s -> 19 s), still far below the timeouts.
TIMEOUT_SCALE = {"debug": 4}


# The upstream arm64 tests that cover the area the series touches (SError,
# external aborts, vCPU events, ID registers, exits) and finish under TCG.
UPSTREAM = [
    Test("arm64/external_aborts", why="SError/SEA injection, vSError paths"),
    Test("arm64/sea_to_user", timeout=60,
         why="KVM_EXIT_ARM_SEA; skips without ACPI EINJ"),
    Test("arm64/vgic_init", xfail=(
        ("protected", "fails on the unpatched 7.3.4 base under pKVM: "
         "vgic_init.c:179 expects E2BIG for a distributor address at the IPA "
         "limit and gets EINVAL"),)),
    Test("arm64/psci_test"),
    Test("arm64/hypercalls"),
    Test("get-reg-list", why="every register userspace can see"),
    Test("arm64/set_id_regs", why="ID_AA64PFR0_EL1.RAS writable by the VMM"),
    Test("arm64/debug-exceptions"),
    Test("arch_timer", ("-n", "2", "-e", "100000"), timeout=180,
         why="-n 2 -e 100000: the default 4 vCPUs and 100 us margin are too "
             "tight under TCG on a 2-vCPU guest (it failed with -e 10000 "
             "on a loaded host)"),
    Test("arm64/mmio_sign_ext", why="exit to userspace round trip"),
    Test("arm64/smccc_filter"),
    Test("kvm_binary_stats_test", why="the series adds vCPU stats"),
]

# The series' own tests, added as the series grows.
SERIES = [
    Test("arm64/vcpu_events_serror",
         why="KVM_SET_VCPU_EVENTS: chosen syndromes, atomicity, per-VM RAS"),
    Test("arm64/serror_to_user",
         why="KVM_EXIT_ARM_SERROR, classification, stats, tracepoint"),
    Test("arm64/serror_hostile_input",
         why="every malformed use of the SError uAPI, state unchanged"),
    Test("arm64/serror_migration",
         why="a pending SError moved to a fresh VM, delivered once"),
    Test("arm64/serror_storm", ("-n", "100000"), timeout=600,
         why="100,000 SErrors on 4 vCPUs with the capability on, then off; "
             "injector and KVM_SET_VCPU_EVENTS racing KVM_RUN"),
]

# Benchmarks: run by `tb bench`, not by the test command.
BENCH = [
    Test("arm64/serror_round_trip", ("-n", "2000"),
         why="SError round trip against an MMIO round trip"),
]

SUITES = {
    # The main job: the SError tests, upstream's and the series'.
    "serror": [t for t in UPSTREAM if t.binary == "arm64/external_aborts"]
              + SERIES,
    # The whole suite.
    "all": UPSTREAM + SERIES,
    "bench": BENCH,
}
