// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_hostile_input - every malformed use of the uapi that guest SError
 * handling added or touched fails with its documented errno and changes
 * nothing.
 *
 * Each row of the tables below is one case, run in a child of its own with
 * a fresh VM: a setup, one bad call, the errno Documentation/virt/kvm/api.rst
 * and the code give for it, and then the vCPU state (KVM_GET_VCPU_EVENTS and
 * PC, PSTATE, ESR, ELR, SPSR and FAR of the guest's Exception level, EL1 or
 * vEL2) compared with what it was before the call. Where the vCPU can run
 * afterwards, the guest checks that it has been given no SError and no SEA.
 * A few valid calls stand next to the bad ones they resemble, with what they
 * must do instead: a syndrome (serror_has_esr) is taken on any host with
 * FEAT_RAS, whatever the VM's ID_AA64PFR0_EL1.RAS says, and refused on a
 * host without.
 *
 * Covered: KVM_ENABLE_CAP(KVM_CAP_ARM_SERROR_TO_USER), KVM_SET_VCPU_EVENTS
 * (every rejection path of kvm_arm_vcpu_set_events() and
 * __kvm_arm_vcpu_set_events(), and the fields documented as ignored), the
 * vCPU ioctls before KVM_ARM_VCPU_INIT, a protected VM (only when the host
 * runs in protected mode), and a malformed KVM_SET_VCPU_EVENTS issued by
 * another thread while the vCPU is in KVM_RUN.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest.h"
#include "processor.h"
#include "serror.h"
#include "test_util.h"

#define SERROR_ISS_UER		SERROR_ISS_RAS(ESR_ELx_AET_UER)
/* PSTATE's condition flags. */
#define PSR_NZCV		(PSR_N_BIT | PSR_Z_BIT | PSR_C_BIT | PSR_V_BIT)
/* How long the other thread may take to block on vcpu->mutex, at most */
#define BLOCKED_WAIT_MS		10000

/* KVM_SET_VCPU_EVENTS takes a syndrome (serror_has_esr). */
static bool host_has_ras;

/* How many SErrors the guest must have taken by its end. */
static u64 expected_count;
/* Guest/host handshake for the case that races a vCPU in KVM_RUN. */
static u64 spin;
static u64 spinning;
static u64 stop;

/*
 * Exit once so that the host can make its call, optionally spin until told
 * to stop (the host races a second thread against KVM_RUN meanwhile), then
 * check that what was made pending, nothing or one SError, is taken.
 */
static void guest_code(void)
{
	GUEST_SYNC(0);

	if (READ_ONCE(spin)) {
		WRITE_ONCE(spinning, 1);
		while (!READ_ONCE(stop))
			cpu_relax();
		GUEST_SYNC(1);
	}

	GUEST_ASSERT_EQ(!!(read_sysreg(isr_el1) & ISR_EL1_A),
			READ_ONCE(expected_count));
	guest_serror_window();
	GUEST_ASSERT_EQ(READ_ONCE(serror_count), READ_ONCE(expected_count));
	GUEST_DONE();
}

/* ret is a raw ioctl() return: 0, or -1 with errno. */
static void expect_errno(int ret, int err, const char *what)
{
	if (!err)
		TEST_ASSERT(!ret, "%s: expected success, got %d (%s)",
			    what, ret, strerror(errno));
	else
		TEST_ASSERT(ret == -1 && errno == err,
			    "%s: expected %s, got %d (%s)", what, strerror(err),
			    ret, ret ? strerror(errno) : "success");
}

enum setup {
	RAN,		/* the vCPU has run, up to its first GUEST_SYNC */
	RAS_HIDDEN,	/* ID_AA64PFR0_EL1.RAS = 0 before the first run, then RAN */
	NEVER_RAN,	/* initialised, never run */
};

static struct kvm_vm *vm_create_setup(struct kvm_vcpu **vcpu, enum setup setup)
{
	u64 pfr0_id = KVM_ARM64_SYS_REG(SYS_ID_AA64PFR0_EL1);
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);
	struct ucall uc;
	u64 pfr0;

	vm_install_serror_handlers(vm, *vcpu);

	if (setup == RAS_HIDDEN) {
		pfr0 = vcpu_get_reg(*vcpu, pfr0_id);
		vcpu_set_reg(*vcpu, pfr0_id, pfr0 & ~ID_AA64PFR0_EL1_RAS_MASK);
		pfr0 = vcpu_get_reg(*vcpu, pfr0_id);
		TEST_ASSERT(!SYS_FIELD_GET(ID_AA64PFR0_EL1, RAS, pfr0),
			    "ID_AA64PFR0_EL1.RAS is not writable");
	}

	if (setup != NEVER_RAN) {
		vcpu_run(*vcpu);
		TEST_ASSERT_EQ(get_ucall(*vcpu, &uc), UCALL_SYNC);
	}
	return vm;
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

