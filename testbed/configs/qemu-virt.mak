# QEMU device configuration of the testbed's QEMU builds (qemu_build.py,
# configure --with-devices-aarch64=<this file without .mak>): the virt
# board and what it selects, nothing else. Every target is a virt machine;
# QEMU's own "minimal" set also has sbsa-ref, which needs TCG.
CONFIG_ARM_VIRT=y
# QEMU 10.2's virt selects ACPI_CXL, whose code calls into hw/cxl, which
# CXL (on by default, off with --without-default-devices) builds: without
# it the link fails (hw/cxl's stubs lack cxl_fmws_get_all_sorted()). CXL
# depends on the PCI expander bridge, and needs the CXL memory device and
# the PCIe root port that its ports derive from.
CONFIG_PXB=y
CONFIG_CXL=y
CONFIG_CXL_MEM_DEVICE=y
CONFIG_PCIE_PORT=y
