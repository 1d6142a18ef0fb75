// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_storm - many guest SErrors on several vCPUs at once, and the SError
 * uAPI used from other threads while the vCPUs run.
 *
 * QEMU, and most machines, cannot raise a physical SError on demand: the
 * SErrors here come from KVM's test-only injector
 * (CONFIG_KVM_ARM64_SERROR_INJECT), which turns a vCPU's next IRQ exit into
 * the exit a real SError causes. What this exercises is KVM's side: the
 * classification, the stats, KVM_EXIT_ARM_SERROR and the reflection into the
 * guest, under load and concurrently. Only RAS hardware exercises the
 * physical exception, the ESB and the host's own RAS handling.
 *
 * Cases:
 *  - to user: the capability on, every injected SError comes out as one
 *    KVM_EXIT_ARM_SERROR, the stats agree, the guest sees none of them;
 *  - reflected: the capability off, KVM reflects every one of them into the
 *    guest, which counts them;
 *  - race: while the vCPUs run, one thread arms the injector on them, which
 *    races with KVM_RUN (the write kicks a running vCPU), and another calls
 *    KVM_SET_VCPU_EVENTS and KVM_GET_VCPU_EVENTS on them, which serialize
 *    with KVM_RUN on vcpu->mutex and so land between two runs. Checked: every
 *    KVM_EXIT_ARM_SERROR has an injected syndrome and is in the stats, none
 *    is reflected, there is at most one exit per injection, and each vCPU
 *    took at least one SError and at most one per KVM_SET_VCPU_EVENTS on it.
 *    Then each vCPU is run until it is quiet (a GUEST_SYNC round without an
 *    SError exit, with nothing pending), and one SError pended on it with
 *    KVM_SET_VCPU_EVENTS must be taken by the guest exactly once, leaving
 *    nothing pending. Meant to run on a kernel with lockdep and KASAN, which
 *    catch what a count cannot.
 *
 * -n sets the number of SErrors of the first two cases, over all vCPUs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "processor.h"
#include "serror.h"
#include "serror_inject.h"
#include "test_util.h"

#define NR_VCPUS		4
#define DEFAULT_NR_SERRORS	100000
#define RACE_ROUNDS		2000
/* GUEST_SYNC rounds a vCPU is given to become quiet after the race. */
#define DRAIN_ROUNDS		100

/* Taken: implementation defined, reported with IDS only. */
#define ISS_IMPDEF		(ESR_ELx_IDS | 0x5e5)
#define ESR_IMPDEF		KVM_DEFAULT_ESR
/* Pending at exit: a recoverable RAS error, reported as it is (no IL). */
#define ISS_UER			SERROR_ISS_RAS(ESR_ELx_AET_UER)
#define ESR_UER			(SERROR_EC | ISS_UER)
/* What the race case makes KVM_SET_VCPU_EVENTS deliver. */
#define ISS_SET			(SERROR_ISS_RAS(ESR_ELx_AET_UEO) | 0x200)

/* The guest's SError handler counts here, per vCPU. */
static u64 guest_serrors[NR_VCPUS];

static void serror_handler(struct ex_regs *regs)
{
	u32 id = guest_get_vcpuid();

	WRITE_ONCE(guest_serrors[id], READ_ONCE(guest_serrors[id]) + 1);
}

/* Report the SErrors taken so far, then let a pending one in. */
static void guest_code(void)
{
	u32 id = guest_get_vcpuid();

	for (;;) {
		GUEST_SYNC(READ_ONCE(guest_serrors[id]));
		local_serror_enable();
		isb();
		local_serror_disable();
	}
}

struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	int inject_fd;
	u64 nr;			/* SErrors to inject */
	u64 exits;		/* KVM_EXIT_ARM_SERROR seen */
	u64 syncs;		/* GUEST_SYNCs seen */
	u64 guest_count;	/* from the last GUEST_SYNC */
	bool ras;
};

static struct vcpu_thread threads[NR_VCPUS];
static bool host_has_ras;
static bool race_stop;

