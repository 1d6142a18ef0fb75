# SPDX-License-Identifier: GPL-2.0
"""The hosts the tests run on, as data: one entry per kind of KVM/arm64 host.

Each target is a QEMU machine (which QEMU build, machine, CPU), the host
kernel's command line, what its console must show (the KVM mode, RAS present
or absent, the IPA limit) and must not show, the features it offers to the
tests, and how much slower than a plain VHE host it runs.

Every target has the project's error injector (-device arm-error-injector,
docs/specs/arm-error-injector.rst in qemu/test-hardware): QEMU's test device
that raises physical SErrors and external aborts on the PEs. Every CPU has
hpfar-unknown=on (qemu/test-hardware): where HPFAR_EL2 is UNKNOWN (an
external abort, a stage 1 fault), QEMU writes it a wrong IPA, so that a
KVM that trusted it would fail a test.

Two targets boot through UEFI (Debian's EDK2 for virt, qemu-efi-aarch64) with
ACPI instead of a device tree: QEMU's EINJ table then lets the host's EINJ
driver poison memory through the error injector, as on a RAS server.
"""

from dataclasses import dataclass

# pauth-impdef=on: QEMU's default pointer-auth algorithm is very slow in TCG.
MACHINE = "virt,virtualization=on,gic-version=3"
ERROR_INJECTOR = "arm-error-injector"
MAX_CPU = "max,pauth-impdef=on,hpfar-unknown=on"
# arm64.nolva: -cpu max has FEAT_LPA2 and a 52-bit PARange. Under pKVM every
# VM gets the host's IPA limit, and kvm_stage2_destroy() walks the whole IPA
# space in 1 GiB steps with a cond_resched() each: 2^22 steps a VM at 52
# bits, about 8 s per VM on the debug kernel under TCG; 2^18 at 48 bits.
# Without LPA2 the kernel caps PARange, hence KVM's IPA limit, to 48 bits,
# as current server parts have it.
CMDLINE = "console=ttyAMA0 panic=-1 loglevel=7 arm64.nolva"

# EDK2 for virt: boots the kernel's EFI stub (-kernel through fw_cfg) and
# hands it QEMU's ACPI tables.
UEFI = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
# upstream's arm64/sea_to_user backs its guest with a 1 GiB huge page.
HUGEPAGE_1G = "hugepagesz=1G hugepages=1"
ACPI_EINJ = (r"ACPI: EINJ 0x", r"EINJ: Error INJection is initialized\.")

RAS = r"CPU features: detected: RAS Extension Support"


def ipa(bits):
    return rf"kvm \[\d+\]: IPA Size Limit: {bits} bits"


# What a VHE host of -cpu max shows.
VHE = (r"kvm \[\d+\]: VHE mode initialized successfully", RAS, ipa(48))


@dataclass(frozen=True)
class Target:
    name: str
    cpu: str
    cmdline: str                # added to CMDLINE
    expect: tuple               # regexes the console must show
    reject: tuple = ()          # regexes it must not show
    features: frozenset = frozenset()
    timeout_scale: int = 1      # how much slower than VHE the tests run
    # Taint bits the target's kernel may show (any other fails the run),
    # and why: see parse.TAINT_FLAGS.
    taint_ok: int = 0
    default: bool = True        # `tb run`'s when none is named
    qemu: str = "tcg"           # which QEMU build boots it (qemu_build.py)
    smp: int = 2
    memory: str = "4G"
    machine: str = MACHINE
    firmware: str = ""          # -bios: UEFI, else QEMU boots the kernel
    why: str = ""

    @property
    def fragment(self):
        """The config fragment (kernel.py) the kernel it boots must have
        been built with: UEFI + ACPI needs acpi.config's EFI stub and
        ACPI."""
        return "acpi.config" if self.firmware else ""

    def qemu_args(self):
        return ["-M", self.machine, "-device", ERROR_INJECTOR,
                *(["-bios", self.firmware] if self.firmware else []),
                "-cpu", self.cpu, "-smp", str(self.smp),
                "-m", self.memory, "-nographic", "-nic", "none",
                "-no-reboot", "-monitor", "none", "-serial", "stdio"]


# Features a test may require (suites.py):
#   ras      the host CPU has FEAT_RAS (ESB, DISR_EL1, VSESR_EL2)
#   vhe      KVM runs the host kernel at EL2
#   pkvm     protected mode: KVM's hypervisor is isolated from the host
#   nv       the guests can have EL2 (the selftests run their code at vEL2)
#   passthrough  a guest can reach a device page the host maps into it
#   einj     ACPI EINJ: the host's EINJ driver poisons memory
#   ghes     firmware-first: a GHES error source for SEAs, with QEMU's
#            record of the error in it, lets APEI claim a guest's SEA
TARGETS = {t.name: t for t in [
    Target("vhe", MAX_CPU, "", VHE,
           features=frozenset({"ras", "vhe", "passthrough"})),
    Target("nvhe", MAX_CPU, "kvm-arm.mode=nvhe",
           (r"kvm \[\d+\]: Hyp nVHE mode initialized successfully", RAS,
            ipa(48)),
           features=frozenset({"ras", "passthrough"})),
    Target("protected", MAX_CPU, "kvm-arm.mode=protected",
           (r"kvm \[\d+\]: Protected [hn]VHE mode initialized successfully",
            RAS, ipa(48)),
           features=frozenset({"ras", "pkvm"}),
           # U: creating a protected VM taints the host (pkvm.c: "protected
           # VMs are experimental and for development only").
           taint_ok=1 << 6,
           why="pKVM does not map a passed-through device page into a "
               "guest: KVM_RUN fails with EINVAL"),
    Target("nested", MAX_CPU, "kvm-arm.mode=nested",
           (r"kvm \[\d+\]: VHE\+NV2 mode initialized successfully", RAS,
            ipa(48)),
           features=frozenset({"ras", "vhe", "nv", "passthrough"}),
           timeout_scale=10,
           why="the selftests run their guests at vEL2, about 9 times "
               "slower under TCG"),
    # Cortex-A72: Armv8.0, no FEAT_RAS (no ESB, DISR_EL1 or VSESR_EL2, all
    # SError syndromes implementation defined), no VHE, a 44-bit PARange.
    Target("noras", "cortex-a72,hpfar-unknown=on", "",
           (r"kvm \[\d+\]: Hyp nVHE mode initialized successfully",
            ipa(44)),
           reject=(RAS,),
           features=frozenset({"passthrough"}),
           why="the v8.0 path: SErrors without RAS"),
    # UEFI + ACPI, VHE. Without virt's ras=on there is no HEST: APEI has no
    # error source to claim an SEA with, and KVM_EXIT_ARM_SEA reaches the
    # VMM (upstream's sea_to_user needs exactly that).
    Target("acpi", MAX_CPU, HUGEPAGE_1G, VHE + ACPI_EINJ,
           reject=(r"ACPI: HEST 0x",),
           features=frozenset({"ras", "vhe", "einj"}), firmware=UEFI,
           default=False,
           why="ACPI EINJ, no firmware-first error source"),
    # The same with ras=on: QEMU's HEST has a GHES for SEAs, and QEMU writes
    # a CPER record of consumed poison into it before the abort.
    Target("acpi-ghes", MAX_CPU, "",
           VHE + ACPI_EINJ + (r"ACPI: HEST 0x",
                              r"HEST: Table parsing has been initialized\."),
           features=frozenset({"ras", "vhe", "einj", "ghes"}),
           machine=MACHINE + ",ras=on", firmware=UEFI, default=False,
           why="firmware first: APEI claims a guest's SEA"),
]}