/*
 * The guest then runs to its end: it was given no SEA, and takes @count
 * SErrors (0 or 1), with ESR @esr if the host has RAS (else the guest's
 * syndrome is only known to be an SError's).
 */
static void guest_runs_to_end(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			      u64 count, u64 esr)
{
	expected_count = count;
	sync_global_to_guest(vm, expected_count);
	vcpu_run_expect(vcpu, UCALL_DONE);
	sync_global_from_guest(vm, serror_count);
	sync_global_from_guest(vm, serror_esr);
	TEST_ASSERT_EQ(serror_count, count);
	if (count && host_has_ras)
		TEST_ASSERT_EQ(serror_esr, esr);
	else if (count)
		TEST_ASSERT_EQ(ESR_ELx_EC(serror_esr), ESR_ELx_EC_SERROR);
}

static void guest_runs_clean(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	guest_runs_to_end(vm, vcpu, 0, 0);
}

static void state_get(struct kvm_vcpu *vcpu, struct serror_vcpu_state *s)
{
	serror_state_get(vcpu->fd, vcpu_has_el2(vcpu), s);
}

/* KVM_ENABLE_CAP(KVM_CAP_ARM_SERROR_TO_USER) */

enum cap_fd {
	VM_FD,
	VCPU_FD,
	DEV_FD,		/* /dev/kvm */
};

struct cap_case {
	const char *name;
	enum setup setup;
	enum cap_fd fd;
	struct kvm_enable_cap cap;
	int err;
};

#define SERROR_CAP	.cap = KVM_CAP_ARM_SERROR_TO_USER
#define TO_USER_EXIT	KVM_ARM_SERROR_TO_USER_EXIT

static const struct cap_case cap_cases[] = {
	{ "flags = 1", RAN, VM_FD, { SERROR_CAP, .flags = 1 }, EINVAL },
	{ "flags = BIT(31)", RAN, VM_FD, { SERROR_CAP, .flags = BIT(31) }, EINVAL },
	/* api.rst 7.48: a flag KVM_CHECK_EXTENSION does not report. */
	{ "args[0] = BIT(1)", RAN, VM_FD, { SERROR_CAP, .args = { BIT(1) } },
	  EINVAL },
	{ "args[0] = EXIT | BIT(63)", RAN, VM_FD,
	  { SERROR_CAP, .args = { KVM_ARM_SERROR_TO_USER_EXIT | BIT(63) } },
	  EINVAL },
	{ "args[1] = 1", RAN, VM_FD, { SERROR_CAP, .args[1] = 1 }, EINVAL },
	{ "args[2] = 1", RAN, VM_FD, { SERROR_CAP, .args[2] = 1 }, EINVAL },
	{ "args[3] = BIT(63)", RAN, VM_FD, { SERROR_CAP, .args[3] = BIT(63) },
	  EINVAL },
	{ "args[0] = BIT(1) before any vCPU ran", NEVER_RAN, VM_FD,
	  { SERROR_CAP, .args = { BIT(1) } }, EINVAL },
	{ "on the vCPU fd", RAN, VCPU_FD, { SERROR_CAP, .args = { TO_USER_EXIT } },
	  EINVAL },
	{ "on /dev/kvm", RAN, DEV_FD, { SERROR_CAP, .args = { TO_USER_EXIT } },
	  EINVAL },
	/* api.rst 7.48: may be enabled at any time, also after vCPUs ran. */
	{ "EXIT, after a vCPU ran: accepted", RAN, VM_FD,
	  { SERROR_CAP, .args = { TO_USER_EXIT } }, 0 },
	/* api.rst 7.48: args[0] = 0 turns the exit off. */
	{ "args[0] = 0: accepted", RAN, VM_FD, { SERROR_CAP }, 0 },
};

static void test_cap(const void *arg)
{
	const struct cap_case *c = arg;
	struct kvm_enable_cap cap = c->cap;
	struct serror_vcpu_state before, after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int fd, ret;

	vm = vm_create_setup(&vcpu, c->setup);
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_ARM_SERROR_TO_USER),
		       TO_USER_EXIT);

	switch (c->fd) {
	case VM_FD:
		fd = vm->fd;
		break;
	case VCPU_FD:
		fd = vcpu->fd;
		break;
	default:
		fd = vm->kvm_fd;
	}

	state_get(vcpu, &before);
	ret = ioctl(fd, KVM_ENABLE_CAP, &cap);
	expect_errno(ret, c->err, "KVM_ENABLE_CAP");
	state_get(vcpu, &after);
	serror_state_expect_equal(&before, &after, "KVM_ENABLE_CAP");

	/* Still offered, and a valid enable still works (and is idempotent). */
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_ARM_SERROR_TO_USER),
		       TO_USER_EXIT);
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_ARM_SERROR_TO_USER;
	cap.args[0] = TO_USER_EXIT;
	ret = __vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	expect_errno(ret, 0, "valid KVM_ENABLE_CAP afterwards");

	if (c->setup == NEVER_RAN)
		vcpu_run_expect(vcpu, UCALL_SYNC);
	guest_runs_clean(vm, vcpu);
	kvm_vm_free(vm);
}