/*
 * Run once; count what came out. Returns true for a KVM_EXIT_ARM_SERROR,
 * whose syndrome and flags must be those of one of the two injected kinds.
 */
static bool run_once(struct vcpu_thread *t)
{
	struct kvm_run *run = t->vcpu->run;
	struct ucall uc;

	vcpu_run(t->vcpu);
	if (run->exit_reason == KVM_EXIT_ARM_SERROR) {
		if (run->arm_serror.flags & KVM_EXIT_ARM_SERROR_FLAG_PENDING) {
			TEST_ASSERT_EQ(run->arm_serror.esr, ESR_UER);
			TEST_ASSERT_EQ(run->arm_serror.flags,
				       KVM_EXIT_ARM_SERROR_FLAG_RAS |
				       KVM_EXIT_ARM_SERROR_FLAG_PENDING);
		} else {
			TEST_ASSERT_EQ(run->arm_serror.esr, ESR_IMPDEF);
			TEST_ASSERT_EQ(run->arm_serror.flags, 0);
		}
		t->exits++;
		return true;
	}

	TEST_ASSERT_KVM_EXIT_REASON(t->vcpu, KVM_EXIT_MMIO);
	switch (get_ucall(t->vcpu, &uc)) {
	case UCALL_SYNC:
		t->guest_count = uc.args[1];
		t->syncs++;
		return false;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("Unexpected ucall %lu", uc.cmd);
	}
	return false;
}

/*
 * Inject t->nr SErrors into the thread's own vCPU, one at a time, taken and
 * pending in turn (pending ones only with FEAT_RAS). Each one is armed
 * between two KVM_RUNs: the next entry raises an interrupt, so the vCPU
 * exits at once with it. With the capability on, each must come out as a
 * KVM_EXIT_ARM_SERROR; off, KVM reflects it and the guest counts it.
 */
static void *storm_thread(void *arg)
{
	struct vcpu_thread *t = arg;
	u32 id = t->vcpu->id;
	u64 i, done;

	for (i = 0; i < t->nr; i++) {
		bool pending = t->ras && (i & 1);

		serror_inject(t->inject_fd, id, pending ? ISS_UER : ISS_IMPDEF,
			      pending);
		/* Until the injection has been handled. */
		do {
			run_once(t);
			done = t->exits + t->guest_count;
		} while (done <= i);
		TEST_ASSERT_EQ(done, i + 1);
	}
	return NULL;
}

static struct kvm_vm *create_vm(bool to_user)
{
	struct kvm_vcpu *vcpus[NR_VCPUS];
	struct kvm_vm *vm;
	int i;

	vm = vm_create_with_vcpus(NR_VCPUS, guest_code, vcpus);
	vm_init_descriptor_tables(vm);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, serror_handler);
	if (to_user)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, 0);

	memset(threads, 0, sizeof(threads));
	for (i = 0; i < NR_VCPUS; i++) {
		vcpu_init_descriptor_tables(vcpus[i]);
		threads[i].vcpu = vcpus[i];
		threads[i].ras = host_has_ras;
		threads[i].inject_fd = serror_inject_open(vm);
	}
	return vm;
}

static void destroy_vm(struct kvm_vm *vm)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		close(threads[i].inject_fd);
	kvm_vm_free(vm);
}

static void start_threads(void *(*fn)(void *))
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		pthread_create(&threads[i].thread, NULL, fn, &threads[i]);
}

