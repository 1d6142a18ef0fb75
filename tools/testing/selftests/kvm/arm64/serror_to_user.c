// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_to_user - guest SErrors reported to userspace with
 * KVM_CAP_ARM_SERROR_TO_USER and KVM_EXIT_ARM_SERROR.
 *
 * QEMU, and most machines, cannot raise a physical SError on demand. The
 * cases that need one use KVM's test-only injector
 * (CONFIG_KVM_ARM64_SERROR_INJECT): it turns the vCPU's next IRQ exit into
 * the exit a real SError would cause, with a syndrome of the test's
 * choosing, either taken to EL2 while the guest ran or found pending at
 * exit. Only RAS hardware exercises the rest: the physical exception, the
 * ESB, DISR_EL1 and the host's RAS handling. Without the injector those
 * cases skip, and so do the RAS ones on a host without FEAT_RAS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "kselftest.h"
#include "processor.h"
#include "serror.h"
#include "serror_inject.h"
#include "test_util.h"

#define TRACEFS			"/sys/kernel/tracing"
#define TRACE_INSTANCE		TRACEFS "/instances/serror_to_user"
/* The injection waits for an IRQ exit: give the vCPU this long to take one. */
#define INJECT_TIMEOUT_S	20

enum outcome {
	REPORTED,	/* to userspace with the capability, else reflected */
	IGNORED,	/* never: corrected or restartable */
};

struct serror_class {
	const char *name;
	u64 iss;		/* what the injector is given */
	u64 reported_esr;	/* sanitized ESR when taken, IL set */
	bool ras;
	enum outcome outcome;
};

static const struct serror_class classes[] = {
	{ "impdef", ESR_ELx_IDS | 0x1d1ed, SERROR_EC | ESR_ELx_IL | ESR_ELx_IDS,
	  false, REPORTED },
	{ "RAS UER", SERROR_ISS_RAS(ESR_ELx_AET_UER) | ESR_ELx_EA | BIT(13),
	  SERROR_ESR(SERROR_ISS_RAS(ESR_ELx_AET_UER) | ESR_ELx_EA),
	  true, REPORTED },
	{ "RAS UEU", SERROR_ISS_RAS(ESR_ELx_AET_UEU),
	  SERROR_ESR(SERROR_ISS_RAS(ESR_ELx_AET_UEU)), true, REPORTED },
	{ "RAS UEO", SERROR_ISS_RAS(ESR_ELx_AET_UEO), 0, true, IGNORED },
	{ "RAS CE", SERROR_ISS_RAS(ESR_ELx_AET_CE), 0, true, IGNORED },
};

/* Written by the guest's SError handler. */
static u64 serror_count;
static u64 serror_esr;

static void serror_handler(struct ex_regs *regs)
{
	WRITE_ONCE(serror_esr, read_sysreg(esr_el1));
	WRITE_ONCE(serror_count, READ_ONCE(serror_count) + 1);
}

/* Report how many SErrors were taken, then let a pending one in. */
static void guest_code(void)
{
	for (;;) {
		GUEST_SYNC(READ_ONCE(serror_count));
		local_serror_enable();
		isb();
		local_serror_disable();
	}
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	TEST_ASSERT(fd >= 0, "open %s: %s", path, strerror(errno));
	TEST_ASSERT(write(fd, val, strlen(val)) == strlen(val),
		    "write %s: %s", path, strerror(errno));
	close(fd);
}

static struct kvm_vm *vm_create_serror(struct kvm_vcpu **vcpu, bool to_user)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(*vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, serror_handler);
	if (to_user)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, 0);
	return vm;
}

/*
 * Run the guest once. Returns true and the number of SErrors it has taken
 * for a GUEST_SYNC, false for KVM_EXIT_ARM_SERROR.
 */
static bool run_once(struct kvm_vcpu *vcpu, u64 *count)
{
	struct ucall uc;

	vcpu_run(vcpu);
	if (vcpu->run->exit_reason == KVM_EXIT_ARM_SERROR)
		return false;

	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		*count = uc.args[1];
		return true;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("Unexpected ucall %lu", uc.cmd);
	}
	return false;
}

