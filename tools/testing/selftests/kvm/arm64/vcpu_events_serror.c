// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu_events_serror - userspace pends a virtual SError with a syndrome of
 * its choosing through KVM_SET_VCPU_EVENTS.
 *
 * Checks, in the host and in the guest, that:
 * - the syndrome userspace chooses reaches the guest's ESR_EL1 exactly,
 *   whether the guest takes the SError when it unmasks PSTATE.A (VSESR_EL2)
 *   or already has SErrors unmasked (KVM emulates the exception entry);
 * - a pending SError is reported by KVM_GET_VCPU_EVENTS, can be moved into
 *   a fresh VM as a migration would, and is delivered exactly once;
 * - an invalid KVM_SET_VCPU_EVENTS fails with its documented errno and
 *   changes nothing;
 * - KVM_CAP_ARM_INJECT_SERROR_ESR and the VM's ID_AA64PFR0_EL1.RAS agree
 *   with what KVM_SET_VCPU_EVENTS accepts.
 */
#include <errno.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "processor.h"
#include "serror.h"
#include "test_util.h"

struct syndrome {
	const char *name;
	u64 iss;
};

static const struct syndrome syndromes[] = {
	{ "impdef (IDS=1)",	ESR_ELx_IDS | 0x1d1ed },
	{ "RAS UC",		SERROR_ISS_RAS(ESR_ELx_AET_UC) },
	{ "RAS UEU",		SERROR_ISS_RAS(ESR_ELx_AET_UEU) },
	{ "RAS UEO",		SERROR_ISS_RAS(ESR_ELx_AET_UEO) },
	{ "RAS UER",		SERROR_ISS_RAS(ESR_ELx_AET_UER) | ESR_ELx_EA },
	{ "RAS CE",		SERROR_ISS_RAS(ESR_ELx_AET_CE) },
};

/* Written by the guest's SError handler, read by guest and host. */
static u64 serror_count;
static u64 serror_esr;
/* What the guest must see in ESR_EL1; set by the host. */
static u64 expected_esr;

static void serror_handler(struct ex_regs *regs)
{
	WRITE_ONCE(serror_esr, read_sysreg(esr_el1));
	WRITE_ONCE(serror_count, READ_ONCE(serror_count) + 1);
}

static void unexpected_sync_handler(struct ex_regs *regs)
{
	GUEST_FAIL("Unexpected synchronous exception, ESR_EL1 %lx at PC %lx",
		   read_sysreg(esr_el1), regs->pc);
}

/* Unmask SErrors long enough to take a pending one, then mask them again. */
static void guest_open_serror_window(void)
{
	local_serror_enable();
	isb();
	local_serror_disable();
}

static void guest_check_one_serror(void)
{
	GUEST_ASSERT_EQ(READ_ONCE(serror_count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(serror_esr), expected_esr);

	/* Delivered once: nothing is left pending. */
	GUEST_ASSERT(!(read_sysreg(isr_el1) & ISR_EL1_A));
	guest_open_serror_window();
	GUEST_ASSERT_EQ(READ_ONCE(serror_count), 1);
}

/* SErrors masked: the vSError waits in HCR_EL2.VSE/VSESR_EL2 until PSTATE.A=0. */
static void guest_masked(void)
{
	GUEST_SYNC(0);
	GUEST_ASSERT(read_sysreg(isr_el1) & ISR_EL1_A);
	GUEST_ASSERT_EQ(READ_ONCE(serror_count), 0);

	guest_open_serror_window();
	guest_check_one_serror();
	GUEST_DONE();
}

/* SErrors unmasked: KVM emulates the exception entry on injection. */
static void guest_unmasked(void)
{
	local_serror_enable();
	GUEST_SYNC(0);
	local_serror_disable();

	guest_check_one_serror();
	GUEST_DONE();
}

/* Nothing may be delivered: neither an SError nor an SEA. */
static void guest_expect_nothing(void)
{
	GUEST_SYNC(0);
	GUEST_ASSERT(!(read_sysreg(isr_el1) & ISR_EL1_A));
	guest_open_serror_window();
	GUEST_ASSERT_EQ(READ_ONCE(serror_count), 0);
	GUEST_DONE();
}

static struct kvm_vm *vm_create_serror(struct kvm_vcpu **vcpu, void *guest_code)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(*vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, serror_handler);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, ESR_ELx_EC_DABT_CUR,
				unexpected_sync_handler);
	return vm;
}