/* KVM_SET_VCPU_EVENTS */

struct events_case {
	const char *name;
	enum setup setup;
	struct kvm_vcpu_events events;
	bool null_ptr;
	int err;	/* on a host with RAS; 0: accepted */
};

/* A pending SError with a syndrome, inside .exception = { } */
#define SERROR_WITH_ESR(iss)	.serror_pending = 1, .serror_has_esr = 1,	\
				.serror_esr = (iss)
#define PENDING_ESR(iss)	.exception = { SERROR_WITH_ESR(iss) }

static const struct events_case events_cases[] = {
	/* kvm_arm_vcpu_set_events(): pad and reserved must be zero. */
	{ "exception.pad[0] = 1", RAN,
	  { .exception = { .serror_pending = 1, .pad = { 1 } } }, .err = EINVAL },
	{ "exception.pad[1] = 1", RAN,
	  { .exception = { .serror_pending = 1, .pad[1] = 1 } }, .err = EINVAL },
	{ "exception.pad[2] = 1", RAN,
	  { .exception = { .serror_pending = 1, .pad[2] = 1 } }, .err = EINVAL },
	{ "exception.pad[3] = 1", RAN,
	  { .exception = { .serror_pending = 1, .pad[3] = 1 } }, .err = EINVAL },
	{ "exception.pad[4] = 0x80", RAN,
	  { .exception = { .serror_pending = 1, .pad[4] = 0x80 } }, .err = EINVAL },
	{ "reserved[0] = 1", RAN,
	  { .exception.serror_pending = 1, .reserved = { 1 } }, .err = EINVAL },
	{ "reserved[6] = 1", RAN,
	  { .exception.serror_pending = 1, .reserved[6] = 1 }, .err = EINVAL },
	{ "reserved[11] = BIT(31)", RAN,
	  { .exception.serror_pending = 1, .reserved[11] = BIT(31) },
	  .err = EINVAL },
	{ "SEA with exception.pad[0] = 1", RAN,
	  { .exception = { .ext_dabt_pending = 1, .pad = { 1 } } }, .err = EINVAL },
	{ "SEA with reserved[3] = 1", RAN,
	  { .exception.ext_dabt_pending = 1, .reserved[3] = 1 }, .err = EINVAL },
	/* __kvm_arm_vcpu_set_events(): the ESR is ISS[24:0] only. */
	{ "serror_esr bit 25 (IL)", RAN, { PENDING_ESR(BIT(25)) }, .err = EINVAL },
	{ "serror_esr bit 31 (EC)", RAN,
	  { PENDING_ESR(BIT(31) | SERROR_ISS_UER) }, .err = EINVAL },
	{ "serror_esr bit 32 (ISS2)", RAN,
	  { PENDING_ESR(BIT(32) | SERROR_ISS_UER) }, .err = EINVAL },
	{ "serror_esr bit 63", RAN, { PENDING_ESR(BIT(63)) }, .err = EINVAL },
	{ "serror_esr all ones", RAN, { PENDING_ESR(~0ULL) }, .err = EINVAL },
	{ "serror_esr bit 25, vCPU never ran", NEVER_RAN,
	  { PENDING_ESR(BIT(25)) }, .err = EINVAL },
	{ "SEA with serror_esr bit 25", RAN,
	  { .exception = { .ext_dabt_pending = 1, .serror_pending = 1,
			   .serror_has_esr = 1, .serror_esr = BIT(25) } },
	  .err = EINVAL },
	/*
	 * ... and only on a host with FEAT_RAS, whatever the VM's
	 * ID_AA64PFR0_EL1.RAS: valid, these pend the SError with the syndrome.
	 */
	{ "serror_has_esr", RAN, { PENDING_ESR(SERROR_ISS_UER) } },
	{ "serror_has_esr, RAS hidden", RAS_HIDDEN,
	  { PENDING_ESR(SERROR_ISS_UER) } },
	{ "serror_has_esr with ESR 0, RAS hidden", RAS_HIDDEN,
	  { PENDING_ESR(0) } },
	/* kvm_arch_vcpu_ioctl(): copy_from_user(). */
	{ "NULL events pointer", RAN, .null_ptr = true, .err = EFAULT },
	/* api.rst: serror_has_esr and serror_esr ignored without serror_pending. */
	/* Without serror_has_esr, serror_esr is ignored: KVM's syndrome. */
	{ "serror_esr without serror_has_esr: ignored", RAN,
	  { .exception = { .serror_pending = 1,
			   .serror_esr = BIT(63) | SERROR_ISS_UER } }, .err = 0 },
	{ "serror_has_esr without serror_pending: ignored", RAN,
	  { .exception.serror_has_esr = 1 }, .err = 0 },
	{ "serror_esr bit 63 without serror_pending: ignored", RAN,
	  { .exception = { .serror_has_esr = 1, .serror_esr = BIT(63) } },
	  .err = 0 },
	{ "serror_has_esr without serror_pending, RAS hidden: ignored",
	  RAS_HIDDEN, { .exception = { .serror_has_esr = 1,
				       .serror_esr = SERROR_ISS_UER } }, .err = 0 },
	{ "all zero: nothing to do", RAN, { }, .err = 0 },
};

