// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_to_user - Test KVM_EXIT_ARM_SERROR (KVM_CAP_ARM_SERROR_TO_USER)
 *
 * With the capability, a guest SError that KVM would reflect into the guest
 * reaches userspace instead, and the virtual SError that userspace then makes
 * pending with KVM_SET_VCPU_EVENTS is what the guest takes.
 *
 * The SErrors are real: QEMU's Arm error injector raises a physical SError
 * with a chosen syndrome on a PE. The guest writes to the device, mapped into
 * it from /dev/mem as a VMM passes a device through, so the SError is taken
 * from the guest, or found pending at its next exit. Where a guest cannot
 * reach the device (pKVM), the host arms it for the PE the vCPU runs on.
 * Without the device the test is skipped, as sea_to_user is without EINJ.
 */
#include <linux/psci.h>

#include "error_injector.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define MMIO_ADDR		0x8000000ULL
#define SERROR_ESR(iss)		(FIELD_PREP(ESR_ELx_EC_MASK, ESR_ELx_EC_SERROR) | \
				 ESR_ELx_IL | (iss))
#define RAS_ISS(aet)		(ESR_ELx_FSC_SERROR | (aet))
#define IMPDEF_ISS		(ESR_ELx_IDS | 0xbad)

static struct error_injector *inj;
static bool host_has_ras;

/* Guest state, set by the host before each run. */
static u64 guest_iss;
static u64 guest_expected_esr;	/* ESR of the SError the guest must take, or 0 */
static u64 guest_esr_mask;	/* what of it is known: EC only without RAS */
static bool guest_resume;

enum exit_kind { EXIT_HVC, EXIT_MMIO, EXIT_IRQ };

static void guest_serror_handler(struct ex_regs *regs)
{
	GUEST_ASSERT(guest_expected_esr);
	GUEST_ASSERT_EQ(read_sysreg(esr_el1) & guest_esr_mask, guest_expected_esr);
	GUEST_DONE();
}

static void guest_take_pending_serror(void)
{
	local_serror_enable();
	isb();
	local_serror_disable();
	GUEST_ASSERT(!guest_expected_esr);
	GUEST_DONE();
}

static void guest_taken(void)
{
	guest_raise_serror(ERRINJ_SERROR, guest_iss);
	guest_take_pending_serror();
}

extern char hvc_insn, smc_insn, mmio_insn;

/* Make the guest exit to KVM with an HVC (SMC at vEL2), MMIO or IRQ exit. */
static noinline u64 guest_exit(enum exit_kind kind, bool last)
{
	u64 val = 0;

	switch (kind) {
	case EXIT_HVC:
		/* At vEL2 an HVC is the guest hypervisor's own: call with SMC. */
		if (get_current_el() == 2)
			asm volatile("mov x0, %1\n"
				     "smc_insn: smc #0\n"
				     "mov %0, x0\n"
				     : "=r" (val) : "r" ((u64)PSCI_0_2_FN_PSCI_VERSION)
				     : "x0", "x1", "x2", "x3");
		else
			asm volatile("mov x0, %1\n"
				     "hvc_insn: hvc #0\n"
				     "mov %0, x0\n"
				     : "=r" (val) : "r" ((u64)PSCI_0_2_FN_PSCI_VERSION)
				     : "x0", "x1", "x2", "x3");
		break;
	case EXIT_MMIO:
		asm volatile("mmio_insn: ldr %0, [%1]\n"
			     : "=r" (val) : "r" (MMIO_ADDR) : "memory");
		break;
	case EXIT_IRQ:
		while (last && !READ_ONCE(guest_resume))
			cpu_relax();
		break;
	}
	return val;
}

/*
 * A first round maps, at stage 2, the pages the second goes through, a
 * ucall's too (the guest may ask the host to arm the device): the SError
 * raised in the second must be found pending at its exit, not at a stage-2
 * fault on the way.
 */
static void guest_pending(enum exit_kind kind)
{
	u64 val;

	GUEST_SYNC(0);
	val = guest_exit(kind, false);
	guest_raise_serror(ERRINJ_SERROR_AT_ENTRY, guest_iss);
	GUEST_ASSERT_EQ(guest_exit(kind, true), val);
	GUEST_DONE();
}

static struct kvm_vm *vm_create_serror(struct kvm_vcpu **vcpu, void *guest_code,
				       bool cap)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(*vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, guest_serror_handler);
	virt_map(vm, MMIO_ADDR, MMIO_ADDR, 1);
	error_injector_map(inj, vm, 1);
	if (cap)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, 0);

	guest_esr_mask = host_has_ras ? -1ULL : ESR_ELx_EC_MASK;
	sync_global_to_guest(vm, guest_esr_mask);
	return vm;
}

static void expect_ucall_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		return;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("Unexpected exit %s, ucall %lu",
			  exit_reason_str(vcpu->run->exit_reason), uc.cmd);
	}
}

static void vcpu_run_expect_done(struct kvm_vcpu *vcpu)
{
	vcpu_run(vcpu);
	expect_ucall_done(vcpu);
}

/* The guest's MMIO read of MMIO_ADDR, which reads 0xcafe. */
static void vcpu_run_expect_mmio(struct kvm_vcpu *vcpu)
{
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(vcpu->run->mmio.phys_addr, MMIO_ADDR);
	*(u64 *)vcpu->run->mmio.data = 0xcafe;
}

static void vcpu_expect_serror_exit(struct kvm_vcpu *vcpu, u64 esr, u64 flags)
{
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_ARM_SERROR);
	TEST_ASSERT_EQ(vcpu->run->arm_serror.esr, esr);
	TEST_ASSERT_EQ(vcpu->run->arm_serror.flags, flags);
}