static void vcpu_hide_ras(struct kvm_vcpu *vcpu)
{
	u64 reg = KVM_ARM64_SYS_REG(SYS_ID_AA64PFR0_EL1);
	u64 pfr0 = vcpu_get_reg(vcpu, reg);

	vcpu_set_reg(vcpu, reg, pfr0 & ~ID_AA64PFR0_EL1_RAS_MASK);
}

static bool vcpu_has_ras(struct kvm_vcpu *vcpu)
{
	u64 pfr0 = vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_ID_AA64PFR0_EL1));

	return SYS_FIELD_GET(ID_AA64PFR0_EL1, RAS, pfr0);
}

static void vcpu_run_expect(struct kvm_vcpu *vcpu, u64 cmd)
{
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_ASSERT(uc.cmd == cmd, "Unexpected ucall %lu, expected %lu",
			    uc.cmd, cmd);
	}
}

static int __vcpu_pend_serror(struct kvm_vcpu *vcpu, bool has_esr, u64 iss)
{
	struct kvm_vcpu_events events = {};

	events.exception.serror_pending = 1;
	events.exception.serror_has_esr = has_esr;
	events.exception.serror_esr = iss;
	return __vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &events);
}

static void vcpu_pend_serror(struct kvm_vcpu *vcpu, u64 iss)
{
	int ret = __vcpu_pend_serror(vcpu, true, iss);

	TEST_ASSERT(!ret, "KVM_SET_VCPU_EVENTS(ISS %lx): %s", iss, strerror(errno));
}

static void expect_pending(struct kvm_vcpu *vcpu, bool pending, u64 iss)
{
	struct kvm_vcpu_events events = {};

	vcpu_events_get(vcpu, &events);
	TEST_ASSERT_EQ(events.exception.serror_pending, pending);
	if (pending) {
		TEST_ASSERT_EQ(events.exception.serror_has_esr, 1);
		TEST_ASSERT_EQ(events.exception.serror_esr, iss);
	}
}

static void expect_guest_count(struct kvm_vm *vm, u64 count)
{
	sync_global_from_guest(vm, serror_count);
	TEST_ASSERT_EQ(serror_count, count);
}

/* The guest takes the SError when it unmasks PSTATE.A. */
static void test_syndrome_masked(const void *arg)
{
	const struct syndrome *s = arg;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_masked);

	expected_esr = SERROR_ESR(s->iss);
	sync_global_to_guest(vm, expected_esr);

	vcpu_run_expect(vcpu, UCALL_SYNC);
	vcpu_pend_serror(vcpu, s->iss);
	expect_pending(vcpu, true, s->iss);

	vcpu_run_expect(vcpu, UCALL_DONE);
	expect_pending(vcpu, false, 0);
	expect_guest_count(vm, 1);
	kvm_vm_free(vm);
}

/* The guest runs with SErrors unmasked: KVM delivers at once. */
static void test_syndrome_unmasked(const void *arg)
{
	const struct syndrome *s = arg;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, guest_unmasked);

	expected_esr = SERROR_ESR(s->iss);
	sync_global_to_guest(vm, expected_esr);

	vcpu_run_expect(vcpu, UCALL_SYNC);
	vcpu_pend_serror(vcpu, s->iss);
	/* Emulated entry: already taken, nothing left pending. */
	expect_pending(vcpu, false, 0);

	vcpu_run_expect(vcpu, UCALL_DONE);
	expect_guest_count(vm, 1);
	kvm_vm_free(vm);
}

/*
 * Save a pending SError from one VM and restore it into a fresh one, as a
 * migration does: it is delivered there exactly once, with its syndrome.
 */
static void test_migrate_pending(const void *arg)
{
	const u64 iss = SERROR_ISS_RAS(ESR_ELx_AET_UER);
	struct kvm_vcpu_events saved = {};
	struct kvm_vcpu *src_vcpu, *dst_vcpu;
	struct kvm_vm *src, *dst;

	src = vm_create_serror(&src_vcpu, guest_masked);
	vcpu_run_expect(src_vcpu, UCALL_SYNC);
	vcpu_pend_serror(src_vcpu, iss);
	vcpu_events_get(src_vcpu, &saved);
	TEST_ASSERT_EQ(saved.exception.serror_pending, 1);
	TEST_ASSERT_EQ(saved.exception.serror_has_esr, 1);
	TEST_ASSERT_EQ(saved.exception.serror_esr, iss);

	dst = vm_create_serror(&dst_vcpu, guest_masked);
	expected_esr = SERROR_ESR(iss);
	sync_global_to_guest(dst, expected_esr);
	vcpu_run_expect(dst_vcpu, UCALL_SYNC);
	vcpu_events_set(dst_vcpu, &saved);
	expect_pending(dst_vcpu, true, iss);

	vcpu_run_expect(dst_vcpu, UCALL_DONE);
	expect_pending(dst_vcpu, false, 0);
	expect_guest_count(dst, 1);

	kvm_vm_free(dst);
	kvm_vm_free(src);
}