/* Run to the guest's next GUEST_SYNC and return the SErrors it has taken. */
static u64 run_to_sync(struct kvm_vcpu *vcpu)
{
	u64 count = 0;

	TEST_ASSERT(run_once(vcpu, &count), "Unexpected KVM_EXIT_ARM_SERROR");
	return count;
}

static u64 serror_stats_total(struct kvm_vcpu *vcpu)
{
	return vcpu_get_stat(vcpu, serror_exit_user) +
	       vcpu_get_stat(vcpu, serror_reflected) +
	       vcpu_get_stat(vcpu, serror_ignored);
}

/*
 * Run the guest until KVM has handled the injected SError, which happens at
 * the vCPU's next IRQ exit. Returns false if that was a KVM_EXIT_ARM_SERROR.
 * Until then the guest must not have taken any SError.
 */
static bool run_until_injected(struct kvm_vcpu *vcpu)
{
	time_t deadline = time(NULL) + INJECT_TIMEOUT_S;
	u64 count;

	while (!serror_stats_total(vcpu)) {
		TEST_ASSERT(time(NULL) < deadline,
			    "The injected SError was not handled in %d s",
			    INJECT_TIMEOUT_S);
		if (!run_once(vcpu, &count))
			return false;
		/* A reflected SError may be taken in the same KVM_RUN. */
		if (!serror_stats_total(vcpu))
			TEST_ASSERT_EQ(count, 0);
	}
	return true;
}

/* Run a few more times: the guest has taken exactly @count SErrors. */
static void expect_guest_count(struct kvm_vcpu *vcpu, u64 count)
{
	u64 last = 0;
	int i;

	for (i = 0; i < 3; i++)
		last = run_to_sync(vcpu);
	TEST_ASSERT_EQ(last, count);
}

struct serror_stats {
	u64 exit_user, reflected, ignored;
};

static void get_stats(struct kvm_vcpu *vcpu, struct serror_stats *s)
{
	s->exit_user = vcpu_get_stat(vcpu, serror_exit_user);
	s->reflected = vcpu_get_stat(vcpu, serror_reflected);
	s->ignored = vcpu_get_stat(vcpu, serror_ignored);
}

static void expect_stats(struct kvm_vcpu *vcpu, u64 exit_user, u64 reflected,
			 u64 ignored)
{
	struct serror_stats s;

	get_stats(vcpu, &s);
	TEST_ASSERT_EQ(s.exit_user, exit_user);
	TEST_ASSERT_EQ(s.reflected, reflected);
	TEST_ASSERT_EQ(s.ignored, ignored);
}

/* The injected SError must come out as this KVM_EXIT_ARM_SERROR. */
static void expect_serror_exit(struct kvm_vcpu *vcpu, u64 esr, u64 flags)
{
	struct kvm_run *run = vcpu->run;

	TEST_ASSERT(!run_until_injected(vcpu), "No KVM_EXIT_ARM_SERROR");
	TEST_ASSERT_EQ(run->arm_serror.esr, esr);
	TEST_ASSERT_EQ(run->arm_serror.flags, flags);
}

/*
 * One class of SError, taken or pending at exit, with the capability off
 * or on: exactly one of "exit to userspace", "KVM reflects its default
 * SError" or "nothing happens", checked in the host and in the guest.
 */
