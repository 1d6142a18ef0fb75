// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_exit - KVM_EXIT_ARM_SERROR with real guest SErrors
 *
 * The device-backed half of the series' arm64/serror_to_user selftest, which
 * keeps what runs on any arm64 host. With KVM_CAP_ARM_SERROR_TO_USER, a guest
 * SError that KVM would reflect into the guest reaches userspace instead,
 * with its syndrome reduced to the architected fields; KVM injects nothing,
 * and the guest takes exactly the virtual SError that userspace makes
 * pending with KVM_SET_VCPU_EVENTS, or none.
 *
 * The SErrors are real: QEMU's Arm error injector raises a physical SError
 * with a chosen syndrome on a PE. The guest writes to the device, mapped into
 * it from /dev/mem as a VMM passes a device through, so the SError is taken
 * from the guest, or found pending at its next exit. Where a guest cannot
 * reach the device (pKVM), the host arms it for the PE the vCPU runs on.
 * Without the device the test is skipped.
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
#define PTE_USER		BIT(6)	/* AP[1]: EL0 may access the page */
/* SPSR for AArch32 User mode (M[4:0] = 0x10), A, I and F masked */
#define SPSR_AA32_USR_MASKED	(0x10 | BIT(8) | BIT(7) | BIT(6))

static struct error_injector *inj;
static bool host_has_ras;
static bool guest_at_el2;	/* the selftests run guests at vEL2 here */

/* Set by the host before each run */
static u64 guest_iss;
static bool guest_resume;
/* Kept by the guest: the SErrors it took, and the syndrome of the last */
static u64 guest_serrors, guest_serror_esr;

enum exit_kind { EXIT_HVC, EXIT_MMIO, EXIT_IRQ };

static u64 guest_serror_el;

static void guest_serror_handler(struct ex_regs *regs)
{
	guest_serror_el = get_current_el();
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
 * Run the vCPU into its SError: where it exits (@exits), check the exit's
 * syndrome, answer it (@pend) and run the guest to its end; otherwise the
 * guest ends on its own. Returns the syndrome the guest must have taken,
 * or 0.
 */
static u64 vcpu_run_serror(struct kvm_vcpu *vcpu, bool exits, u64 esr,
			   bool pend)
{
	u64 taken = 0;

	error_injector_vcpu_run(inj, vcpu);
	if (exits) {
		vcpu_expect_serror_exit(vcpu, esr, 0);
		taken = vcpu_answer(vcpu, esr, pend);
		vcpu_run_expect_done(vcpu);
	} else {
		TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_DONE);
	}
	return taken;
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
	u64 taken;

	guest_iss = iss;
	sync_global_to_guest(vm, guest_iss);

	taken = vcpu_run_serror(vcpu, to_user || !host_has_ras, esr, pend);
	vcpu_expect_guest_serror(vm, taken);
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_COUNT), count + 1);
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
	u64 mmio_exits, hvc_exits, taken;

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
	hvc_exits = vcpu_get_stat(vcpu, hvc_exit_stat);
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
	/*
	 * The HVC once more, handled by KVM then and not before: hvc_exit_stat
	 * counts HVCs KVM handled (at vEL2 the guest calls with SMC, which it
	 * does not count).
	 */
	if (kind == EXIT_HVC && !guest_at_el2)
		TEST_ASSERT_EQ(vcpu_get_stat(vcpu, hvc_exit_stat) - hvc_exits, 1);
	vcpu_expect_guest_serror(vm, taken);
	kvm_vm_free(vm);
}

static void guest_toggled(void)
{
	GUEST_SYNC(0);
	guest_raise_serror(ERRINJ_SERROR, guest_iss);
	guest_take_pending();
	GUEST_SYNC(1);
	guest_raise_serror(ERRINJ_SERROR, guest_iss);
	guest_take_pending();
	GUEST_DONE();
}