static void expect_rejected(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *events,
			    int err, const char *what)
{
	struct serror_vcpu_state before, after;
	int ret;

	serror_state_get(vcpu->fd, &before);
	ret = __vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, events);
	TEST_ASSERT(ret == -1 && errno == err,
		    "%s: KVM_SET_VCPU_EVENTS returned %d (%s), expected %s",
		    what, ret, ret ? strerror(errno) : "success", strerror(err));
	serror_state_get(vcpu->fd, &after);
	serror_state_expect_equal(&before, &after, what);
}

struct bad_events {
	const char *what;
	struct kvm_vcpu_events events;
};

static const struct bad_events bad_events[] = {
	{ "ESR bit 25 (IL) set", .events.exception = {
		.serror_pending = 1, .serror_has_esr = 1,
		.serror_esr = ESR_ELx_IL | ESR_ELx_FSC_SERROR } },
	{ "ESR EC set", .events.exception = {
		.serror_pending = 1, .serror_has_esr = 1,
		.serror_esr = SERROR_ESR(ESR_ELx_FSC_SERROR) } },
	{ "ESR bit 63 set", .events.exception = {
		.serror_pending = 1, .serror_has_esr = 1,
		.serror_esr = BIT(63) | ESR_ELx_FSC_SERROR } },
	{ "SEA with an invalid SError ESR", .events.exception = {
		.ext_dabt_pending = 1, .serror_pending = 1,
		.serror_has_esr = 1, .serror_esr = BIT(25) } },
	{ "non-zero exception.pad", .events.exception = {
		.serror_pending = 1, .pad = { 0, 0, 1 } } },
	{ "SEA with non-zero exception.pad", .events.exception = {
		.ext_dabt_pending = 1, .pad = { 1 } } },
	{ "non-zero reserved", .events = {
		.exception.serror_pending = 1, .reserved = { [11] = 1 } } },
};

/*
 * Every invalid call fails with EINVAL and changes nothing: neither the
 * pending events nor the guest's registers, and the guest then runs to
 * completion without taking an SError or an SEA.
 */
static void test_invalid_events(const void *arg)
{
	struct kvm_vcpu_events events;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i;

	vm = vm_create_serror(&vcpu, guest_expect_nothing);
	vcpu_run_expect(vcpu, UCALL_SYNC);

	for (i = 0; i < ARRAY_SIZE(bad_events); i++) {
		events = bad_events[i].events;
		expect_rejected(vcpu, &events, EINVAL, bad_events[i].what);
	}

	vcpu_run_expect(vcpu, UCALL_DONE);
	expect_guest_count(vm, 0);
	kvm_vm_free(vm);
}

/* A vCPU that KVM_ARM_VCPU_INIT has not initialised has no events yet. */
static void test_before_init(const void *arg)
{
	struct kvm_vcpu_events events = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int ret;

	vm = vm_create_barebones();
	vcpu = __vm_vcpu_add(vm, 0);

	ret = __vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &events);
	TEST_ASSERT(ret == -1 && errno == ENOEXEC,
		    "KVM_GET_VCPU_EVENTS before init: %d (%s)", ret, strerror(errno));

	events.exception.serror_pending = 1;
	ret = __vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &events);
	TEST_ASSERT(ret == -1 && errno == ENOEXEC,
		    "KVM_SET_VCPU_EVENTS before init: %d (%s)", ret, strerror(errno));

	kvm_vm_free(vm);
}

/*
 * The capability says KVM can inject a chosen syndrome; whether a VM takes
 * one follows its own ID_AA64PFR0_EL1.RAS, as userspace left it.
 */