/* A syndrome, valid or not, is refused on a host without RAS. */
static int events_errno(const struct events_case *c)
{
	const struct kvm_vcpu_events *e = &c->events;
	bool refused = !host_has_ras && !c->null_ptr &&
		       e->exception.serror_pending && e->exception.serror_has_esr;

	return refused ? EINVAL : c->err;
}

/* A call that is accepted and asks for an SError pends it. */
static bool events_pend(const struct events_case *c)
{
	return !events_errno(c) && !c->null_ptr &&
	       c->events.exception.serror_pending;
}

/*
 * A refused or ignored call changes nothing. An SError that is accepted is
 * pending with its syndrome, the rest of the vCPU unchanged (the guest runs
 * with SErrors masked), and the guest takes it once.
 */
static void test_events(const void *arg)
{
	const struct events_case *c = arg;
	struct kvm_vcpu_events events = c->events;
	/* The syndrome pended: the caller's, or without one KVM's */
	u64 iss = events.exception.serror_has_esr ? events.exception.serror_esr :
						     ESR_ELx_IDS;
	struct serror_vcpu_state before, after;
	bool pend = events_pend(c);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int ret;

	vm = vm_create_setup(&vcpu, c->setup);

	state_get(vcpu, &before);
	/* Raw: the library's ioctl wrappers refuse a NULL argument. */
	ret = ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, c->null_ptr ? NULL : &events);
	expect_errno(ret, events_errno(c), "KVM_SET_VCPU_EVENTS");
	state_get(vcpu, &after);
	if (pend) {
		before.events.exception.serror_pending = 1;
		/* KVM_GET_VCPU_EVENTS reports a syndrome only with RAS */
		before.events.exception.serror_esr = host_has_ras ? iss : 0;
	}
	serror_state_expect_equal(&before, &after, "KVM_SET_VCPU_EVENTS");

	if (c->setup == NEVER_RAN)
		vcpu_run_expect(vcpu, UCALL_SYNC);
	guest_runs_to_end(vm, vcpu, pend, SERROR_ESR(iss));
	kvm_vm_free(vm);
}

/*
 * KVM_SET_VCPU_EVENTS "cannot 'cancel' an SError that has been made
 * pending": a call with nothing pending succeeds, and the SError stays,
 * with its syndrome, and is taken exactly once.
 */
static void test_no_cancel(const void *arg)
{
	struct kvm_vcpu_events none = {}, events;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int ret;

	vm = vm_create_setup(&vcpu, RAN);
	serror_pend(vcpu, host_has_ras, SERROR_ISS_UER);
	ret = __vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &none);
	expect_errno(ret, 0, "KVM_SET_VCPU_EVENTS(nothing pending)");

	vcpu_events_get(vcpu, &events);
	TEST_ASSERT_EQ(events.exception.serror_pending, 1);
	if (host_has_ras) {
		TEST_ASSERT_EQ(events.exception.serror_has_esr, 1);
		TEST_ASSERT_EQ(events.exception.serror_esr, SERROR_ISS_UER);
	}
	guest_runs_to_end(vm, vcpu, 1, SERROR_ESR(SERROR_ISS_UER));
	kvm_vm_free(vm);
}

/*
 * Not malformed, but the combination the validation is there for: with an
 * SEA and an SError both requested and valid, the SEA is taken at once, to
 * the guest's own Exception level, and the SError is left pending (the
 * guest has PSTATE.A set at the vector). With a syndrome if the host has
 * RAS, also in a VM whose ID_AA64PFR0_EL1.RAS is 0.
 */
