/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's Arm error injector: a one-page MMIO test device (QEMU's
 * docs/specs/arm-error-injector.rst; -device arm-error-injector on the virt
 * machine, device tree compatible "qemu,arm-error-injector") through which a
 * test raises real errors on the PEs of the machine KVM runs on: physical
 * SErrors with a chosen syndrome, and synchronous external aborts. Real RAS
 * hardware has no such device; tests that need it skip without it.
 *
 * A guest reaches the device as a VMM passes a device through: its page is
 * mapped from /dev/mem into a memslot. Where a guest cannot reach it (pKVM
 * does not map such memory into a guest), the guest asks the host, which
 * arms the device for the PE it runs the vCPU on: the SError is then raised
 * when that PE next enters the guest, or found pending when it next leaves.
 */
#ifndef TESTS_ERROR_INJECTOR_H
#define TESTS_ERROR_INJECTOR_H

#include "kvm_util.h"

#define ERRINJ_ID			0x00	/* RO: ERRINJ_ID_VALUE */
/* RW: the PE the armed modes target, by its MPIDR_EL1 affinity */
#define ERRINJ_TARGET			0x08
/* WO: a physical SError with ISS = value, now, on the writer */
#define ERRINJ_SERROR			0x10
/* WO: the same, at the writer's next exception to a higher EL */
#define ERRINJ_SERROR_AT_ENTRY		0x18
/* WO: the same, when PE TARGET next enters a guest */
#define ERRINJ_SERROR_IN_GUEST		0x20
#define ERRINJ_ABORT			0x28	/* RO: the read takes an external abort */
#define ERRINJ_COUNT			0x30	/* RO: SErrors raised so far */
/* WO: the same, at PE TARGET's next exit from a guest */
#define ERRINJ_SERROR_AT_GUEST_EXIT	0x38
#define ERRINJ_DISARM			0x40	/* WO: disarm what is armed */
/* RO: what is armed for PE TARGET; LATER: an SError DELAY holds back */
#define ERRINJ_ARMED			0x50
#define ERRINJ_ARMED_LATER		BIT(3)
/*
 * RW: hold the SErrors of ERRINJ_SERROR and ERRINJ_SERROR_IN_GUEST back by
 * this many ns, or with ERRINJ_DELAY_RANDOM by a random time up to it: they
 * become pending wherever the PE then is (one held back per PE).
 */
#define ERRINJ_DELAY			0x70
#define ERRINJ_DELAY_RANDOM		BIT_ULL(63)
/*
 * RW: what the aborts of ERRINJ_ABORT (and poison) report, as ESR_ELx.ISS
 * has them: FnV (FAR not valid, then UNKNOWN) and SET (FEAT_RAS).
 */
#define ERRINJ_ABORT_SYNDROME		0x78

#define ERRINJ_ID_VALUE			0x53457272
/* Where error_injector_map() puts the device in a guest (GPA == GVA). */
#define ERRINJ_GPA			0x10000000ULL

struct error_injector {
	u64 pa;
	void *hva;
	bool guest_reachable;
};

/*
 * Find the device and map its page from /dev/mem. Returns NULL and says why
 * in @why when there is none, or it cannot be mapped.
 */
struct error_injector *error_injector_open(char *why, size_t len);

/*
 * Give @vm's guest the device at ERRINJ_GPA, in memslot @slot, if a guest
 * can reach it on this host, and tell the guest whether it can.
 */
void error_injector_map(struct error_injector *inj, struct kvm_vm *vm, u32 slot);

/*
 * Arm @mode with syndrome @iss for the PE the caller runs on, pinning it.
 * The device keeps one SError per mode and PE: threads that arm it at once
 * must run on different PEs.
 */
void error_injector_arm(struct error_injector *inj, u64 mode, u64 iss);

/*
 * error_injector_arm(), held back by @delay (ERRINJ_DELAY): for
 * ERRINJ_SERROR, from the caller's write; for ERRINJ_SERROR_IN_GUEST, from
 * the caller's PE's next entry to a guest.
 */
void error_injector_arm_late(struct error_injector *inj, u64 mode, u64 iss,
			     u64 delay);

/* Whether the caller's PE has an SError held back (ERRINJ_ARMED_LATER). */
bool error_injector_held_back(struct error_injector *inj);

/* Whether the device has ERRINJ_DELAY (QEMU's late SErrors). */
bool error_injector_has_delay(struct error_injector *inj);

/*
 * KVM_RUN @vcpu; if its guest asked the host to raise an error for it
 * (guest_raise_serror()), arm the device and run it again.
 */
void error_injector_vcpu_run(struct error_injector *inj, struct kvm_vcpu *vcpu);

static inline u64 error_injector_read(struct error_injector *inj, u64 reg)
{
	return READ_ONCE(*(u64 *)(inj->hva + reg));
}

static inline void error_injector_write(struct error_injector *inj, u64 reg,
					u64 value)
{
	WRITE_ONCE(*(u64 *)(inj->hva + reg), value);
}

/*
 * In the guest: raise a physical SError with syndrome @iss, now
 * (ERRINJ_SERROR) or at the next exit (ERRINJ_SERROR_AT_ENTRY).
 */
void guest_raise_serror(u64 mode, u64 iss);

/*
 * In the guest: raise a physical SError with syndrome @taken_iss now, and a
 * second with @pending_iss as the first is taken to EL2, where the ESB of
 * KVM's vector defers it into DISR_EL1: one exit that takes an SError and
 * finds another pending.
 */
void guest_raise_serror_pair(u64 taken_iss, u64 pending_iss);

#endif /* TESTS_ERROR_INJECTOR_H */