static void test_ras_visible(const void *arg)
{
	struct kvm_vcpu_events events = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_serror(&vcpu, guest_masked);
	TEST_ASSERT(vcpu_has_ras(vcpu),
		    "KVM_CAP_ARM_INJECT_SERROR_ESR without ID_AA64PFR0_EL1.RAS");
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_ARM_INJECT_SERROR_ESR), 1);

	vcpu_events_get(vcpu, &events);
	TEST_ASSERT_EQ(events.exception.serror_has_esr, 1);
	TEST_ASSERT_EQ(events.exception.serror_pending, 0);

	kvm_vm_free(vm);
}

static void test_ras_hidden(const void *arg)
{
	const u64 iss = SERROR_ISS_RAS(ESR_ELx_AET_UER);
	struct kvm_vcpu_events events = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_serror(&vcpu, guest_expect_nothing);
	vcpu_hide_ras(vcpu);
	TEST_ASSERT(!vcpu_has_ras(vcpu), "ID_AA64PFR0_EL1.RAS is not writable");

	/* GET does not promise an ESR that SET would refuse. */
	vcpu_events_get(vcpu, &events);
	TEST_ASSERT_EQ(events.exception.serror_has_esr, 0);

	vcpu_run_expect(vcpu, UCALL_SYNC);
	memset(&events, 0, sizeof(events));
	events.exception.serror_pending = 1;
	events.exception.serror_has_esr = 1;
	events.exception.serror_esr = iss;
	expect_rejected(vcpu, &events, EINVAL, "ESR for a VM without RAS");

	vcpu_run_expect(vcpu, UCALL_DONE);
	expect_guest_count(vm, 0);
	kvm_vm_free(vm);
}

/* With RAS hidden an SError without ESR still works: KVM picks the syndrome. */
static void test_ras_hidden_default_esr(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int ret;

	vm = vm_create_serror(&vcpu, guest_masked);
	vcpu_hide_ras(vcpu);
	/* KVM's own syndrome: implementation defined, IDS=1. */
	expected_esr = KVM_DEFAULT_ESR;
	sync_global_to_guest(vm, expected_esr);

	vcpu_run_expect(vcpu, UCALL_SYNC);
	ret = __vcpu_pend_serror(vcpu, false, 0);
	TEST_ASSERT(!ret, "KVM_SET_VCPU_EVENTS without ESR: %s", strerror(errno));

	vcpu_run_expect(vcpu, UCALL_DONE);
	expect_guest_count(vm, 1);
	kvm_vm_free(vm);
}

/*
 * Each case runs in a child of its own, so that a failed assertion fails
 * that case and the others still run and report.
 */
static void run_case(void (*test)(const void *arg), const void *arg,
		     const char *name)
{
	int status, result = KSFT_FAIL;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		test(arg);
		exit(KSFT_PASS);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS)
		result = KSFT_PASS;
	ksft_test_result_report(result, "%s\n", name);
}

int main(void)
{
	char name[128];
	int i;

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_VCPU_EVENTS));
	if (!kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR))
		ksft_exit_skip("KVM_CAP_ARM_INJECT_SERROR_ESR is 0: the host has no FEAT_RAS\n");

	ksft_set_plan(2 * ARRAY_SIZE(syndromes) + 6);

	for (i = 0; i < ARRAY_SIZE(syndromes); i++) {
		snprintf(name, sizeof(name), "masked: %s, ESR_EL1 %#lx",
			 syndromes[i].name, SERROR_ESR(syndromes[i].iss));
		run_case(test_syndrome_masked, &syndromes[i], name);
	}
	for (i = 0; i < ARRAY_SIZE(syndromes); i++) {
		snprintf(name, sizeof(name), "unmasked: %s, ESR_EL1 %#lx",
			 syndromes[i].name, SERROR_ESR(syndromes[i].iss));
		run_case(test_syndrome_unmasked, &syndromes[i], name);
	}
	run_case(test_migrate_pending, NULL,
		 "pending SError saved, restored in a fresh VM, delivered once");
	run_case(test_invalid_events, NULL,
		 "invalid events: EINVAL, vCPU unchanged, nothing delivered");
	run_case(test_before_init, NULL, "before KVM_ARM_VCPU_INIT: ENOEXEC");
	run_case(test_ras_visible, NULL,
		 "RAS visible: capability, ID register and GET agree");
	run_case(test_ras_hidden, NULL,
		 "RAS hidden: serror_has_esr reads 0, setting it is rejected");
	run_case(test_ras_hidden_default_esr, NULL,
		 "RAS hidden: an SError without ESR gets KVM's syndrome");

	ksft_finished();
}
