/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the project's SError tests share: SError syndromes, a virtual SError
 * made pending as a VMM does it, the guest's window for taking one, the vCPU
 * state a failed call must leave alone, and one child process per case.
 */
#ifndef SELFTEST_KVM_SERROR_H
#define SELFTEST_KVM_SERROR_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define SERROR_EC		FIELD_PREP(ESR_ELx_EC_MASK, ESR_ELx_EC_SERROR)
/* What the guest reads in ESR_ELx for a virtual SError with this ISS. */
#define SERROR_ESR(iss)		(SERROR_EC | ESR_ELx_IL | (iss))
/* The ISS of a RAS SError with this AET (severity). */
#define SERROR_ISS_RAS(aet)	(ESR_ELx_FSC_SERROR | (aet))
/*
 * KVM's own syndrome, for the SErrors it reflects or is asked to pend
 * without one: implementation defined. Also what KVM_EXIT_ARM_SERROR
 * reports for an implementation defined SError.
 */
#define KVM_DEFAULT_ESR		SERROR_ESR(ESR_ELx_IDS)

/* No case may take longer than this; a hang fails the case. */
#define SERROR_CASE_TIMEOUT_S	30

/*
 * Make a virtual SError pending with KVM_SET_VCPU_EVENTS, as a VMM does:
 * with syndrome @iss if @has_esr, which needs a host with FEAT_RAS
 * (KVM_CAP_ARM_INJECT_SERROR_ESR), else with KVM's.
 */
static inline void serror_pend(struct kvm_vcpu *vcpu, bool has_esr, u64 iss)
{
	struct kvm_vcpu_events events = {};

	events.exception.serror_pending = 1;
	events.exception.serror_has_esr = has_esr;
	events.exception.serror_esr = has_esr ? iss : 0;
	vcpu_events_set(vcpu, &events);
}

/* In the guest: unmask SErrors long enough to take a pending one. */
static inline void guest_serror_window(void)
{
	local_serror_enable();
	isb();
	local_serror_disable();
}

/*
 * What the guest's SError handler records: how many SErrors the guest took,
 * and the syndrome of the last one. The host reads them with
 * sync_global_from_guest().
 */
static u64 serror_count;
static u64 serror_esr;

/* At vEL2, with HCR_EL2.E2H set, esr_el1 reads ESR_EL2. */
static inline void guest_serror_record(void)
{
	WRITE_ONCE(serror_esr, read_sysreg(esr_el1));
	WRITE_ONCE(serror_count, READ_ONCE(serror_count) + 1);
}

static inline void guest_serror_handler(struct ex_regs *regs)
{
	guest_serror_record();
}

static inline void guest_unexpected_dabt_handler(struct ex_regs *regs)
{
	GUEST_FAIL("Unexpected synchronous exception, ESR %lx at PC %lx",
		   read_sysreg(esr_el1), regs->pc);
}

/*
 * Give a new VM's guest exception vectors: guest_serror_handler for an
 * SError, and a failure for a data abort (the guest touches no memory that
 * is not mapped, so one means that something went wrong).
 */
static inline void vm_install_serror_handlers(struct kvm_vm *vm,
					      struct kvm_vcpu *vcpu)
{
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT,
				     guest_serror_handler);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, ESR_ELx_EC_DABT_CUR,
				guest_unexpected_dabt_handler);
}

/* Indices into serror_vcpu_state.regs[]. */
enum serror_state_reg {
	SERROR_STATE_PC,
	SERROR_STATE_PSTATE,
	SERROR_STATE_ESR,
	SERROR_STATE_ELR,
	SERROR_STATE_SPSR,
	SERROR_STATE_FAR,
	SERROR_STATE_NR_REGS,
};

/* What a failed call must leave untouched. */
struct serror_vcpu_state {
	struct kvm_vcpu_events events;
	u64 regs[SERROR_STATE_NR_REGS];
};

/*
 * The exception registers of the guest's own Exception level: EL1's, or
 * EL2's for a guest that runs at vEL2 (vcpu_has_el2()), where the library
 * runs it with HCR_EL2.E2H set and it takes its exceptions to (v)EL2.
 * ctxt_reg_alias() needs a library vCPU, and a protected VM's is not one.
 */
