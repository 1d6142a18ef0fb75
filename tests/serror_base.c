// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_base - real guest SErrors without KVM_CAP_ARM_SERROR_TO_USER.
 *
 * What KVM has always done with an SError a guest causes, on any kernel,
 * the unpatched base included: it reflects one it cannot leave alone (an
 * implementation defined syndrome, or a RAS error of severity UEU or UER)
 * into the guest, as a virtual SError with its own implementation defined
 * syndrome, and ignores corrected (CE) and restartable (UEO) RAS errors.
 * Without FEAT_RAS every syndrome is implementation defined.
 *
 * The SErrors come from QEMU's error injector, taken while the guest runs or
 * found pending when it next exits (here, at the MMIO exit of a ucall).
 * This is the check that QEMU's model and KVM agree where the series
 * changes nothing.
 *
 * The same device gives a real synchronous external abort (SEA): with
 * FEAT_RAS, HCR_EL2.TEA routes it to KVM, which exits with KVM_EXIT_ARM_SEA
 * if the VMM asked for it (KVM_CAP_ARM_SEA_TO_USER) and otherwise turns it
 * into its implementation defined virtual SError; without FEAT_RAS the
 * guest takes it itself.
 */
#include "error_injector.h"
#include "kselftest.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define RAS_ISS(aet)		(ESR_ELx_FSC_SERROR | (aet))
#define KVM_SERROR_ESR		(FIELD_PREP(ESR_ELx_EC_MASK, ESR_ELx_EC_SERROR) | \
				 ESR_ELx_IL | ESR_ELx_IDS)

/* A guest's SEA as KVM_EXIT_ARM_SEA reports it, before FnV and SET */
#define SEA_ESR			(FIELD_PREP(ESR_ELx_EC_MASK, ESR_ELx_EC_DABT_LOW) | \
				 ESR_ELx_IL | ESR_ELx_EA | ESR_ELx_FSC_EXTABT)
#define SEA_SET(set)		((u64)(set) << ESR_ELx_SET_SHIFT)

/* FnV and SET that the device's aborts report: UER (0), UC (2), UEO (3) */
static const u64 sea_syndromes[] = {
	0, ESR_ELx_FnV, SEA_SET(2), ESR_ELx_FnV | SEA_SET(3),
};

static const struct {
	const char *name;
	u64 iss;
} syndromes[] = {
	{ "impdef",	ESR_ELx_IDS | 0x123 },
	{ "UER",	RAS_ISS(ESR_ELx_AET_UER) },
	{ "UEU",	RAS_ISS(ESR_ELx_AET_UEU) },
	{ "UEO",	RAS_ISS(ESR_ELx_AET_UEO) },
	{ "CE",		RAS_ISS(ESR_ELx_AET_CE) },
};

static struct error_injector *inj;
static bool host_has_ras;

static u64 guest_mode, guest_iss;
static u64 guest_expected_esr;	/* what the guest must read, 0 for nothing */
static u64 guest_esr_mask;	/* what of it is known: EC only without RAS */

static void guest_serror_handler(struct ex_regs *regs)
{
	GUEST_ASSERT(guest_expected_esr);
	GUEST_ASSERT_EQ(read_sysreg(esr_el1) & guest_esr_mask, guest_expected_esr);
	GUEST_DONE();
}

static void guest_code(void)
{
	guest_raise_serror(guest_mode, guest_iss);
	/* An exit: where an SError raised at the next one is found pending. */
	GUEST_SYNC(0);

	local_serror_enable();
	isb();
	local_serror_disable();
	GUEST_ASSERT(!guest_expected_esr);
	GUEST_DONE();
}

/* A VM whose guest counts the SErrors it takes, and reaches the device. */
static struct kvm_vm *vm_create_serror(struct kvm_vcpu **vcpu, void *guest_code)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(*vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, guest_serror_handler);
	error_injector_map(inj, vm, 1);
	return vm;
}

