// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_late - physical SErrors that arrive late, at any instruction
 *
 * A real error becomes an SError when the hardware that found it gets there:
 * any number of instructions after what caused it, in whatever context the
 * PE has reached by then. QEMU's Arm error injector holds an SError back by
 * its DELAY register (error_injector.h): here the SErrors land in host
 * userspace, the host kernel, KVM's world switch or the guest, not at the
 * point that raised them.
 *
 *  - storm: corrected (CE) and restartable (UEO) SErrors, raised by the
 *    thread that runs the vCPU and held back for a random time of up to a
 *    few KVM_RUN round trips, wherever they land. None is fatal: the host
 *    goes on, KVM reports none to userspace and injects none, the guest
 *    takes none; the device raised each exactly once. Run with the
 *    capability on, and off.
 *  - UER in the guest: a recoverable SError held back after the entry into
 *    the guest, so that it lands while the guest runs, not on the exception
 *    return into it (at least one of the six cases must). With
 *    KVM_CAP_ARM_SERROR_TO_USER, exactly one KVM_EXIT_ARM_SERROR with its
 *    syndrome and nothing for the guest; without it, exactly one virtual
 *    SError reflected into the guest, which takes it where it was.
 *
 * Without FEAT_RAS every SError is uncategorized, which a host must treat as
 * fatal: the test is skipped there, and without a device that has DELAY.
 * What it cannot say is where each SError of the storm landed: only that the
 * delays span those contexts, and that wherever they landed, nothing leaked.
 */
#include "error_injector.h"
#include "processor.h"
#include "serror.h"
#include "test_util.h"
#include "ucall.h"

#define STORM_SERRORS		200
/* A random delay up to this, in ns: a few KVM_RUN round trips under TCG */
#define STORM_MAX_DELAY		400000
/* Guest work between two exits, in loop iterations */
#define STORM_SPIN		2000
/* How long the guest spins at most, waiting for the late UER */
#define LATE_SPIN_MAX		(1ULL << 26)

static struct error_injector *inj;

/* Kept by the guest: SErrors taken, their last syndrome, its progress */
static u64 guest_serrors, guest_serror_esr;
static u64 guest_progress, guest_progress_at_serror;
static u64 guest_spin_sink;

static void guest_late_serror_handler(struct ex_regs *regs)
{
	WRITE_ONCE(guest_serror_esr, read_sysreg(esr_el1));
	WRITE_ONCE(guest_progress_at_serror, READ_ONCE(guest_progress));
	WRITE_ONCE(guest_serrors, READ_ONCE(guest_serrors) + 1);
}

/* Work, exit, and take any virtual SError KVM pended: forever. */
static void guest_storm(void)
{
	u64 i;

	for (;;) {
		for (i = 0; i < STORM_SPIN; i++)
			WRITE_ONCE(guest_spin_sink, i);
		GUEST_SYNC(READ_ONCE(guest_serrors));
		guest_serror_window();
	}
}

/* Spin, SErrors unmasked, until one is taken or @max iterations. */
static void guest_spin_to(u64 max)
{
	u64 i;

	WRITE_ONCE(guest_progress, 0);
	local_serror_enable();
	for (i = 1; i <= max && !READ_ONCE(guest_serrors); i++)
		WRITE_ONCE(guest_progress, i);
	local_serror_disable();
}

/*
 * Spin for as long as the host says, and report, until told to stop. The
 * host first makes it spin a little: the delay counts time, not
 * instructions, and under TCG the first run of code is mostly its
 * translation.
 */
static u64 guest_spin_max;

static void guest_spin(void)
{
	while (READ_ONCE(guest_spin_max)) {
		guest_spin_to(READ_ONCE(guest_spin_max));
		GUEST_SYNC(READ_ONCE(guest_serrors));
	}
	GUEST_DONE();
}

static struct kvm_vm *vm_create_late(struct kvm_vcpu **vcpu, void *guest_code,
				     bool to_user)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(*vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT,
				     guest_late_serror_handler);
	if (to_user)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER,
			      KVM_ARM_SERROR_TO_USER_EXIT);
	return vm;
}

/* Nothing pending for the guest: KVM injected nothing it has not taken. */
static void vcpu_expect_nothing_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events events;

	vcpu_events_get(vcpu, &events);
	TEST_ASSERT_EQ(events.exception.serror_pending, 0);
}

/* Run to the guest's next report: no other exit, and no SError taken. */
static void vcpu_run_storm(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason != KVM_EXIT_ARM_SERROR,
		    "KVM_EXIT_ARM_SERROR for a CE or UEO SError, ESR %llx",
		    vcpu->run->arm_serror.esr);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[1] == 0, "The guest took %lu SErrors",
			    uc.args[1]);
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("Unexpected exit %s",
			  exit_reason_str(vcpu->run->exit_reason));
	}
	vcpu_expect_nothing_pending(vcpu);
}