/* Make the SError that userspace chose pending, as a VMM answers the exit. */
static void vcpu_pend_serror(struct kvm_vcpu *vcpu, u64 iss)
{
	struct kvm_vcpu_events events = {};

	events.exception.serror_pending = true;
	events.exception.serror_has_esr = host_has_ras;
	events.exception.serror_esr = host_has_ras ? iss : 0;
	vcpu_events_set(vcpu, &events);
}

/*
 * Test that a guest SError taken to KVM reaches userspace with its sanitized
 * syndrome when KVM would reflect it, that nothing reaches the guest unless
 * userspace pends it, and that CE and UEO errors stay with KVM.
 */
static void test_taken(u64 iss)
{
	bool ras = host_has_ras && !(iss & ESR_ELx_IDS);
	bool to_user = !ras || (iss & ESR_ELx_AET) == ESR_ELx_AET_UEU ||
		       (iss & ESR_ELx_AET) == ESR_ELx_AET_UER;
	u64 esr = SERROR_ESR(ras ? iss : ESR_ELx_IDS);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_taken, true);

	guest_iss = iss;
	guest_expected_esr = to_user ? esr & guest_esr_mask : 0;
	sync_global_to_guest(vm, guest_iss);
	sync_global_to_guest(vm, guest_expected_esr);

	error_injector_vcpu_run(inj, vcpu);
	if (to_user) {
		vcpu_expect_serror_exit(vcpu, esr, 0);
		vcpu_pend_serror(vcpu, esr & ESR_ELx_ISS_MASK);
		vcpu_run(vcpu);
	}
	expect_ucall_done(vcpu);
	TEST_ASSERT_EQ(vcpu_get_stat(vcpu, serror_reflected), 0);

	kvm_vm_free(vm);
}

/*
 * Test that an SError found pending when the guest exits for another reason
 * abandons that exit: the guest executes the trapped instruction again when
 * it resumes, and the exit it made comes then.
 */
static void test_pending(enum exit_kind kind)
{
	u64 iss = RAS_ISS(ESR_ELx_AET_UER);
	u64 esr = SERROR_ESR(host_has_ras ? iss : ESR_ELx_IDS);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_pending, true);
	u64 pc;

	guest_iss = iss;
	guest_expected_esr = 0;
	guest_resume = false;
	sync_global_to_guest(vm, guest_iss);
	sync_global_to_guest(vm, guest_expected_esr);
	sync_global_to_guest(vm, guest_resume);
	vcpu_args_set(vcpu, 1, kind);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_SYNC);
	if (kind == EXIT_MMIO)
		vcpu_run_expect_mmio(vcpu);
	error_injector_vcpu_run(inj, vcpu);
	vcpu_expect_serror_exit(vcpu, esr, KVM_EXIT_ARM_SERROR_FLAG_PENDING);

	pc = vcpu_get_reg(vcpu, ARM64_CORE_REG(regs.pc));
	if (kind == EXIT_HVC)
		TEST_ASSERT_EQ(pc, vcpu_has_el2(vcpu) ? (u64)&smc_insn : (u64)&hvc_insn);
	if (kind == EXIT_MMIO) {
		TEST_ASSERT_EQ(pc, (u64)&mmio_insn);
		vcpu_run_expect_mmio(vcpu);
	}
	if (kind == EXIT_IRQ) {
		guest_resume = true;
		sync_global_to_guest(vm, guest_resume);
	}

	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

/*
 * Test that without the capability KVM reflects the SError with its own
 * syndrome, as it always did, and counts it.
 */
static void test_cap_off(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_taken, false);

	guest_iss = RAS_ISS(ESR_ELx_AET_UER);
	guest_expected_esr = SERROR_ESR(ESR_ELx_IDS) & guest_esr_mask;
	sync_global_to_guest(vm, guest_iss);
	sync_global_to_guest(vm, guest_expected_esr);

	error_injector_vcpu_run(inj, vcpu);
	expect_ucall_done(vcpu);
	TEST_ASSERT_EQ(vcpu_get_stat(vcpu, serror_reflected), 1);

	kvm_vm_free(vm);
}

static void test_enable_cap(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SERROR_TO_USER };
	struct kvm_vm *vm = vm_create_barebones();
	int i;

	for (i = 0; i < ARRAY_SIZE(cap.args); i++) {
		cap.args[i] = 1;
		TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
			    "KVM_ENABLE_CAP with args[%d] = 1 should fail with EINVAL", i);
		cap.args[i] = 0;
	}
	cap.flags = 1;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP with flags = 1 should fail with EINVAL");
	cap.flags = 0;
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);

	kvm_vm_free(vm);
}

int main(void)
{
	char why[256];

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));
	test_enable_cap();

	inj = error_injector_open(why, sizeof(why));
	if (!inj)
		ksft_exit_skip("%s\n", why);

	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	if (!inj->guest_reachable)
		pr_info("A guest cannot reach the device: the host arms it for the vCPU's PE\n");

	test_taken(IMPDEF_ISS);
	test_taken(RAS_ISS(ESR_ELx_AET_UER));
	test_taken(RAS_ISS(ESR_ELx_AET_UEU));
	test_taken(RAS_ISS(ESR_ELx_AET_UEO));
	test_taken(RAS_ISS(ESR_ELx_AET_CE));
	test_pending(EXIT_HVC);
	test_pending(EXIT_MMIO);
	test_pending(EXIT_IRQ);
	test_cap_off();

	return 0;
}