static void test_serror(u64 mode, u64 iss)
{
	bool ras = host_has_ras && !(iss & ESR_ELx_IDS);
	bool ignored = ras && ((iss & ESR_ELx_AET) == ESR_ELx_AET_UEO ||
			       (iss & ESR_ELx_AET) == ESR_ELx_AET_CE);
	struct kvm_vcpu_events events;
	struct kvm_vcpu *vcpu;
	int syncs = 0;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 count;

	vm = vm_create_serror(&vcpu, guest_code);

	guest_mode = mode;
	guest_iss = iss;
	guest_esr_mask = host_has_ras ? -1ULL : ESR_ELx_EC_MASK;
	guest_expected_esr = ignored ? 0 : KVM_SERROR_ESR & guest_esr_mask;
	sync_global_to_guest(vm, guest_mode);
	sync_global_to_guest(vm, guest_iss);
	sync_global_to_guest(vm, guest_esr_mask);
	sync_global_to_guest(vm, guest_expected_esr);

	count = error_injector_read(inj, ERRINJ_COUNT);
	error_injector_vcpu_run(inj, vcpu);
	for (;;) {
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			syncs++;
			vcpu_run(vcpu);
			continue;
		case UCALL_DONE:
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("Unexpected exit %s",
				  exit_reason_str(vcpu->run->exit_reason));
		}
		break;
	}

	/*
	 * The device raised one SError, the ignored ones too; an SError found
	 * at the ucall's exit made KVM abandon it, and the guest made it again:
	 * userspace saw it once. Nothing is left pending.
	 */
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_COUNT), count + 1);
	TEST_ASSERT_EQ(syncs, 1);
	vcpu_events_get(vcpu, &events);
	TEST_ASSERT(!events.exception.serror_pending,
		    "an SError still pending: KVM injected one too many");
	kvm_vm_free(vm);
}

static u64 guest_pending_iss;

static void guest_pair_code(void)
{
	guest_raise_serror_pair(guest_iss, guest_pending_iss);

	local_serror_enable();
	isb();
	local_serror_disable();
	__GUEST_ASSERT(!guest_expected_esr,
		       "No SError for an exit that took 0x%lx and deferred 0x%lx",
		       guest_iss, guest_pending_iss);
	GUEST_DONE();
}

/*
 * An exit that takes an SError (@iss) and finds another deferred into
 * DISR_EL1 by the ESB of KVM's vector (@pending_iss): KVM classifies both,
 * and reflects one virtual SError if either needs it. The guest takes
 * exactly one, and nothing is left pending.
 */
static void test_pair(u64 iss, u64 pending_iss)
{
	struct kvm_vcpu_events events;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 count;

	vm = vm_create_serror(&vcpu, guest_pair_code);

	guest_iss = iss;
	guest_pending_iss = pending_iss;
	guest_esr_mask = host_has_ras ? -1ULL : ESR_ELx_EC_MASK;
	guest_expected_esr = KVM_SERROR_ESR & guest_esr_mask;
	sync_global_to_guest(vm, guest_iss);
	sync_global_to_guest(vm, guest_pending_iss);
	sync_global_to_guest(vm, guest_esr_mask);
	sync_global_to_guest(vm, guest_expected_esr);

	count = error_injector_read(inj, ERRINJ_COUNT);
	error_injector_vcpu_run(inj, vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_COUNT), count + 2);
	vcpu_events_get(vcpu, &events);
	TEST_ASSERT(!events.exception.serror_pending,
		    "an SError still pending: KVM injected one too many");
	kvm_vm_free(vm);
}

/*
 * In the guest: read the register that answers with an external abort.
 * KVM's vSError for it comes back to the same read: with SErrors masked the
 * guest would fault again, forever.
 */
static void guest_sea_code(void)
{
	local_serror_enable();
	READ_ONCE(*(volatile u64 *)(ERRINJ_GPA + ERRINJ_ABORT));
	GUEST_FAIL("A read of the error injector's ABORT register completed");
}

/* Without FEAT_RAS (no HCR_EL2.TEA) the abort is the guest's own. */
/* FnV and SET of the SEA the guest takes itself (no FEAT_RAS: no SET) */
static u64 guest_sea_iss;

static void guest_sea_handler(struct ex_regs *regs)
{
	u64 esr = read_sysreg(esr_el1);

	GUEST_ASSERT(!guest_expected_esr);
	GUEST_ASSERT_EQ(ESR_ELx_EC(esr), ESR_ELx_EC_DABT_CUR);
	GUEST_ASSERT_EQ(esr & ESR_ELx_FSC_TYPE, ESR_ELx_FSC_EXTABT);
	GUEST_ASSERT_EQ(esr & (ESR_ELx_FnV | ESR_ELx_SET_MASK), guest_sea_iss);
	GUEST_DONE();
}

/*
 * A guest's SEA whose abort reports @sea_iss (FnV, SET): KVM_EXIT_ARM_SEA
 * with the exact syndrome; with FnV, no address (FAR_EL2 is UNKNOWN, and
 * KVM must not translate it); else the guest address, and the IPA that KVM
 * finds by translating it, HPFAR_EL2 being UNKNOWN too.
 */