/*
 * The capability turned on while the vCPU runs takes effect at the next
 * SError (an exit, nothing injected), and turned off again, at the one
 * after (KVM's reflection).
 */
static void test_toggled(void)
{
	u64 uer = RAS_ISS(ESR_ELx_AET_UER);
	u64 esr = SERROR_ESR(host_has_ras ? uer : ESR_ELx_IDS);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_toggled, 0);
	struct ucall uc;

	guest_iss = uer;
	sync_global_to_guest(vm, guest_iss);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], 0);
	vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, KVM_ARM_SERROR_TO_USER_EXIT);
	error_injector_vcpu_run(inj, vcpu);
	vcpu_expect_serror_exit(vcpu, esr, 0);

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], 1);
	vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, 0);
	error_injector_vcpu_run(inj, vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
	vcpu_expect_guest_serror(vm, SERROR_ESR(ESR_ELx_IDS));
	kvm_vm_free(vm);
}

/* An enable with a flag KVM_CHECK_EXTENSION does not report: refused. */
static void vm_enable_cap_refused(struct kvm_vm *vm)
{
	u64 valid = vm_check_cap(vm, KVM_CAP_ARM_SERROR_TO_USER);
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ARM_SERROR_TO_USER,
		.args[0] = ~valid,
	};

	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP with args[0] = 0x%llx should fail with EINVAL",
		    cap.args[0]);
}

/*
 * Without the capability KVM reflects the SError with its own syndrome, as
 * it always did; so it does once it was turned off again. A refused enable
 * changes nothing.
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
	kvm_vm_free(vm);
}

static u64 guest_pending_iss;

static void guest_pair(void)
{
	guest_raise_serror_pair(guest_iss, guest_pending_iss);
	guest_take_pending();
	GUEST_DONE();
}

/*
 * One exit takes an SError (@iss) and finds another deferred by the vector's
 * ESB (@pending_iss): KVM classifies both, and makes one exit, with the more
 * severe (@exit_iss), if either is one it would reflect; none otherwise. The
 * device raised both.
 */
static void test_pair(u64 iss, u64 pending_iss, u64 exit_iss)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_pair,
					     KVM_ARM_SERROR_TO_USER_EXIT);
	u64 count = error_injector_read(inj, ERRINJ_COUNT);
	u64 esr = SERROR_ESR(host_has_ras ? exit_iss : ESR_ELx_IDS);
	u64 taken;

	guest_iss = iss;
	guest_pending_iss = pending_iss;
	sync_global_to_guest(vm, guest_iss);
	sync_global_to_guest(vm, guest_pending_iss);

	taken = vcpu_run_serror(vcpu, exit_iss || !host_has_ras, esr, true);
	vcpu_expect_guest_serror(vm, taken);
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_COUNT), count + 2);
	kvm_vm_free(vm);
}

/*
 * A nested guest (L2) of the guest code at vEL2 (L1): it raises an SError
 * with syndrome @iss while it runs at EL1, takes what is pending for it,
 * then calls L1 with an HVC.
 */
static noinline void l2_serror_code(u64 iss)
{
	guest_raise_serror(ERRINJ_SERROR, iss);
	local_serror_enable();
	isb();
	local_serror_disable();
	asm volatile("hvc #0" : : : "memory");
	for (;;)
		cpu_relax();
}

static u64 l2_stack[512] __aligned(16);
static u64 guest_l1_hcr;		/* HCR_EL2 bits L1 sets for L2 */
static u64 l1_serrors, l1_serror_esr;	/* SErrors L1 took from L2 */

/*
 * L1: run @l2_code as L2 from vEL2 (E2H set, as the selftests run it) with
 * TGE clear and @hcr set in HCR_EL2, @arg in x0: L2's EL1&0 regime is L1's
 * own, through the *_EL12 registers, and its stage 2 is off.
 */
