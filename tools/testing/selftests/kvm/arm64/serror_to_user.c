// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_to_user - Test KVM_EXIT_ARM_SERROR (KVM_CAP_ARM_SERROR_TO_USER)
 *
 * With the capability, a guest SError that KVM would reflect into the guest
 * reaches userspace instead, with its syndrome reduced to the architected
 * fields; KVM injects nothing, and the guest takes exactly the virtual SError
 * that userspace makes pending with KVM_SET_VCPU_EVENTS, or none.
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
#define IMPDEF_ISS		(ESR_ELx_IDS | 0xabcdef)

static struct error_injector *inj;
static bool host_has_ras;

/* Set by the host before each run */
static u64 guest_iss;
static bool guest_resume;
/* Kept by the guest: the SErrors it took, and the syndrome of the last */
static u64 guest_serrors, guest_serror_esr;

enum exit_kind { EXIT_HVC, EXIT_MMIO, EXIT_IRQ };

static void guest_serror_handler(struct ex_regs *regs)
{
	guest_serrors++;
	guest_serror_esr = read_sysreg(esr_el1);
}

/*
 * Whatever is pending is taken now: nothing is pending unless the host made
 * it so (ISR_EL1.A says a virtual SError is pending).
 */
static void guest_take_pending(void)
{
	bool pending = read_sysreg(isr_el1) & ISR_EL1_A;

	local_serror_enable();
	isb();
	local_serror_disable();
	GUEST_ASSERT_EQ(pending, !!guest_serrors);
}

static void guest_taken(void)
{
	guest_raise_serror(ERRINJ_SERROR, guest_iss);
	guest_take_pending();
	GUEST_DONE();
}

/* Make the guest exit to KVM with an HVC (SMC at vEL2), MMIO or IRQ exit. */
static u64 guest_exit(enum exit_kind kind, bool last)
{
	struct arm_smccc_res res = {};

	switch (kind) {
	case EXIT_HVC:
		/* At vEL2 an HVC is the guest hypervisor's own: call with SMC. */
		if (get_current_el() == 2)
			smccc_smc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0,
				  &res);
		else
			smccc_hvc(PSCI_0_2_FN_PSCI_VERSION, 0, 0, 0, 0, 0, 0, 0,
				  &res);
		return res.a0;
	case EXIT_MMIO:
		return READ_ONCE(*(u64 *)MMIO_ADDR);
	case EXIT_IRQ:
		while (last && !READ_ONCE(guest_resume))
			cpu_relax();
		return 0;
	}
	return 0;
}

/*
 * A first round maps, at stage 2, the pages the second goes through, a
 * ucall's too (the guest may ask the host to arm the device): the SError
 * raised in the second must be found pending at its exit, not at a stage-2
 * fault on the way. The exit it came with is abandoned and made again: it
 * returns what the first did.
 */
static void guest_pending(enum exit_kind kind)
{
	u64 val;

	GUEST_SYNC(0);
	val = guest_exit(kind, false);
	guest_raise_serror(ERRINJ_SERROR_AT_ENTRY, guest_iss);
	GUEST_ASSERT_EQ(guest_exit(kind, true), val);
	guest_take_pending();
	GUEST_DONE();
}

static struct kvm_vm *vm_create_serror(struct kvm_vcpu **vcpu, void *guest_code,
				       u64 cap_args)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(*vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, guest_serror_handler);
	virt_map(vm, MMIO_ADDR, MMIO_ADDR, 1);
	error_injector_map(inj, vm, 1);
	if (cap_args)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, cap_args);
	return vm;
}

static void vcpu_run_expect_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
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

/* The guest's MMIO read of MMIO_ADDR, which reads 0xcafe. */
static void vcpu_run_expect_mmio(struct kvm_vcpu *vcpu)
{
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(vcpu->run->mmio.phys_addr, MMIO_ADDR);
	*(u64 *)vcpu->run->mmio.data = 0xcafe;
}

/* What the exit reports, and that KVM made nothing pending for it. */
static void vcpu_expect_serror_exit(struct kvm_vcpu *vcpu, u64 esr, u64 flags)
{
	struct kvm_vcpu_events events;

	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_ARM_SERROR);
	TEST_ASSERT_EQ(vcpu->run->arm_serror.esr, esr);
	TEST_ASSERT_EQ(vcpu->run->arm_serror.flags, flags);
	vcpu_events_get(vcpu, &events);
	TEST_ASSERT(!events.exception.serror_pending,
		    "KVM made an SError pending for KVM_EXIT_ARM_SERROR");
}