static void join_threads(void)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(threads[i].thread, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run the vCPU to its next GUEST_SYNC, through any SError exit. */
static void run_to_sync(struct vcpu_thread *t)
{
	u64 syncs = t->syncs;

	while (t->syncs == syncs)
		run_once(t);
}

/*
 * Run the vCPU until a GUEST_SYNC round passes without an SError exit or a
 * guest SError, with nothing pending after it: what the race left armed or
 * pending has come out.
 */
static void drain(struct vcpu_thread *t)
{
	struct kvm_vcpu_events events;
	u64 exits, count;
	int i;

	for (i = 0; i < DRAIN_ROUNDS; i++) {
		exits = t->exits;
		count = t->guest_count;
		run_to_sync(t);
		vcpu_events_get(t->vcpu, &events);
		if (t->exits == exits && t->guest_count == count &&
		    !events.exception.serror_pending)
			return;
	}
	TEST_FAIL("vCPU %u not quiet after %d GUEST_SYNC rounds",
		  t->vcpu->id, DRAIN_ROUNDS);
}

/* Nothing is armed: the guest still runs, and has taken @count SErrors. */
static void expect_guest_runs(struct vcpu_thread *t, u64 count)
{
	u64 exits = t->exits;

	run_to_sync(t);
	TEST_ASSERT_EQ(t->exits, exits);
	TEST_ASSERT_EQ(t->guest_count, count);
}

static void test_storm(u64 nr, bool to_user)
{
	const char *name = to_user ? "to user" : "reflected";
	u64 exit_user = 0, reflected = 0, ignored = 0, exits = 0, guest = 0;
	struct kvm_vm *vm = create_vm(to_user);
	double start, secs;
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		threads[i].nr = nr / NR_VCPUS + (i < nr % NR_VCPUS);

	start = now();
	start_threads(storm_thread);
	join_threads();
	secs = now() - start;

	for (i = 0; i < NR_VCPUS; i++) {
		struct vcpu_thread *t = &threads[i];

		expect_guest_runs(t, to_user ? 0 : t->nr);
		TEST_ASSERT_EQ(t->exits, to_user ? t->nr : 0);
		TEST_ASSERT_EQ(vcpu_get_stat(t->vcpu, serror_exit_user),
			       to_user ? t->nr : 0);
		TEST_ASSERT_EQ(vcpu_get_stat(t->vcpu, serror_reflected),
			       to_user ? 0 : t->nr);
		TEST_ASSERT_EQ(vcpu_get_stat(t->vcpu, serror_ignored), 0);
		exit_user += vcpu_get_stat(t->vcpu, serror_exit_user);
		reflected += vcpu_get_stat(t->vcpu, serror_reflected);
		ignored += vcpu_get_stat(t->vcpu, serror_ignored);
		exits += t->exits;
		guest += t->guest_count;
	}
	destroy_vm(vm);

	ksft_print_msg("%s: %lu injected on %d vCPUs\n", name, nr, NR_VCPUS);
	ksft_print_msg("%s: %lu exits to userspace, %lu taken by the guest\n",
		       name, exits, guest);
	ksft_print_msg("%s: stats exit_user %lu reflected %lu ignored %lu\n",
		       name, exit_user, reflected, ignored);
	ksft_print_msg("%s: %.2f s, %.0f SErrors handled per second\n", name,
		       secs, nr / secs);
	ksft_test_result_pass("storm, %s: %lu SErrors on %d vCPUs\n", name, nr,
			      NR_VCPUS);
}

/* The vCPU threads of the race: run, and count, until told to stop. */
static void *race_vcpu_thread(void *arg)
{
	struct vcpu_thread *t = arg;

	while (!READ_ONCE(race_stop))
		run_once(t);
	return NULL;
}

/* Arm the injector on the vCPUs, from a thread that runs none of them. */
static void *race_injector(void *arg)
{
	int fd = serror_inject_open(arg);
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		struct vcpu_thread *t = &threads[i % NR_VCPUS];
		bool pending = t->ras && (i & 1);

		serror_inject(fd, t->vcpu->id, pending ? ISS_UER : ISS_IMPDEF,
			      pending);
		usleep(100);
	}
	close(fd);
	return NULL;
}

static u64 race_sets[NR_VCPUS];

/* Pend an SError with KVM_SET_VCPU_EVENTS, with the RAS syndrome if any. */
static void pend_serror(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events events = {};

	events.exception.serror_pending = 1;
	if (host_has_ras) {
		events.exception.serror_has_esr = 1;
		events.exception.serror_esr = ISS_SET;
	}
	vcpu_events_set(vcpu, &events);
}

/*
 * Pend an SError with KVM_SET_VCPU_EVENTS, and read the events back, on
 * vCPUs other threads are running. These do not race with the guest: they
 * serialize with KVM_RUN on vcpu->mutex, and so run between two KVM_RUNs,
 * after whatever exit the injector caused.
 */