static void guest_run_l2(void *l2_code, u64 hcr, u64 arg)
{
	GUEST_ASSERT_EQ(get_current_el(), 2);
	write_sysreg_s(read_sysreg(sctlr_el1), SYS_SCTLR_EL12);
	write_sysreg_s(read_sysreg(cpacr_el1), SYS_CPACR_EL12);
	write_sysreg_s(read_sysreg(tcr_el1), SYS_TCR_EL12);
	write_sysreg_s(read_sysreg(ttbr0_el1), SYS_TTBR0_EL12);
	write_sysreg_s(read_sysreg(mair_el1), SYS_MAIR_EL12);
	write_sysreg_s(read_sysreg(vbar_el1), SYS_VBAR_EL12);
	write_sysreg((u64)&l2_stack[ARRAY_SIZE(l2_stack)], sp_el1);
	sysreg_clear_set(hcr_el2, HCR_EL2_TGE | HCR_EL2_AMO, hcr);
	isb();

	write_sysreg(PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT,
		     spsr_el2);
	write_sysreg((u64)l2_code, elr_el2);
	asm volatile("mov x0, %0\n\t"
		     "eret\n\t"
		     : : "r" (arg) : "x0", "memory");
	__builtin_unreachable();
}

static void guest_l1(void)
{
	guest_run_l2(l2_serror_code, READ_ONCE(guest_l1_hcr), READ_ONCE(guest_iss));
}

/* L1 takes an SError from L2 (HCR_EL2.AMO): that ends the case. */
static void l1_serror_handler(struct ex_regs *regs)
{
	GUEST_ASSERT_EQ(regs->pstate & PSR_MODE_MASK, PSR_MODE_EL1h);
	l1_serrors++;
	l1_serror_esr = read_sysreg(esr_el1);	/* ESR_EL2, E2H being set */
	GUEST_DONE();
}

/* L2 calls L1 when it went on: that ends the case too. */
static void l1_hvc_handler(struct ex_regs *regs)
{
	GUEST_DONE();
}

/*
 * A guest SError taken while the vCPU runs L2: the exit says so
 * (KVM_EXIT_ARM_SERROR_FLAG_NESTED), and what userspace pends goes where an
 * SError of L2 goes: to L1 if it routes SErrors to itself (@amo), to L2
 * otherwise; with nothing pended (@pend false), neither takes anything.
 * Without the capability (@to_user false), KVM's own reflection goes the
 * same way.
 */
static void test_nested(bool to_user, bool amo, bool pend)
{
	u64 uer = RAS_ISS(ESR_ELx_AET_UER);
	u64 esr = SERROR_ESR(host_has_ras ? uer : ESR_ELx_IDS);
	u64 mask = host_has_ras ? -1ULL : ESR_ELx_EC_MASK;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_l1, to_user ?
					     KVM_ARM_SERROR_TO_USER_EXIT : 0);
	u64 taken = to_user ? 0 : SERROR_ESR(ESR_ELx_IDS);

	vm_install_exception_handler(vm, VECTOR_ERROR_LOWER_64, l1_serror_handler);
	vm_install_sync_handler(vm, VECTOR_SYNC_LOWER_64, ESR_ELx_EC_HVC64,
				l1_hvc_handler);
	guest_iss = uer;
	guest_l1_hcr = amo ? HCR_EL2_AMO : 0;
	sync_global_to_guest(vm, guest_iss);
	sync_global_to_guest(vm, guest_l1_hcr);

	error_injector_vcpu_run(inj, vcpu);
	if (to_user) {
		vcpu_expect_serror_exit(vcpu, esr, KVM_EXIT_ARM_SERROR_FLAG_NESTED);
		taken = vcpu_answer(vcpu, esr, pend);
		vcpu_run_expect_done(vcpu);
	} else {
		TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_DONE);
	}

	sync_global_from_guest(vm, l1_serrors);
	sync_global_from_guest(vm, l1_serror_esr);
	sync_global_from_guest(vm, guest_serrors);
	sync_global_from_guest(vm, guest_serror_esr);
	sync_global_from_guest(vm, guest_serror_el);
	TEST_ASSERT_EQ(l1_serrors, amo && taken);
	TEST_ASSERT_EQ(guest_serrors, !amo && taken);
	if (amo && taken)
		TEST_ASSERT_EQ(l1_serror_esr & mask, taken & mask);
	if (!amo && taken) {
		TEST_ASSERT_EQ(guest_serror_el, 1);
		TEST_ASSERT_EQ(guest_serror_esr & mask, taken & mask);
	}
	kvm_vm_free(vm);
}

