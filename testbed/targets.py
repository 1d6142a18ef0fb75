# SPDX-License-Identifier: GPL-2.0
"""QEMU targets: one entry per KVM host mode, as data.

Each boots the same kernel on `-M virt,virtualization=on` with `-cpu max`
(FEAT_RAS: ESB, DISR_EL1, VSESR_EL2) and must show, in its console log,
that KVM came up in the mode asked for and that the RAS extension was
detected. A run missing either fails.
"""

from dataclasses import dataclass

QEMU = "qemu-system-aarch64"
# pauth-impdef=on: QEMU's default pointer-auth algorithm is very slow in TCG.
MACHINE = ["-M", "virt,virtualization=on,gic-version=3",
           "-cpu", "max,pauth-impdef=on", "-smp", "2", "-m", "4G",
           "-nographic", "-no-reboot", "-monitor", "none", "-serial", "stdio"]
# arm64.nolva: -cpu max has FEAT_LPA2 and a 52-bit PARange. Under pKVM every
# VM gets the host's IPA limit, and kvm_stage2_destroy() walks the whole IPA
# space in 1 GiB steps with a cond_resched() each: 2^22 steps a VM at 52
# bits, about 8 s per VM on the debug kernel under TCG; 2^18 at 48 bits.
# Without LPA2 the kernel caps PARange, hence KVM's IPA limit, to 48 bits,
# as current server parts have it.
CMDLINE = "console=ttyAMA0 panic=-1 loglevel=7 arm64.nolva"
# Every mode must detect these.
COMMON_EXPECT = [r"CPU features: detected: RAS Extension Support",
                 r"kvm \[\d+\]: IPA Size Limit: 48 bits"]


@dataclass(frozen=True)
class Target:
    name: str
    cmdline: str
    expect: str                 # regex that proves KVM initialised this mode


TARGETS = {
    t.name: t for t in [
        Target("vhe", "",
               r"kvm \[\d+\]: VHE mode initialized successfully"),
        Target("nvhe", "kvm-arm.mode=nvhe",
               r"kvm \[\d+\]: Hyp nVHE mode initialized successfully"),
        Target("protected", "kvm-arm.mode=protected",
               r"kvm \[\d+\]: Protected [hn]VHE mode initialized successfully"),
    ]
}