static void test_sea_and_serror(const void *arg)
{
	const enum setup *setup = arg;
	struct kvm_vcpu_events events = {};
	struct serror_vcpu_state after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int ret;

	vm = vm_create_setup(&vcpu, *setup);

	events.exception.ext_dabt_pending = 1;
	events.exception.serror_pending = 1;
	events.exception.serror_has_esr = host_has_ras;
	events.exception.serror_esr = host_has_ras ? SERROR_ISS_UER : 0;
	ret = __vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &events);
	expect_errno(ret, 0, "KVM_SET_VCPU_EVENTS(SEA + SError)");

	state_get(vcpu, &after);
	TEST_ASSERT_EQ(ESR_ELx_EC(after.regs[SERROR_STATE_ESR]),
		       ESR_ELx_EC_DABT_CUR);
	TEST_ASSERT_EQ(after.events.exception.serror_pending, 1);
	if (host_has_ras)
		TEST_ASSERT_EQ(after.events.exception.serror_esr, SERROR_ISS_UER);
	kvm_vm_free(vm);
}

/* Before KVM_ARM_VCPU_INIT */

enum before_init_call {
	GET_EVENTS,
	SET_EVENTS,
	SET_EVENTS_NULL,
	GET_ONE_REG,
	SET_ONE_REG,
	ENABLE_SERROR_CAP,
};

struct before_init_case {
	const char *name;
	enum before_init_call call;
	struct kvm_vcpu_events events;
	int err;
};

static const struct before_init_case before_init_cases[] = {
	{ "KVM_GET_VCPU_EVENTS", GET_EVENTS, { }, ENOEXEC },
	{ "KVM_SET_VCPU_EVENTS, valid SError", SET_EVENTS,
	  { .exception.serror_pending = 1 }, ENOEXEC },
	{ "KVM_SET_VCPU_EVENTS, valid SError with ESR", SET_EVENTS,
	  { PENDING_ESR(SERROR_ISS_UER) }, ENOEXEC },
	{ "KVM_SET_VCPU_EVENTS, SEA", SET_EVENTS,
	  { .exception.ext_dabt_pending = 1 }, ENOEXEC },
	{ "KVM_SET_VCPU_EVENTS, serror_esr bit 25", SET_EVENTS,
	  { PENDING_ESR(BIT(25)) }, ENOEXEC },
	{ "KVM_SET_VCPU_EVENTS, exception.pad[0] = 1", SET_EVENTS,
	  { .exception = { .serror_pending = 1, .pad = { 1 } } }, ENOEXEC },
	{ "KVM_SET_VCPU_EVENTS, NULL pointer", SET_EVENTS_NULL, { }, ENOEXEC },
	{ "KVM_GET_ONE_REG(ESR_EL1)", GET_ONE_REG, { }, ENOEXEC },
	{ "KVM_SET_ONE_REG(ESR_EL1)", SET_ONE_REG, { }, ENOEXEC },
	/* api.rst 7.48: the VM capability does not depend on the vCPUs. */
	{ "KVM_ENABLE_CAP(SERROR_TO_USER): accepted", ENABLE_SERROR_CAP, { }, 0 },
};

/*
 * The call fails (or, for the VM capability, succeeds) and leaves nothing
 * behind: once initialised, the vCPU is in the same state as a second vCPU
 * that nobody touched before its KVM_ARM_VCPU_INIT.
 */
static void test_before_init(const void *arg)
{
	const struct before_init_case *c = arg;
	struct kvm_vcpu_events events = c->events;
	struct serror_vcpu_state state, fresh;
	struct kvm_vcpu *vcpu, *ref;
	struct kvm_enable_cap cap = { SERROR_CAP, .args = { TO_USER_EXIT } };
	u64 val = 0;
	struct kvm_one_reg reg = {
		.id = KVM_ARM64_SYS_REG(SYS_ESR_EL1),
		.addr = (u64)&val,
	};
	struct kvm_vm *vm;
	int ret;

	vm = vm_create_barebones();
	vcpu = __vm_vcpu_add(vm, 0);
	ref = __vm_vcpu_add(vm, 1);

	switch (c->call) {
	case GET_EVENTS:
		ret = __vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &events);
		break;
	case SET_EVENTS:
		ret = __vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &events);
		break;
	case SET_EVENTS_NULL:
		ret = ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, NULL);
		break;
	case GET_ONE_REG:
		ret = __vcpu_ioctl(vcpu, KVM_GET_ONE_REG, &reg);
		break;
	case SET_ONE_REG:
		val = ESR_ELx_IL | SERROR_ISS_UER;
		ret = __vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
		break;
	default:
		ret = __vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	}
	expect_errno(ret, c->err, c->name);

	aarch64_vcpu_setup(vcpu, NULL);
	aarch64_vcpu_setup(ref, NULL);
	state_get(vcpu, &state);
	state_get(ref, &fresh);
	TEST_ASSERT_EQ(state.events.exception.serror_pending, 0);
	serror_state_expect_equal(&fresh, &state, c->name);
	kvm_vm_free(vm);
}