/*
 * AArch32 EL0 code, in a page of its own that EL0 may read and execute:
 * "str r1, [r0]", then "b .".
 */
static u32 a32_code[1024] __aligned(4096) = { 0xe5801000, 0xeafffffe };

/*
 * L2 (EL1) drops to AArch32 EL0, which writes @iss to the device's SERROR
 * register: an SError raised in a mode that a vCPU with nested
 * virtualization must not run in. (L1 cannot go there itself: KVM makes a
 * guest hypervisor's ERET to AArch32 an illegal exception return.)
 */
static noinline void l2_aarch32_el0(u64 iss)
{
	/*
	 * Fault in the code and the device at L2's (shadow) stage 2 first:
	 * any exit once the vCPU is in AArch32 fails, and the first must be
	 * the SError's.
	 */
	READ_ONCE(a32_code[0]);
	READ_ONCE(*(volatile u64 *)(ERRINJ_GPA + ERRINJ_ID));
	write_sysreg(SPSR_AA32_USR_MASKED, spsr_el1);
	write_sysreg((u64)a32_code, elr_el1);
	asm volatile("mov x0, %0\n\t"
		     "mov x1, %1\n\t"
		     "eret\n\t"
		     : : "r" (ERRINJ_GPA + ERRINJ_SERROR), "r" (iss)
		     : "x0", "x1", "memory");
	__builtin_unreachable();
}

static void guest_aarch32_el0(void)
{
	guest_run_l2(l2_aarch32_el0, 0, READ_ONCE(guest_iss));
}

/*
 * An SError on the exit that catches a vCPU in a mode it must not run in
 * (vcpu_mode_is_bad_32bit(): any AArch32 mode, with nested virtualization)
 * is dropped with the vCPU's state: the exit fails (KVM_EXIT_FAIL_ENTRY),
 * not KVM_EXIT_ARM_SERROR, the vCPU is no longer initialized, and the
 * KVM_ARM_VCPU_INIT that runs it again leaves nothing pending.
 */
static void test_bad_aarch32(void)
{
	struct kvm_vcpu_events events;
	struct kvm_vcpu_init init;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_aarch32_el0,
					     KVM_ARM_SERROR_TO_USER_EXIT);
	u64 count = error_injector_read(inj, ERRINJ_COUNT);

	*virt_get_pte_hva(vm, (u64)a32_code) |= PTE_USER;
	*virt_get_pte_hva(vm, ERRINJ_GPA) |= PTE_USER;
	guest_iss = RAS_ISS(ESR_ELx_AET_UER);
	sync_global_to_guest(vm, guest_iss);

	TEST_ASSERT(_vcpu_run(vcpu) == -1 && errno == EINVAL,
		    "KVM_RUN should fail with EINVAL, exit %s",
		    exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_FAIL_ENTRY);
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_COUNT), count + 1);
	TEST_ASSERT(__vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &events) == -1 &&
		    errno == ENOEXEC, "the vCPU should no longer be initialized");

	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= BIT(KVM_ARM_VCPU_HAS_EL2);
	vcpu_ioctl(vcpu, KVM_ARM_VCPU_INIT, &init);
	vcpu_events_get(vcpu, &events);
	TEST_ASSERT(!events.exception.serror_pending,
		    "an SError pending after KVM_ARM_VCPU_INIT");
	kvm_vm_free(vm);
}