static void test_storm(bool to_user)
{
	u64 ce = SERROR_ISS_RAS(ESR_ELx_AET_CE) | ESR_ELx_EA;
	u64 ueo = SERROR_ISS_RAS(ESR_ELx_AET_UEO);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 count, runs = 0;
	int raised = 0;

	vm = vm_create_late(&vcpu, guest_storm, to_user);
	count = error_injector_read(inj, ERRINJ_COUNT);
	while (raised < STORM_SERRORS) {
		/* The device holds back one SError per PE: raise the next. */
		if (!error_injector_held_back(inj)) {
			error_injector_arm_late(inj, ERRINJ_SERROR,
						raised & 1 ? ce : ueo,
						ERRINJ_DELAY_RANDOM |
						STORM_MAX_DELAY);
			raised++;
		}
		vcpu_run_storm(vcpu);
		runs++;
	}
	while (error_injector_held_back(inj)) {
		vcpu_run_storm(vcpu);
		runs++;
	}
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_COUNT), count + raised);
	pr_info("storm, capability %s: %d SErrors over %lu KVM_RUNs\n",
		to_user ? "on" : "off", raised, runs);
	kvm_vm_free(vm);
}

/*
 * A UER held back by @delay ns after the PE enters the guest: one exit or
 * one reflection, exactly. Returns whether the guest ran before it became
 * pending.
 */
static bool uer_in_guest(u64 delay, bool to_user)
{
	bool ran;
	u64 uer = SERROR_ISS_RAS(ESR_ELx_AET_UER);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 count;

	vm = vm_create_late(&vcpu, guest_spin, to_user);
	guest_spin_max = 1000;
	sync_global_to_guest(vm, guest_spin_max);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], 0);
	guest_spin_max = LATE_SPIN_MAX;
	sync_global_to_guest(vm, guest_spin_max);
	count = error_injector_read(inj, ERRINJ_COUNT);
	error_injector_arm_late(inj, ERRINJ_SERROR_IN_GUEST, uer, delay);
	vcpu_run(vcpu);

	if (to_user) {
		TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_ARM_SERROR,
			    "Wanted KVM_EXIT_ARM_SERROR, got %s",
			    exit_reason_str(vcpu->run->exit_reason));
		TEST_ASSERT_EQ(vcpu->run->arm_serror.esr, SERROR_ESR(uer));
		TEST_ASSERT_EQ(vcpu->run->arm_serror.flags, 0);
		vcpu_expect_nothing_pending(vcpu);
		sync_global_from_guest(vm, guest_serrors);
		sync_global_from_guest(vm, guest_progress);
		TEST_ASSERT_EQ(guest_serrors, 0);
		TEST_ASSERT(guest_progress < LATE_SPIN_MAX,
			    "The guest ran all %llu iterations: no SError",
			    LATE_SPIN_MAX);
		ran = guest_progress > 0;
	} else {
		TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT(uc.args[1] == 1, "The guest took %lu SErrors",
			    uc.args[1]);
		sync_global_from_guest(vm, guest_serror_esr);
		sync_global_from_guest(vm, guest_progress_at_serror);
		TEST_ASSERT_EQ(guest_serror_esr, KVM_DEFAULT_ESR);
		ran = guest_progress_at_serror > 0;
		guest_spin_max = 0;
		sync_global_to_guest(vm, guest_spin_max);
		vcpu_run(vcpu);
		TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	}
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_COUNT), count + 1);
	TEST_ASSERT(!error_injector_held_back(inj), "Still held back");
	kvm_vm_free(vm);
	return ran;
}

/*
 * uer_in_guest(), counting the cases where the guest ran before the SError.
 * Where it lands is the test hardware's business, which QEMU's own test
 * checks: the delay counts time, and a host that does not run the vCPU's
 * QEMU thread right after the entry makes the SError land there. Every
 * case keeps the contract; at the end, some must have landed mid-guest.
 */
static int uer_cases, uer_mid_guest;

static void test_uer_in_guest(u64 delay, bool to_user)
{
	uer_cases++;
	if (uer_in_guest(delay, to_user))
		uer_mid_guest++;
}

int main(void)
{
	bool to_user = kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER);
	char why[256];

	inj = error_injector_open(why, sizeof(why));
	if (!inj)
		ksft_exit_skip("%s\n", why);
	if (!error_injector_has_delay(inj))
		ksft_exit_skip("the error injector has no DELAY register\n");
	if (!kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR))
		ksft_exit_skip("no FEAT_RAS: every SError is uncategorized, fatal to the host\n");

	ksft_print_header();
	ksft_set_plan(4);

	test_storm(false);
	ksft_test_result_pass("storm of late CE and UEO SErrors, capability off\n");
	if (to_user) {
		test_storm(true);
		ksft_test_result_pass("storm of late CE and UEO SErrors, capability on\n");
	} else {
		ksft_test_result_skip("storm, capability on: no KVM_CAP_ARM_SERROR_TO_USER\n");
	}

	test_uer_in_guest(100000, false);
	test_uer_in_guest(300000, false);
	test_uer_in_guest(1000000, false);
	ksft_test_result_pass("late UER in the guest, reflected once where it was\n");
	if (to_user) {
		test_uer_in_guest(100000, true);
		test_uer_in_guest(300000, true);
		test_uer_in_guest(1000000, true);
		ksft_test_result_pass("late UER in the guest, one exit\n");
	} else {
		ksft_test_result_skip("late UER, capability on: no KVM_CAP_ARM_SERROR_TO_USER\n");
	}
	pr_info("late UER: %d of %d landed after the guest ran\n", uer_mid_guest,
		uer_cases);
	TEST_ASSERT(uer_mid_guest, "No late UER landed after the guest ran");

	ksft_finished();
}
