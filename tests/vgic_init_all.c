// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgic_init_all - every check of the upstream arm64/vgic_init selftest,
 * with the IPA limit a VM really has
 *
 * On the unpatched 7.3 base under pKVM, vgic_init stops at its first
 * failure, vgic_init.c:179: a distributor address at what the test takes
 * for the IPA limit is accepted where it expects E2BIG, and every later
 * check is skipped with it. The test takes the limit of its default guest
 * mode (40 bits), but pKVM gives every VM the host's IPA limit
 * (KVM_CAP_ARM_VM_IPA_SIZE): the address is not beyond it. The testbed
 * runs vgic_init as it is, with that known failure, and this file too: the
 * same source and checks, with a main() that differs from upstream's only
 * in taking the limit from KVM on a pKVM host, so that every check runs
 * there and any failure is one.
 */
#define main vgic_init_upstream_main
#include "kvm/arm64/vgic_init.c"
#undef main

#include "host.h"

/* upstream's main(), but for max_phys_size under pKVM */
int main(int ac, char **av)
{
	int pa_bits;
	int cnt_impl = 0;

	test_disable_default_vgic();

	pa_bits = vm_guest_mode_params[VM_MODE_DEFAULT].pa_bits;
	if (host_is_protected()) {
		pa_bits = kvm_check_cap(KVM_CAP_ARM_VM_IPA_SIZE);
		pr_info("pKVM: the VMs' IPA limit is the host's, %d bits\n",
			pa_bits);
	}
	max_phys_size = 1ULL << pa_bits;

	if (!test_kvm_device(KVM_DEV_TYPE_ARM_VGIC_V3)) {
		pr_info("Running GIC_v3 tests.\n");
		run_tests(KVM_DEV_TYPE_ARM_VGIC_V3);
		cnt_impl++;
	}

	if (!test_kvm_device(KVM_DEV_TYPE_ARM_VGIC_V2)) {
		pr_info("Running GIC_v2 tests.\n");
		run_tests(KVM_DEV_TYPE_ARM_VGIC_V2);
		cnt_impl++;
	}

	if (!cnt_impl) {
		print_skip("No GICv2 nor GICv3 support");
		exit(KSFT_SKIP);
	}
	return 0;
}
