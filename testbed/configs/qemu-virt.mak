# QEMU device configuration of the testbed's QEMU builds (qemu_build.py,
# configure --with-devices-aarch64=<this file without .mak>): the virt
# board and what it selects (the error injector included), nothing else.
# Every target is a virt machine; QEMU's own "minimal" set also has
# sbsa-ref, which needs TCG.
CONFIG_ARM_VIRT=y