/* Protected VM (KVM_VM_TYPE_ARM_PROTECTED), raw: the library refuses types. */

static int pvm_create(int kvm_fd)
{
	return ioctl(kvm_fd, KVM_CREATE_VM, KVM_VM_TYPE_ARM_PROTECTED);
}

/* An initialised vCPU of the protected VM; it is never run. */
static int pvm_vcpu_create(int vm_fd)
{
	struct kvm_vcpu_init init;
	int vcpu_fd, ret;

	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	TEST_ASSERT(vcpu_fd >= 0, "KVM_CREATE_VCPU (protected VM): %s",
		    strerror(errno));
	ret = ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &init);
	TEST_ASSERT(!ret, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	ret = ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init);
	TEST_ASSERT(!ret, "KVM_ARM_VCPU_INIT (protected VM): %s",
		    strerror(errno));
	return vcpu_fd;
}

enum pvm_call {
	PVM_CHECK_CAP,
	PVM_ENABLE_CAP,
	PVM_SET_EVENTS,
};

struct pvm_case {
	const char *name;
	enum pvm_call call;
	struct kvm_enable_cap cap;
	struct kvm_vcpu_events events;
	int err;
	/* PVM_SET_EVENTS: the same call made valid, which must succeed */
	struct kvm_vcpu_events valid;
};

static const struct pvm_case pvm_cases[] = {
	/* kvm_pkvm_ext_allowed(): not offered to a protected VM. */
	{ "KVM_CHECK_EXTENSION(SERROR_TO_USER) reads 0", PVM_CHECK_CAP },
	{ "KVM_ENABLE_CAP(SERROR_TO_USER), valid", PVM_ENABLE_CAP,
	  { SERROR_CAP }, .err = EINVAL },
	{ "KVM_ENABLE_CAP(SERROR_TO_USER), args[0] = EXIT", PVM_ENABLE_CAP,
	  { SERROR_CAP, .args = { TO_USER_EXIT } }, .err = EINVAL },
	{ "KVM_ENABLE_CAP(SERROR_TO_USER), flags = 1", PVM_ENABLE_CAP,
	  { SERROR_CAP, .flags = 1 }, .err = EINVAL },
	{ "KVM_SET_VCPU_EVENTS, exception.pad[0] = 1", PVM_SET_EVENTS, { },
	  { .exception = { .serror_pending = 1, .pad = { 1 } } }, EINVAL,
	  { .exception.serror_pending = 1 } },
	{ "KVM_SET_VCPU_EVENTS, reserved[0] = 1", PVM_SET_EVENTS, { },
	  { .exception.serror_pending = 1, .reserved = { 1 } }, EINVAL,
	  { .exception.serror_pending = 1 } },
	{ "KVM_SET_VCPU_EVENTS, serror_esr bit 25", PVM_SET_EVENTS, { },
	  { PENDING_ESR(BIT(25)) }, EINVAL, { PENDING_ESR(ESR_ELx_IDS) } },
	{ "KVM_SET_VCPU_EVENTS, SEA with serror_esr bit 25", PVM_SET_EVENTS,
	  { }, { .exception = { .ext_dabt_pending = 1, SERROR_WITH_ESR(BIT(25)) } },
	  EINVAL, { .exception = { .ext_dabt_pending = 1 } } },
};

static void test_pvm(const void *arg)
{
	const struct pvm_case *c = arg;
	struct kvm_vcpu_events events = c->events;
	struct kvm_enable_cap cap = c->cap;
	struct serror_vcpu_state before, after;
	int kvm_fd, vm_fd, vcpu_fd, ret;

	kvm_fd = open_kvm_dev_path_or_exit();
	vm_fd = pvm_create(kvm_fd);
	TEST_ASSERT(vm_fd >= 0, "KVM_CREATE_VM(protected): %s", strerror(errno));

	switch (c->call) {
	case PVM_CHECK_CAP:
		/* The host offers it; the protected VM does not. */
		TEST_ASSERT_EQ(ioctl(kvm_fd, KVM_CHECK_EXTENSION,
				     KVM_CAP_ARM_SERROR_TO_USER), TO_USER_EXIT);
		TEST_ASSERT_EQ(ioctl(vm_fd, KVM_CHECK_EXTENSION,
				     KVM_CAP_ARM_SERROR_TO_USER), 0);
		break;
	case PVM_ENABLE_CAP:
		ret = ioctl(vm_fd, KVM_ENABLE_CAP, &cap);
		expect_errno(ret, c->err, c->name);
		TEST_ASSERT_EQ(ioctl(vm_fd, KVM_CHECK_EXTENSION,
				     KVM_CAP_ARM_SERROR_TO_USER), 0);
		break;
	default:
		vcpu_fd = pvm_vcpu_create(vm_fd);
		serror_state_get(vcpu_fd, false, &before);
		ret = ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &events);
		expect_errno(ret, c->err, c->name);
		serror_state_get(vcpu_fd, false, &after);
		serror_state_expect_equal(&before, &after, c->name);
		/*
		 * The call without its malformed field succeeds: the error
		 * came from that field, not from a protected VM refusing
		 * KVM_SET_VCPU_EVENTS.
		 */
		events = c->valid;
		TEST_ASSERT(!ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &events),
			    "%s, made valid: %s", c->name, strerror(errno));
		close(vcpu_fd);
	}

	close(vm_fd);
	close(kvm_fd);
}