static const u64 serror_state_reg_ids[2][SERROR_STATE_NR_REGS] = {
	{
		[SERROR_STATE_PC]	= ARM64_CORE_REG(regs.pc),
		[SERROR_STATE_PSTATE]	= ARM64_CORE_REG(regs.pstate),
		[SERROR_STATE_ESR]	= KVM_ARM64_SYS_REG(SYS_ESR_EL1),
		[SERROR_STATE_ELR]	= ARM64_CORE_REG(elr_el1),
		[SERROR_STATE_SPSR]	= ARM64_CORE_REG(spsr[KVM_SPSR_EL1]),
		[SERROR_STATE_FAR]	= KVM_ARM64_SYS_REG(SYS_FAR_EL1),
	}, {
		[SERROR_STATE_PC]	= ARM64_CORE_REG(regs.pc),
		[SERROR_STATE_PSTATE]	= ARM64_CORE_REG(regs.pstate),
		[SERROR_STATE_ESR]	= KVM_ARM64_SYS_REG(SYS_ESR_EL2),
		[SERROR_STATE_ELR]	= KVM_ARM64_SYS_REG(SYS_ELR_EL2),
		[SERROR_STATE_SPSR]	= KVM_ARM64_SYS_REG(SYS_SPSR_EL2),
		[SERROR_STATE_FAR]	= KVM_ARM64_SYS_REG(SYS_FAR_EL2),
	},
};

static const char * const serror_state_reg_names[SERROR_STATE_NR_REGS] = {
	[SERROR_STATE_PC]	= "PC",
	[SERROR_STATE_PSTATE]	= "PSTATE",
	[SERROR_STATE_ESR]	= "ESR_ELx",
	[SERROR_STATE_ELR]	= "ELR_ELx",
	[SERROR_STATE_SPSR]	= "SPSR_ELx",
	[SERROR_STATE_FAR]	= "FAR_ELx",
};

/*
 * Snapshot a vCPU's events and registers, those of EL2 if @el2. By fd, so
 * that it also serves a vCPU the library does not know, such as a protected
 * VM's.
 */
static inline void serror_state_get(int vcpu_fd, bool el2,
				    struct serror_vcpu_state *s)
{
	struct kvm_one_reg reg;
	int i, ret;

	memset(s, 0, sizeof(*s));
	ret = ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &s->events);
	TEST_ASSERT(!ret, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));

	for (i = 0; i < SERROR_STATE_NR_REGS; i++) {
		reg.id = serror_state_reg_ids[el2][i];
		reg.addr = (u64)&s->regs[i];
		ret = ioctl(vcpu_fd, KVM_GET_ONE_REG, &reg);
		TEST_ASSERT(!ret, "KVM_GET_ONE_REG(%s): %s",
			    serror_state_reg_names[i], strerror(errno));
	}
}

/* Assert that @what left the snapshot unchanged, naming what changed. */
static inline void serror_state_expect_equal(const struct serror_vcpu_state *before,
					     const struct serror_vcpu_state *after,
					     const char *what)
{
	const struct kvm_vcpu_events *b = &before->events, *a = &after->events;
	int i;

	for (i = 0; i < SERROR_STATE_NR_REGS; i++)
		TEST_ASSERT(before->regs[i] == after->regs[i],
			    "%s changed %s: %#lx -> %#lx", what,
			    serror_state_reg_names[i], before->regs[i],
			    after->regs[i]);

	TEST_ASSERT(!memcmp(b, a, sizeof(*b)),
		    "%s changed the vCPU events: pending %u -> %u, has_esr %u -> %u, esr %#llx -> %#llx",
		    what, b->exception.serror_pending,
		    a->exception.serror_pending, b->exception.serror_has_esr,
		    a->exception.serror_has_esr, b->exception.serror_esr,
		    a->exception.serror_esr);
}

/* A case this host cannot run: say why on a line of its own, and skip it. */
static inline void serror_skip_case(const char *name, const char *why)
{
	ksft_print_msg("Skipping %s: %s\n", name, why);
	ksft_test_result_skip("%s\n", name);
}

/*
 * Run @test(@arg) in a child of its own, so that a failed assertion fails
 * that case and the others still run and report, and report it under the
 * name @fmt makes. A child that hangs is killed by its alarm and fails; one
 * that exits with KSFT_SKIP skips.
 */
static inline __printf(3, 4) void serror_run_case(void (*test)(const void *arg),
						  const void *arg,
						  const char *fmt, ...)
{
	int status, result = KSFT_FAIL;
	char name[256];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		alarm(SERROR_CASE_TIMEOUT_S);
		test(arg);
		exit(KSFT_PASS);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid: %s",
		    strerror(errno));
	if (WIFEXITED(status) && (WEXITSTATUS(status) == KSFT_PASS ||
				  WEXITSTATUS(status) == KSFT_SKIP))
		result = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		ksft_print_msg("%s: killed by signal %d%s\n", name,
			       WTERMSIG(status),
			       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	ksft_test_result_report(result, "%s\n", name);
}

#endif /* SELFTEST_KVM_SERROR_H */
