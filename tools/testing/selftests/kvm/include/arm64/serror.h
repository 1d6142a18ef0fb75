/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest SError syndromes, and the vCPU state an SError injection writes or
 * must leave alone.
 */
#ifndef SELFTEST_KVM_SERROR_H
#define SELFTEST_KVM_SERROR_H

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define SERROR_EC		((u64)ESR_ELx_EC_SERROR << ESR_ELx_EC_SHIFT)
/* What the guest reads in ESR_EL1 for a virtual SError with this ISS. */
#define SERROR_ESR(iss)		(SERROR_EC | ESR_ELx_IL | (iss))
/* The ISS of a RAS SError with this AET (severity). */
#define SERROR_ISS_RAS(aet)	(ESR_ELx_FSC_SERROR | (aet))
/* KVM's own syndrome for the SErrors it makes up: implementation defined. */
#define KVM_DEFAULT_ESR		SERROR_ESR(ESR_ELx_IDS)

/* Indices into serror_vcpu_state.regs[]. */
enum serror_state_reg {
	SERROR_STATE_PC,
	SERROR_STATE_PSTATE,
	SERROR_STATE_ESR_EL1,
	SERROR_STATE_ELR_EL1,
	SERROR_STATE_SPSR_EL1,
	SERROR_STATE_FAR_EL1,
	SERROR_STATE_NR_REGS,
};

/* What a failed call must leave untouched. */
struct serror_vcpu_state {
	struct kvm_vcpu_events events;
	u64 regs[SERROR_STATE_NR_REGS];
};

static const u64 serror_state_reg_ids[SERROR_STATE_NR_REGS] = {
	[SERROR_STATE_PC]	= ARM64_CORE_REG(regs.pc),
	[SERROR_STATE_PSTATE]	= ARM64_CORE_REG(regs.pstate),
	[SERROR_STATE_ESR_EL1]	= KVM_ARM64_SYS_REG(SYS_ESR_EL1),
	[SERROR_STATE_ELR_EL1]	= ARM64_CORE_REG(elr_el1),
	[SERROR_STATE_SPSR_EL1]	= ARM64_CORE_REG(spsr[KVM_SPSR_EL1]),
	[SERROR_STATE_FAR_EL1]	= KVM_ARM64_SYS_REG(SYS_FAR_EL1),
};

static const char * const serror_state_reg_names[SERROR_STATE_NR_REGS] = {
	[SERROR_STATE_PC]	= "PC",
	[SERROR_STATE_PSTATE]	= "PSTATE",
	[SERROR_STATE_ESR_EL1]	= "ESR_EL1",
	[SERROR_STATE_ELR_EL1]	= "ELR_EL1",
	[SERROR_STATE_SPSR_EL1]	= "SPSR_EL1",
	[SERROR_STATE_FAR_EL1]	= "FAR_EL1",
};

/*
 * Snapshot a vCPU's events and registers. By fd, so that it also serves a
 * vCPU the library does not know, such as a protected VM's.
 */
static inline void serror_state_get(int vcpu_fd, struct serror_vcpu_state *s)
{
	struct kvm_one_reg reg;
	int i, ret;

	memset(s, 0, sizeof(*s));
	ret = ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &s->events);
	TEST_ASSERT(!ret, "KVM_GET_VCPU_EVENTS: %s", strerror(errno));

	for (i = 0; i < SERROR_STATE_NR_REGS; i++) {
		reg.id = serror_state_reg_ids[i];
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

#endif /* SELFTEST_KVM_SERROR_H */
