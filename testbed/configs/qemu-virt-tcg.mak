# The TCG build's devices (qemu_build.py): the virt board, and the error
# injector test device the targets use (-device arm-error-injector), which
# needs TCG and so is not in qemu-virt.mak, the KVM build's set.
include qemu-virt.mak
CONFIG_ARM_ERROR_INJECTOR=y