static void test_sea(bool to_user, u64 sea_iss)
{
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 esr;

	vm = vm_create_with_one_vcpu(&vcpu, guest_sea_code);
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, guest_serror_handler);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, ESR_ELx_EC_DABT_CUR,
				guest_sea_handler);
	if (to_user)
		vm_enable_cap(vm, KVM_CAP_ARM_SEA_TO_USER, 0);
	/*
	 * With the series, also ask for guest SErrors: an SEA that KVM turns
	 * into a virtual SError was never an SError, and is not reported as
	 * one (api.rst): the guest takes KVM's, with no KVM_EXIT_ARM_SERROR.
	 */
	if (kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER))
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER,
			      KVM_ARM_SERROR_TO_USER_EXIT);
	error_injector_map(inj, vm, 1);
	error_injector_write(inj, ERRINJ_ABORT_SYNDROME, sea_iss);
	guest_sea_iss = host_has_ras ? sea_iss : sea_iss & ESR_ELx_FnV;
	sync_global_to_guest(vm, guest_sea_iss);

	/* With FEAT_RAS and without SEA_TO_USER: KVM's vSError. */
	guest_esr_mask = -1ULL;
	guest_expected_esr = host_has_ras && !to_user ? KVM_SERROR_ESR : 0;
	sync_global_to_guest(vm, guest_esr_mask);
	sync_global_to_guest(vm, guest_expected_esr);

	vcpu_run(vcpu);
	run = vcpu->run;
	if (host_has_ras && to_user) {
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_ARM_SEA);
		esr = run->arm_sea.esr;
		TEST_ASSERT_EQ(esr, SEA_ESR | sea_iss);
		if (sea_iss & ESR_ELx_FnV) {
			/* FAR_EL2 is UNKNOWN: nothing to report, or translate */
			TEST_ASSERT_EQ(run->arm_sea.gva, 0);
			TEST_ASSERT_EQ(run->arm_sea.flags, 0);
			TEST_ASSERT_EQ(run->arm_sea.gpa, 0);
		} else {
			/*
			 * HPFAR_EL2 is UNKNOWN for an external abort, and the
			 * testbed's CPUs make it a wrong IPA (hpfar-unknown=on):
			 * KVM must find the IPA by translating FAR_EL2.
			 */
			TEST_ASSERT_EQ(run->arm_sea.gva, ERRINJ_GPA + ERRINJ_ABORT);
			TEST_ASSERT_EQ(run->arm_sea.flags,
				       KVM_EXIT_ARM_SEA_FLAG_GPA_VALID);
			TEST_ASSERT_EQ(run->arm_sea.gpa, ERRINJ_GPA);
		}
	} else {
		if (get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
	}

	error_injector_write(inj, ERRINJ_ABORT_SYNDROME, 0);
	kvm_vm_free(vm);
}

int main(void)
{
	char why[256];
	int i;

	inj = error_injector_open(why, sizeof(why));
	if (!inj)
		ksft_exit_skip("%s\n", why);
	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);

	ksft_print_header();
	ksft_set_plan(2 * ARRAY_SIZE(syndromes) + 3);
	for (i = 0; i < ARRAY_SIZE(syndromes); i++) {
		test_serror(ERRINJ_SERROR, syndromes[i].iss);
		ksft_test_result_pass("%s SError taken\n", syndromes[i].name);
		test_serror(ERRINJ_SERROR_AT_ENTRY, syndromes[i].iss);
		ksft_test_result_pass("%s SError pending at exit\n",
				      syndromes[i].name);
	}

	if (!inj->guest_reachable) {
		ksft_test_result_skip("SEA, reflected: a guest cannot reach the device here\n");
		ksft_test_result_skip("SEA, to user: a guest cannot reach the device here\n");
	} else {
		for (i = 0; i < ARRAY_SIZE(sea_syndromes); i++)
			test_sea(false, sea_syndromes[i]);
		ksft_test_result_pass("SEA, reflected\n");
		if (kvm_has_cap(KVM_CAP_ARM_SEA_TO_USER)) {
			for (i = 0; i < ARRAY_SIZE(sea_syndromes); i++)
				test_sea(true, sea_syndromes[i]);
			ksft_test_result_pass("SEA, to user (KVM_EXIT_ARM_SEA): FnV, SET\n");
		} else {
			ksft_test_result_skip("SEA, to user: no KVM_CAP_ARM_SEA_TO_USER\n");
		}
	}

	/* Last: the unpatched base fails it, and stops there. */
	test_pair(RAS_ISS(ESR_ELx_AET_UER), RAS_ISS(ESR_ELx_AET_CE));
	ksft_test_result_pass("UER SError taken with a CE deferred\n");
	ksft_finished();
}