/* Whether the selftests run this host's guests at vEL2 */
static bool vm_has_el2(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, NULL);
	bool el2 = vm_supports_el2(vm);

	kvm_vm_free(vm);
	return el2;
}

int main(void)
{
	u64 uer = RAS_ISS(ESR_ELx_AET_UER), ueu = RAS_ISS(ESR_ELx_AET_UEU);
	char why[256];

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));

	inj = error_injector_open(why, sizeof(why));
	if (!inj)
		ksft_exit_skip("%s\n", why);
	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	guest_at_el2 = vm_has_el2();
	if (!inj->guest_reachable)
		pr_info("A guest cannot reach the device: the host arms it for the vCPU's PE\n");

	ksft_print_header();
	ksft_set_plan(6);

	/* What userspace gets: an IMPDEF syndrome's bits are not reported */
	test_taken(IMPDEF_ISS, true, ESR_ELx_IDS, true);
	test_taken(uer, true, uer, true);
	test_taken(uer | ESR_ELx_EA, true, uer | ESR_ELx_EA, true);
	test_taken(ueu | ESR_ELx_EA, true, ueu | ESR_ELx_EA, false);
	test_taken(ueu, true, ueu, true);
	test_taken(IMPDEF_ISS, true, ESR_ELx_IDS, false);
	/* What KVM keeps: no exit, and nothing for the guest */
	test_taken(RAS_ISS(ESR_ELx_AET_UEO), false, 0, false);
	test_taken(RAS_ISS(ESR_ELx_AET_CE) | ESR_ELx_EA, false, 0, false);
	ksft_test_result_pass("taken: the exit's syndrome, nothing injected\n");

	/* The same found pending in DISR_EL1, and the exit made again */
	test_pending(EXIT_HVC, uer | ESR_ELx_EA, uer | ESR_ELx_EA, true);
	test_pending(EXIT_MMIO, ueu | ESR_ELx_EA, ueu | ESR_ELx_EA, false);
	test_pending(EXIT_MMIO, uer, uer, true);
	test_pending(EXIT_IRQ, IMPDEF_ISS, ESR_ELx_IDS, false);
	ksft_test_result_pass("pending at an HVC, MMIO or IRQ exit, made again once\n");

	/* One taken, one deferred: the more severe decides, one exit */
	test_pair(uer, RAS_ISS(ESR_ELx_AET_CE), uer);
	test_pair(RAS_ISS(ESR_ELx_AET_UEO), ueu, ueu);
	test_pair(uer, ueu, ueu);
	test_pair(ueu, IMPDEF_ISS, ESR_ELx_IDS);
	test_pair(RAS_ISS(ESR_ELx_AET_CE), RAS_ISS(ESR_ELx_AET_UEO), 0);
	ksft_test_result_pass("one taken and one deferred: one exit, the more severe\n");

	test_reflected(0, false);
	test_reflected(KVM_ARM_SERROR_TO_USER_EXIT, true);
	test_toggled();
	ksft_test_result_pass("without the capability, or turned off: reflected\n");

	if (!guest_at_el2) {
		ksft_test_result_skip("nested guest: the VM has no EL2\n");
	} else {
		test_nested(true, true, true);
		test_nested(true, false, true);
		test_nested(true, true, false);
		test_nested(true, false, false);
		test_nested(false, true, false);
		test_nested(false, false, false);
		ksft_test_result_pass("nested guest: FLAG_NESTED, routed by L1's HCR_EL2.AMO\n");
	}

	if (!guest_at_el2) {
		ksft_test_result_skip("AArch32 EL0 under NV: the VM has no EL2\n");
	} else {
		test_bad_aarch32();
		ksft_test_result_pass("AArch32 EL0 under NV: the exit fails, the SError dropped\n");
	}

	ksft_finished();
}