/* From another thread while the vCPU is in KVM_RUN */

struct race_case {
	const char *name;
	struct kvm_vcpu_events events;
};

static const struct race_case race_cases[] = {
	{ "exception.pad[0] = 1",
	  { .exception = { .serror_pending = 1, .pad = { 1 } } } },
	{ "serror_esr bit 25", { PENDING_ESR(BIT(25)) } },
	{ "SEA with serror_esr bit 25",
	  { .exception = { .ext_dabt_pending = 1, SERROR_WITH_ESR(BIT(25)) } } },
};

struct race_ioctl {
	struct kvm_vcpu *vcpu;
	struct kvm_vcpu_events bad;
	struct kvm_vcpu_events got;
	int set_ret, set_errno;
	int get_ret, get_errno;
	pid_t tid;
	bool done;
};

static void *race_ioctl_thread(void *arg)
{
	struct race_ioctl *r = arg;

	WRITE_ONCE(r->tid, gettid());
	r->set_ret = __vcpu_ioctl(r->vcpu, KVM_SET_VCPU_EVENTS, &r->bad);
	r->set_errno = errno;
	r->get_ret = __vcpu_ioctl(r->vcpu, KVM_GET_VCPU_EVENTS, &r->got);
	r->get_errno = errno;
	WRITE_ONCE(r->done, true);
	return NULL;
}

static void *race_vcpu_thread(void *arg)
{
	vcpu_run_expect(arg, UCALL_SYNC);
	return NULL;
}

/*
 * Whether thread @tid sleeps in ioctl(): /proc says which system call a
 * thread is in (its first field) and its state, 'D' on a mutex that
 * mutex_lock_killable() waits for.
 */
