// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_cpu_on - a PSCI CPU_ON discards a pending virtual SError.
 *
 * api.rst: "A pending SError is discarded when the VCPU is reset, by
 * KVM_ARM_VCPU_INIT or a PSCI CPU_ON" (fixes 3). external_aborts checks
 * KVM_ARM_VCPU_INIT; this checks the other reset. vCPU 1, powered off, has
 * an SError pended by userspace; vCPU 0 turns it on with PSCI CPU_ON. vCPU 1
 * comes up at its entry point with the MMU off, unmasks SErrors and reports
 * with an MMIO write: 1 if it went on, 0xbad from its SError vector if it
 * took the SError its previous life left pending.
 */
#include <linux/psci.h>

#include "kselftest.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MMIO_ADDR	0x8000000ULL	/* no memslot: an MMIO exit */
/* vCPU 1's code, in page 0 (the library allocates from page 2 on) */
#define ENTRY_GPA	0x800
#define SERROR_VECTOR	0x380	/* VBAR_EL1 (0 after reset) + current EL, SPx */
#define SYNC_VECTOR	0x200

/* A64: MMIO_ADDR into x1, @val into x0, str x0, [x1], then b . */
#define A64_REPORT(val)	0xd2a00001 | ((MMIO_ADDR >> 16) << 5),	\
			0xd2800000 | ((val) << 5), 0xf9000020, 0x14000000
#define A64_UNMASK_A	0xd50344ff	/* msr daifclr, #4 */
#define A64_ISB		0xd5033fdf

static const u32 entry[] = { A64_UNMASK_A, A64_ISB, A64_REPORT(1) };
static const u32 on_serror[] = { A64_REPORT(0xbad) };
static const u32 on_sync[] = { A64_REPORT(0x5e5e) };

static void guest_cpu_on(void)
{
	struct arm_smccc_res res;

	do_smccc(PSCI_0_2_FN64_CPU_ON, 1, ENTRY_GPA, 0, 0, 0, 0, 0, &res);
	GUEST_ASSERT_EQ(res.a0, PSCI_RET_SUCCESS);
	GUEST_DONE();
}

static void write_code(struct kvm_vm *vm, u64 gpa, const u32 *code, size_t len)
{
	memcpy(addr_gpa2hva(vm, gpa), code, len);
}

int main(void)
{
	bool has_esr = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	struct kvm_vcpu_events events = {};
	struct kvm_mp_state off = { .mp_state = KVM_MP_STATE_STOPPED };
	struct kvm_vcpu *vcpu0, *vcpu1;
	struct kvm_vcpu_init init;
	struct kvm_run *run;
	struct ucall uc;
	struct kvm_vm *vm;
	u64 data = 0;

	vm = vm_create(2);
	kvm_get_default_vcpu_target(vm, &init);
	init.features[0] |= BIT(KVM_ARM_VCPU_PSCI_0_2);
	vcpu0 = aarch64_vcpu_add(vm, 0, &init, guest_cpu_on);
	vcpu1 = aarch64_vcpu_add(vm, 1, &init, guest_cpu_on);
	kvm_arch_vm_finalize_vcpus(vm);

	write_code(vm, ENTRY_GPA, entry, sizeof(entry));
	write_code(vm, SERROR_VECTOR, on_serror, sizeof(on_serror));
	write_code(vm, SYNC_VECTOR, on_sync, sizeof(on_sync));

	vcpu_mp_state_set(vcpu1, &off);
	events.exception.serror_pending = 1;
	events.exception.serror_has_esr = has_esr;
	events.exception.serror_esr = has_esr ? ESR_ELx_FSC_SERROR | ESR_ELx_AET_UER : 0;
	vcpu_events_set(vcpu1, &events);

	vcpu_run(vcpu0);
	if (get_ucall(vcpu0, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);

	vcpu_run(vcpu1);
	run = vcpu1->run;
	TEST_ASSERT_KVM_EXIT_REASON(vcpu1, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(run->mmio.phys_addr, MMIO_ADDR);
	memcpy(&data, run->mmio.data, sizeof(data));
	TEST_ASSERT(data != 0xbad,
		    "vCPU 1 took the SError pended before its PSCI CPU_ON");
	TEST_ASSERT_EQ(data, 1);
	vcpu_events_get(vcpu1, &events);
	TEST_ASSERT(!events.exception.serror_pending,
		    "an SError still pending after PSCI CPU_ON");

	kvm_vm_free(vm);
	return 0;
}