/*
 * Answer the exit as a VMM does: make a virtual SError pending, with the
 * reported syndrome where the host can set one, or resume with nothing.
 * Returns the syndrome the guest must then take, or 0.
 */
static u64 vcpu_answer(struct kvm_vcpu *vcpu, u64 esr, bool pend)
{
	struct kvm_vcpu_events events = {};

	if (!pend)
		return 0;
	events.exception.serror_pending = true;
	events.exception.serror_has_esr = host_has_ras;
	events.exception.serror_esr = host_has_ras ? esr & ESR_ELx_ISS_MASK : 0;
	vcpu_events_set(vcpu, &events);
	return host_has_ras ? esr : SERROR_ESR(ESR_ELx_IDS);
}

/* The guest took exactly one SError with @esr, or none if @esr is 0. */
static void vcpu_expect_guest_serror(struct kvm_vm *vm, u64 esr)
{
	/* Without RAS, the syndrome of a virtual SError is not architected. */
	u64 mask = host_has_ras ? -1ULL : ESR_ELx_EC_MASK;

	sync_global_from_guest(vm, guest_serrors);
	sync_global_from_guest(vm, guest_serror_esr);
	TEST_ASSERT_EQ(guest_serrors, !!esr);
	if (esr)
		TEST_ASSERT_EQ(guest_serror_esr & mask, esr & mask);
}

/*
 * An SError taken from the guest with syndrome @iss: userspace gets it with
 * the architected fields only if KVM would reflect it (@to_user), and the
 * guest takes what userspace pends (@pend), or nothing. An SError KVM
 * ignores (UEO, CE) was raised all the same: the device counts it.
 */
static void test_taken(u64 iss, bool to_user, u64 exit_iss, bool pend)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_taken,
					     KVM_ARM_SERROR_TO_USER_EXIT);
	u64 count = error_injector_read(inj, ERRINJ_COUNT);
	u64 esr = SERROR_ESR(host_has_ras ? exit_iss : ESR_ELx_IDS);
	u64 taken = 0;

	guest_iss = iss;
	sync_global_to_guest(vm, guest_iss);

	error_injector_vcpu_run(inj, vcpu);
	if (to_user || !host_has_ras) {
		vcpu_expect_serror_exit(vcpu, esr, 0);
		taken = vcpu_answer(vcpu, esr, pend);
		vcpu_run_expect_done(vcpu);
	} else {
		TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_DONE);
	}
	vcpu_expect_guest_serror(vm, taken);
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_COUNT), count + 1);
	TEST_ASSERT_EQ(vcpu_get_stat(vcpu, serror_reflected), 0);
	kvm_vm_free(vm);
}

/*
 * An SError with syndrome @iss found pending when the guest exits for
 * another reason (HVC, MMIO, IRQ): userspace gets it first, with the
 * architected fields only (@exit_iss), and the exit it came with is
 * abandoned and made again, exactly once, when the guest resumes.
 */
static void test_pending(enum exit_kind kind, u64 iss, u64 exit_iss, bool pend)
{
	u64 esr = SERROR_ESR(host_has_ras ? exit_iss : ESR_ELx_IDS);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_pending,
					     KVM_ARM_SERROR_TO_USER_EXIT);
	u64 mmio_exits, taken;

	guest_iss = iss;
	guest_resume = false;
	sync_global_to_guest(vm, guest_iss);
	sync_global_to_guest(vm, guest_resume);
	vcpu_args_set(vcpu, 1, kind);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_SYNC);
	if (kind == EXIT_MMIO)
		vcpu_run_expect_mmio(vcpu);
	error_injector_vcpu_run(inj, vcpu);
	vcpu_expect_serror_exit(vcpu, esr, 0);
	taken = vcpu_answer(vcpu, esr, pend);

	mmio_exits = vcpu_get_stat(vcpu, mmio_exit_user);
	if (kind == EXIT_MMIO)
		vcpu_run_expect_mmio(vcpu);
	if (kind == EXIT_IRQ) {
		guest_resume = true;
		sync_global_to_guest(vm, guest_resume);
	}
	vcpu_run_expect_done(vcpu);
	/* The MMIO exit once more, and GUEST_DONE()'s (a ucall is one too) */
	TEST_ASSERT_EQ(vcpu_get_stat(vcpu, mmio_exit_user) - mmio_exits,
		       (kind == EXIT_MMIO) + 1);
	vcpu_expect_guest_serror(vm, taken);
	kvm_vm_free(vm);
}

