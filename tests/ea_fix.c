// SPDX-License-Identifier: GPL-2.0
/*
 * The series' external_aborts cases for its fixes, one case a binary
 * (ea_fix_<case>, the Makefile's EA_FIXES), so that the testbed shows each
 * one failing on the unpatched base and passing with the series: the whole
 * external_aborts stops at the first case that fails.
 *
 * The cases are the series' own code: this file includes external_aborts.c
 * of the tree it is built against and calls one of its cases instead of its
 * main(). Which one is -DEA_FIX_<case>:
 *
 *   atomic            KVM_SET_VCPU_EVENTS that fails injects nothing
 *   reset             KVM_ARM_VCPU_INIT drops a pending virtual SError
 *   aarch32_masked    an AArch32 EL1 reads a UC syndrome with EA in its
 *                     own DFSR layout, also through KVM_GET_VCPU_EVENTS
 *   aarch32_unmasked  an AArch32 EL1 with SErrors unmasked takes one
 *   mmio              an MMIO access answered with an SError completes once
 *   mmio_reset        a reset discards an MMIO access not completed
 *   nested_serror     an SError answering a nested guest's MMIO exit, routed
 *                     to its guest hypervisor (HCR_EL2.AMO), is taken there
 *   nested_sea        the same with an SEA (HCR_EL2.TEA)
 */
/* Its other cases go unused, and its main() has no return once renamed */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wreturn-type"
#define main external_aborts_main
#include "arm64/external_aborts.c"
#undef main

int main(void)
{
#if defined(EA_FIX_atomic)
	test_serror_atomic();
#elif defined(EA_FIX_reset)
	test_serror_reset();
#elif defined(EA_FIX_aarch32_masked) || defined(EA_FIX_aarch32_unmasked)
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_EL1_32BIT));
#if defined(EA_FIX_aarch32_masked)
	test_serror_aarch32_iss(ESR_ELx_FSC_SERROR | ESR_ELx_AET_UC | ESR_ELx_EA,
				false);
#else
	test_serror_aarch32_iss(ESR_ELx_FSC_SERROR | ESR_ELx_AET_UC, true);
#endif
#elif defined(EA_FIX_mmio)
	test_serror_mmio();
#elif defined(EA_FIX_mmio_reset)
	test_mmio_reset();
#elif defined(EA_FIX_nested_serror) || defined(EA_FIX_nested_sea)
	TEST_REQUIRE(test_supports_el2());
#if defined(EA_FIX_nested_serror)
	test_serror_nested();
#else
	test_sea_nested();
#endif
#else
#error "which case: -DEA_FIX_<case>"
#endif
	return 0;
}