static void *race_events(void *arg)
{
	struct kvm_vcpu_events events;
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		int v = (i * 3 + 1) % NR_VCPUS;

		pend_serror(threads[v].vcpu);
		race_sets[v]++;
		vcpu_events_get(threads[(i + 2) % NR_VCPUS].vcpu, &events);
	}
	return NULL;
}

static void test_race(void)
{
	u64 exits = 0, taken = 0, sets = 0;
	pthread_t injector, setter;
	struct kvm_vm *vm;
	double start;
	int i;

	vm = create_vm(true);
	memset(race_sets, 0, sizeof(race_sets));
	race_stop = false;

	start = now();
	start_threads(race_vcpu_thread);
	pthread_create(&injector, NULL, race_injector, vm);
	pthread_create(&setter, NULL, race_events, NULL);
	pthread_join(injector, NULL);
	pthread_join(setter, NULL);
	WRITE_ONCE(race_stop, true);
	join_threads();

	for (i = 0; i < NR_VCPUS; i++) {
		struct vcpu_thread *t = &threads[i];
		struct kvm_vcpu_events events;
		u64 count, vcpu_exits;

		/* The last injection may still be armed, an SError pending. */
		drain(t);

		/* Every exit userspace saw is in the stats, and only those. */
		TEST_ASSERT_EQ(vcpu_get_stat(t->vcpu, serror_exit_user),
			       t->exits);
		TEST_ASSERT_EQ(vcpu_get_stat(t->vcpu, serror_reflected), 0);
		/* An SError pended while one is pending is one SError. */
		TEST_ASSERT(t->guest_count >= 1 && t->guest_count <= race_sets[i],
			    "vCPU %d took %lu SErrors for %lu KVM_SET_VCPU_EVENTS",
			    i, t->guest_count, race_sets[i]);
		exits += t->exits;
		taken += t->guest_count;
		sets += race_sets[i];

		/* The vCPU is quiet: one more SError is taken exactly once. */
		count = t->guest_count;
		vcpu_exits = t->exits;
		pend_serror(t->vcpu);
		run_to_sync(t);
		run_to_sync(t);
		TEST_ASSERT_EQ(t->guest_count, count + 1);
		TEST_ASSERT_EQ(t->exits, vcpu_exits);
		vcpu_events_get(t->vcpu, &events);
		TEST_ASSERT_EQ(events.exception.serror_pending, 0);
	}
	/* Arming again before the last injection fired replaces it. */
	TEST_ASSERT(exits >= 1 && exits <= RACE_ROUNDS,
		    "%lu SError exits for %d injections", exits, RACE_ROUNDS);
	destroy_vm(vm);

	ksft_print_msg("race: %.2f s, %d injections, %lu SError exits\n",
		       now() - start, RACE_ROUNDS, exits);
	ksft_print_msg("race: %lu KVM_SET_VCPU_EVENTS, %lu SErrors taken\n",
		       sets, taken);
	ksft_test_result_pass("race: injector vs. KVM_RUN, then one SError taken exactly once\n");
}

static void help(const char *name)
{
	printf("usage: %s [-n SErrors]\n", name);
	printf(" -n: SErrors per storm, over all vCPUs (default %d)\n",
	       DEFAULT_NR_SERRORS);
	exit(KSFT_SKIP);
}

int main(int argc, char *argv[])
{
	u64 nr = DEFAULT_NR_SERRORS;
	int opt, err;

	while ((opt = getopt(argc, argv, "hn:")) != -1) {
		switch (opt) {
		case 'n':
			nr = atoi_positive("SErrors", optarg);
			break;
		default:
			help(argv[0]);
		}
	}

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));
	err = serror_inject_probe();
	if (err)
		ksft_exit_skip("%s: %s\n", serror_inject_why(err), strerror(-err));
	/* Without FEAT_RAS every SError is taken as implementation defined. */
	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	ksft_set_plan(3);

	test_storm(nr, true);
	test_storm(nr, false);
	test_race();

	ksft_finished();
}
