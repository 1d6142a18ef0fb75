# QEMU device configuration of the testbed's "kvm-arm64" build
# (qemu_build.py, configure --with-devices-aarch64=<this file without .mak>):
# the virt board and what it selects, nothing else. QEMU's own "minimal"
# set also has sbsa-ref, which needs TCG.
CONFIG_ARM_VIRT=y