/*
 * Enabling refuses any args[0] bit KVM_CHECK_EXTENSION did not report, other
 * arguments, and flags.
 */
static void vm_enable_cap_refused(struct kvm_vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SERROR_TO_USER };
	int i;

	for (i = 0; i < 64; i++) {
		cap.args[0] = BIT_ULL(i);
		if (cap.args[0] == KVM_ARM_SERROR_TO_USER_EXIT)
			continue;
		TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
			    "KVM_ENABLE_CAP with args[0] = 0x%llx should fail with EINVAL",
			    cap.args[0]);
	}
	cap.args[0] = KVM_ARM_SERROR_TO_USER_EXIT;
	for (i = 1; i < ARRAY_SIZE(cap.args); i++) {
		cap.args[i] = 1;
		TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
			    "KVM_ENABLE_CAP with args[%d] = 1 should fail with EINVAL", i);
		cap.args[i] = 0;
	}
	cap.flags = 1;
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP with flags = 1 should fail with EINVAL");
}

/* KVM_CHECK_EXTENSION reports the one flag, and enabling refuses the rest. */
static void test_enable_cap(void)
{
	struct kvm_vm *vm = vm_create_barebones();

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_ARM_SERROR_TO_USER),
		       KVM_ARM_SERROR_TO_USER_EXIT);
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_ARM_SERROR_TO_USER),
		       KVM_ARM_SERROR_TO_USER_EXIT);
	vm_enable_cap_refused(vm);
	kvm_vm_free(vm);
}

/*
 * Without the capability KVM reflects the SError with its own syndrome, as
 * it always did, and counts it; so it does once it was turned off again. A
 * refused enable changes nothing.
 */
static void test_reflected(u64 cap_args, bool then_off)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_taken, cap_args);

	if (then_off)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, 0);
	vm_enable_cap_refused(vm);
	guest_iss = RAS_ISS(ESR_ELx_AET_UER);
	sync_global_to_guest(vm, guest_iss);

	error_injector_vcpu_run(inj, vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_DONE);
	vcpu_expect_guest_serror(vm, SERROR_ESR(ESR_ELx_IDS));
	TEST_ASSERT_EQ(vcpu_get_stat(vcpu, serror_reflected), 1);
	kvm_vm_free(vm);
}

int main(void)
{
	u64 uer = RAS_ISS(ESR_ELx_AET_UER), ueu = RAS_ISS(ESR_ELx_AET_UEU);
	char why[256];

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));
	/* Needs no SError: runs wherever the capability is */
	test_enable_cap();

	inj = error_injector_open(why, sizeof(why));
	if (!inj)
		ksft_exit_skip("%s\n", why);
	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	if (!inj->guest_reachable)
		pr_info("A guest cannot reach the device: the host arms it for the vCPU's PE\n");

	/* What userspace gets: EA and an IMPDEF syndrome's bits are not reported */
	test_taken(IMPDEF_ISS, true, ESR_ELx_IDS, true);
	test_taken(uer, true, uer, true);
	test_taken(uer | ESR_ELx_EA, true, uer, true);
	test_taken(ueu | ESR_ELx_EA, true, ueu, false);
	test_taken(ueu, true, ueu, true);
	test_taken(IMPDEF_ISS, true, ESR_ELx_IDS, false);
	/* What KVM keeps: no exit, and nothing for the guest */
	test_taken(RAS_ISS(ESR_ELx_AET_UEO), false, 0, false);
	test_taken(RAS_ISS(ESR_ELx_AET_CE) | ESR_ELx_EA, false, 0, false);
	/* The same found pending in DISR_EL1, and the exit made again */
	test_pending(EXIT_HVC, uer | ESR_ELx_EA, uer, true);
	test_pending(EXIT_MMIO, ueu | ESR_ELx_EA, ueu, false);
	test_pending(EXIT_MMIO, uer, uer, true);
	test_pending(EXIT_IRQ, IMPDEF_ISS, ESR_ELx_IDS, false);
	test_reflected(0, false);
	test_reflected(KVM_ARM_SERROR_TO_USER_EXIT, true);

	return 0;
}