static void test_class(const struct serror_class *c, bool pending, bool to_user)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, to_user);
	int fd = serror_inject_open(vm);

	TEST_ASSERT_EQ(run_to_sync(vcpu), 0);
	serror_inject(fd, vcpu->id, c->iss, pending);

	if (c->outcome == IGNORED) {
		TEST_ASSERT(run_until_injected(vcpu), "Unexpected KVM_EXIT_ARM_SERROR");
		expect_guest_count(vcpu, 0);
		expect_stats(vcpu, 0, 0, 1);
	} else if (to_user) {
		/* ESR_ELx.IL is 0 in a syndrome that came from DISR_EL1. */
		u64 esr = c->reported_esr & ~(pending ? ESR_ELx_IL : 0);
		u64 flags = (c->ras ? KVM_EXIT_ARM_SERROR_FLAG_RAS : 0) |
			    (pending ? KVM_EXIT_ARM_SERROR_FLAG_PENDING : 0);

		expect_serror_exit(vcpu, esr, flags);
		/* Resumed without an injection: the guest sees nothing. */
		expect_guest_count(vcpu, 0);
		expect_stats(vcpu, 1, 0, 0);
	} else {
		TEST_ASSERT(run_until_injected(vcpu), "Unexpected KVM_EXIT_ARM_SERROR");
		expect_guest_count(vcpu, 1);
		sync_global_from_guest(vm, serror_esr);
		TEST_ASSERT_EQ(serror_esr, KVM_DEFAULT_ESR);
		expect_stats(vcpu, 0, 1, 0);
	}

	close(fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("%s, %s, capability %s: %s\n", c->name,
			      pending ? "pending at exit" : "taken",
			      to_user ? "on" : "off",
			      c->outcome == IGNORED ? "ignored" :
			      to_user ? "exit to userspace" : "KVM reflects");
}

/*
 * The whole loop: a guest SError reaches userspace, which answers with a
 * RAS syndrome of its choosing; the guest's handler sees exactly that.
 */
static void test_userspace_chooses_syndrome(void)
{
	const u64 chosen = SERROR_ISS_RAS(ESR_ELx_AET_UER) | ESR_ELx_EA;
	struct kvm_vcpu_events events = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, true);
	int fd = serror_inject_open(vm);

	TEST_ASSERT_EQ(run_to_sync(vcpu), 0);
	serror_inject(fd, vcpu->id, ESR_ELx_IDS | 0x1234, false);
	expect_serror_exit(vcpu, SERROR_EC | ESR_ELx_IL | ESR_ELx_IDS, 0);

	events.exception.serror_pending = 1;
	events.exception.serror_has_esr = 1;
	events.exception.serror_esr = chosen;
	vcpu_events_set(vcpu, &events);

	expect_guest_count(vcpu, 1);
	sync_global_from_guest(vm, serror_esr);
	TEST_ASSERT_EQ(serror_esr, SERROR_ESR(chosen));
	expect_stats(vcpu, 1, 0, 0);

	close(fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("exit, userspace injects RAS UER, guest sees %#lx\n",
			      SERROR_ESR(chosen));
}