static bool thread_blocked_in_ioctl(pid_t tid)
{
	char path[64], buf[256], *state;
	long nr = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fscanf(f, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	if (nr != __NR_ioctl)
		return false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	buf[0] = '\0';
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	state = strrchr(buf, ')');
	return state && state[1] == ' ' && state[2] == 'D';
}

/*
 * The vCPU ioctls serialise on vcpu->mutex, which KVM_RUN holds while the
 * guest runs: the malformed call waits for KVM_RUN to return, then fails
 * with its errno and changes nothing. The guest spins, with its progress
 * visible in memory, until the host tells it to stop, which it does once
 * the other thread sleeps in its ioctl(), on the mutex.
 *
 * PC and PSTATE.NZCV move while the guest spins and exits, so of those the
 * guest's own check (it runs to GUEST_DONE, nothing taken) stands for them;
 * everything else is compared exactly.
 */
static void test_race(const void *arg)
{
	const struct race_case *c = arg;
	struct race_ioctl r = { .bad = c->events };
	pthread_t vcpu_thread, ioctl_thread;
	struct serror_vcpu_state before, after;
	struct timespec ts = { .tv_nsec = 1000000 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 *hva_spinning;
	int i;

	vm = vm_create_setup(&vcpu, RAN);
	r.vcpu = vcpu;
	spin = 1;
	sync_global_to_guest(vm, spin);
	hva_spinning = addr_gva2hva(vm, (gva_t)&spinning);

	state_get(vcpu, &before);
	pthread_create(&vcpu_thread, NULL, race_vcpu_thread, vcpu);
	while (!READ_ONCE(*hva_spinning))
		nanosleep(&ts, NULL);

	/* The guest runs: KVM_RUN holds vcpu->mutex until it is stopped. */
	pthread_create(&ioctl_thread, NULL, race_ioctl_thread, &r);
	for (i = 0; i < BLOCKED_WAIT_MS; i++) {
		pid_t tid = READ_ONCE(r.tid);

		if (READ_ONCE(r.done) || (tid && thread_blocked_in_ioctl(tid)))
			break;
		nanosleep(&ts, NULL);
	}
	TEST_ASSERT(!READ_ONCE(r.done),
		    "KVM_SET_VCPU_EVENTS completed while the vCPU was in KVM_RUN");
	TEST_ASSERT(i < BLOCKED_WAIT_MS,
		    "the other thread did not block in KVM_SET_VCPU_EVENTS within %d ms",
		    BLOCKED_WAIT_MS);

	stop = 1;
	sync_global_to_guest(vm, stop);
	pthread_join(vcpu_thread, NULL);
	pthread_join(ioctl_thread, NULL);

	errno = r.set_errno;
	expect_errno(r.set_ret, EINVAL, "KVM_SET_VCPU_EVENTS from another thread");
	errno = r.get_errno;
	expect_errno(r.get_ret, 0, "KVM_GET_VCPU_EVENTS from another thread");
	TEST_ASSERT(!memcmp(&r.got, &before.events, sizeof(r.got)),
		    "KVM_GET_VCPU_EVENTS from another thread: events changed");

	state_get(vcpu, &after);
	after.regs[SERROR_STATE_PC] = before.regs[SERROR_STATE_PC];
	after.regs[SERROR_STATE_PSTATE] &= ~PSR_NZCV;
	before.regs[SERROR_STATE_PSTATE] &= ~PSR_NZCV;
	serror_state_expect_equal(&before, &after, "KVM_SET_VCPU_EVENTS from another thread");

	guest_runs_clean(vm, vcpu);
	kvm_vm_free(vm);
}

int main(void)
{
	int i, kvm_fd, fd, err;

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_VCPU_EVENTS));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));
	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);

	ksft_set_plan(ARRAY_SIZE(cap_cases) + ARRAY_SIZE(events_cases) + 3 +
		      ARRAY_SIZE(before_init_cases) + ARRAY_SIZE(pvm_cases) +
		      ARRAY_SIZE(race_cases));

	for (i = 0; i < ARRAY_SIZE(cap_cases); i++)
		serror_run_case(test_cap, &cap_cases[i],
				"KVM_ENABLE_CAP(SERROR_TO_USER) %s: %s",
				cap_cases[i].name,
				cap_cases[i].err ? strerror(cap_cases[i].err) : "0");

	for (i = 0; i < ARRAY_SIZE(events_cases); i++) {
		err = events_errno(&events_cases[i]);
		serror_run_case(test_events, &events_cases[i],
				"KVM_SET_VCPU_EVENTS %s: %s%s, %s",
				events_cases[i].name, err ? strerror(err) : "0",
				err && !events_cases[i].err ? " (host without RAS)" : "",
				events_pend(&events_cases[i]) ?
				"SError pending, taken once" : "vCPU unchanged");
	}
	serror_run_case(test_no_cancel, NULL,
			"KVM_SET_VCPU_EVENTS with nothing pending: 0, the pending SError kept, taken once");
	serror_run_case(test_sea_and_serror, &(enum setup){ RAN },
			"KVM_SET_VCPU_EVENTS valid SEA and SError together: 0, SEA taken, SError pending");
	serror_run_case(test_sea_and_serror, &(enum setup){ RAS_HIDDEN },
			"KVM_SET_VCPU_EVENTS valid SEA and SError together, RAS hidden: 0, SEA taken, SError pending");

	for (i = 0; i < ARRAY_SIZE(before_init_cases); i++)
		serror_run_case(test_before_init, &before_init_cases[i],
				"before KVM_ARM_VCPU_INIT: %s: %s, vCPU as fresh",
				before_init_cases[i].name,
				before_init_cases[i].err ?
				strerror(before_init_cases[i].err) : "0");

	/* KVM refuses the type (EINVAL) unless the host runs pKVM. */
	kvm_fd = open_kvm_dev_path_or_exit();
	fd = pvm_create(kvm_fd);
	err = errno;
	if (fd >= 0)
		close(fd);
	close(kvm_fd);
	if (fd < 0)
		ksft_print_msg("Skipping the protected VM cases: no KVM_VM_TYPE_ARM_PROTECTED (host not in protected mode?): %s\n",
			       strerror(err));
	for (i = 0; i < ARRAY_SIZE(pvm_cases); i++) {
		if (fd < 0)
			ksft_test_result_skip("protected VM: %s\n",
					      pvm_cases[i].name);
		else
			serror_run_case(test_pvm, &pvm_cases[i],
					"protected VM: %s: %s", pvm_cases[i].name,
					pvm_cases[i].err ?
					strerror(pvm_cases[i].err) : "0");
	}

	for (i = 0; i < ARRAY_SIZE(race_cases); i++)
		serror_run_case(test_race, &race_cases[i],
				"KVM_SET_VCPU_EVENTS %s, from another thread during KVM_RUN: %s, vCPU unchanged, no hang",
				race_cases[i].name, strerror(EINVAL));

	ksft_finished();
}