/* The tracepoint records the syndrome, its class and what KVM did. */
static void test_tracepoint(void)
{
	const char *enable = TRACE_INSTANCE "/events/kvm/kvm_guest_serror/enable";
	char line[512], want[64];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool found = false;
	FILE *f;
	int fd;

	/* A trace instance of our own leaves the global trace alone. */
	if (mkdir(TRACE_INSTANCE, 0700) && errno != EEXIST) {
		ksft_test_result_skip("tracepoint: no tracefs instance (%s)\n",
				      strerror(errno));
		return;
	}

	vm = vm_create_serror(&vcpu, true);
	fd = serror_inject_open(vm);
	TEST_ASSERT_EQ(run_to_sync(vcpu), 0);

	write_file(enable, "1");
	serror_inject(fd, vcpu->id, SERROR_ISS_RAS(ESR_ELx_AET_UEU), true);
	expect_serror_exit(vcpu, SERROR_EC | SERROR_ISS_RAS(ESR_ELx_AET_UEU),
			   KVM_EXIT_ARM_SERROR_FLAG_RAS | KVM_EXIT_ARM_SERROR_FLAG_PENDING);
	write_file(enable, "0");

	snprintf(want, sizeof(want), "ESR: 0x%016lx",
		 SERROR_EC | SERROR_ISS_RAS(ESR_ELx_AET_UEU));
	f = fopen(TRACE_INSTANCE "/trace", "r");
	TEST_ASSERT(f, "open trace: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "kvm_guest_serror:"))
			continue;
		TEST_ASSERT(strstr(line, want) && strstr(line, "pending at exit") &&
			    strstr(line, "RAS UEU") && strstr(line, "exit to userspace"),
			    "Unexpected trace: %s", line);
		TEST_ASSERT(!found, "Two trace events for one SError");
		found = true;
	}
	fclose(f);
	rmdir(TRACE_INSTANCE);
	TEST_ASSERT(found, "No kvm_guest_serror event in the trace");

	close(fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("tracepoint: syndrome, class and action\n");
}

/* Syndromes that would panic the host are refused by the injector. */
static void test_injector_refuses_uc(void)
{
	static const struct {
		u64 iss;
		bool pending;
	} refused[] = {
		{ SERROR_ISS_RAS(ESR_ELx_AET_UC), false },
		/* Reserved AET values are uncategorized: the host would panic too. */
		{ SERROR_ISS_RAS(4 << ESR_ELx_AET_SHIFT), true },
		{ SERROR_ISS_RAS(7 << ESR_ELx_AET_SHIFT), false },
		{ ESR_ELx_FSC_EXTABT, true },
		{ BIT(25), false },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, true);
	int fd = serror_inject_open(vm);
	int i;

	for (i = 0; i < ARRAY_SIZE(refused); i++)
		TEST_ASSERT_EQ(__serror_inject(fd, vcpu->id, refused[i].iss,
					       refused[i].pending), -EINVAL);
	expect_guest_count(vcpu, 0);
	expect_stats(vcpu, 0, 0, 0);

	close(fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("injector refuses uncontainable syndromes\n");
}

static int __enable_cap(struct kvm_vm *vm, u64 flags, u64 arg)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ARM_SERROR_TO_USER,
		.flags = flags,
		.args = { 0, 0, 0, arg },
	};

	return __vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
}

/* Advertised; enabled with zero arguments only; harmless to enable twice. */
static void test_capability(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_serror(&vcpu, false);

	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_ARM_SERROR_TO_USER), 1);
	TEST_ASSERT(__enable_cap(vm, 1, 0) == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP with flags: expected EINVAL");
	TEST_ASSERT(__enable_cap(vm, 0, 1) == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP with args[3] = 1: expected EINVAL");
	/* After vCPUs exist and have run: allowed. */
	TEST_ASSERT_EQ(run_to_sync(vcpu), 0);
	TEST_ASSERT_EQ(__enable_cap(vm, 0, 0), 0);
	TEST_ASSERT_EQ(__enable_cap(vm, 0, 0), 0);

	kvm_vm_free(vm);
	ksft_test_result_pass("capability: advertised, zero arguments only\n");
}

int main(void)
{
	char why[128] = "";
	bool injector, ras;
	int i, p, u, err;

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));
	ksft_set_plan(1 + 4 * ARRAY_SIZE(classes) + 3);

	test_capability();

	err = serror_inject_probe();
	injector = !err;
	/* Without FEAT_RAS every SError is implementation defined. */
	ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	if (!injector)
		snprintf(why, sizeof(why), "%s: %s", serror_inject_why(err),
			 strerror(-err));
	else if (!ras)
		/* Also for "pending": without the ESB, nothing is pending at exit. */
		snprintf(why, sizeof(why), "needs a host with FEAT_RAS");

	for (i = 0; i < ARRAY_SIZE(classes); i++) {
		for (p = 0; p < 2; p++) {
			for (u = 0; u < 2; u++) {
				if (injector && (ras || (!classes[i].ras && !p)))
					test_class(&classes[i], p, u);
				else
					ksft_test_result_skip("%s: %s\n",
							      classes[i].name, why);
			}
		}
	}

	if (injector && ras) {
		test_userspace_chooses_syndrome();
		test_tracepoint();
		test_injector_refuses_uc();
	} else {
		for (i = 0; i < 3; i++)
			ksft_test_result_skip("%s\n", why);
	}

	ksft_finished();
}
