// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_storm - many real guest SErrors on several vCPUs at once, and the
 * SError uAPI used from another thread while the vCPUs take them.
 *
 * The guests raise the SErrors with QEMU's error injector (error_injector.h),
 * taken while they run and pending at their next exit in turn. Where a guest
 * cannot reach the device (pKVM), the host arms it for every SError, for the
 * vCPU's PE, and the device keeps one SError per PE: there each vCPU thread
 * is pinned to a host CPU of its own.
 *
 *  - to user: the capability on, every SError is one KVM_EXIT_ARM_SERROR
 *    with its syndrome, and the guest takes none;
 *  - reflected: the capability off, KVM reflects every one into the guest,
 *    whose handler counts them;
 *  - race: the capability on, while the vCPUs raise SErrors another thread
 *    pends SErrors on them with KVM_SET_VCPU_EVENTS and reads their events:
 *    every SError raised is still one exit, the guest takes at least one and
 *    at most one per KVM_SET_VCPU_EVENTS, and once each vCPU is quiet, one
 *    more SError pended on it is taken exactly once.
 * The device's count of the SErrors it raised must match. Meant also for a
 * kernel with lockdep and KASAN, which catch what a count cannot.
 *
 * -n sets the number of SErrors of each storm, over all vCPUs.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "error_injector.h"
#include "kselftest.h"
#include "processor.h"
#include "serror.h"
#include "test_util.h"
#include "ucall.h"

/* vCPUs where the guests reach the device; else one per host CPU, at most. */
#define NR_VCPUS		4
#define DEFAULT_NR_SERRORS	100000
#define RACE_ROUNDS		400
/* Reports a vCPU is given to become quiet after the race. */
#define DRAIN_ROUNDS		100

/* Taken: implementation defined, reported with IDS only. */
#define ISS_IMPDEF		(ESR_ELx_IDS | 0x5e5)
/* Pending at exit: recoverable, reported as it is where the host has RAS. */
#define ISS_UER			SERROR_ISS_RAS(ESR_ELx_AET_UER)
/* What the race makes KVM_SET_VCPU_EVENTS pend. */
#define ISS_SET			(SERROR_ISS_RAS(ESR_ELx_AET_UEO) | ESR_ELx_EA)
static struct error_injector *inj;
static bool host_has_ras;

/* Guest state: SErrors taken, per vCPU; whether to stop raising them. */
static u64 guest_taken[NR_VCPUS];
static u64 guest_stop;

static void serror_handler(struct ex_regs *regs)
{
	u32 id = guest_get_vcpuid();

	WRITE_ONCE(guest_taken[id], READ_ONCE(guest_taken[id]) + 1);
}

/*
 * Raise @nr SErrors, or until told to stop: the first taken, the second
 * pending at the next exit, a report's, and so on. Report after each how
 * many were taken and raised, then let in a reflected one.
 */
static void guest_code(u64 nr)
{
	u32 id = guest_get_vcpuid();
	u64 raised = 0;

	for (;;) {
		if (raised < nr && !READ_ONCE(guest_stop)) {
			if (raised++ & 1) {
				guest_raise_serror(ERRINJ_SERROR_AT_ENTRY, ISS_UER);
			} else {
				guest_raise_serror(ERRINJ_SERROR, ISS_IMPDEF);
				isb();
			}
		}
		GUEST_SYNC2(READ_ONCE(guest_taken[id]), raised);
		guest_serror_window();
	}
}

enum phase { TO_USER, REFLECTED, RACE };

struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	int cpu;		/* the host CPU it is pinned to, or -1 */
	u64 nr;			/* SErrors to raise */
	u64 exits;		/* KVM_EXIT_ARM_SERROR seen */
	u64 syncs;		/* reports seen */
	u64 taken, raised;	/* from the last report */
	u64 sets;		/* KVM_SET_VCPU_EVENTS on it, in the race */
};

static struct vcpu_thread threads[NR_VCPUS];
static int nr_threads;
static enum phase phase;
static bool race_stop;

/*
 * Run once and account for the exit. The SError behind an exit is the one
 * raised after the last report: taken if even, pending if odd, each with
 * its own syndrome, which the exit must report. The capability on, every SError has exited
 * by the next report; off, it is pending in the guest until its window.
 */
static void run_once(struct vcpu_thread *t)
{
	struct kvm_run *run = t->vcpu->run;
	bool pending = t->raised & 1;
	struct ucall uc;

	error_injector_vcpu_run(inj, t->vcpu);

	if (run->exit_reason == KVM_EXIT_ARM_SERROR) {
		TEST_ASSERT(phase != REFLECTED, "KVM_EXIT_ARM_SERROR without the capability");
		/* Taken or found pending, an exit says the same: no flag. */
		TEST_ASSERT_EQ(run->arm_serror.flags, 0);
		TEST_ASSERT_EQ(run->arm_serror.esr, pending && host_has_ras ?
			       SERROR_ESR(ISS_UER) : KVM_DEFAULT_ESR);
		t->exits++;
		return;
	}

	switch (get_ucall(t->vcpu, &uc)) {
	case UCALL_SYNC:
		t->taken = uc.args[0];
		t->raised = uc.args[1];
		t->syncs++;
		if (phase == REFLECTED)
			TEST_ASSERT(t->taken + 1 >= t->raised && t->taken <= t->raised,
				    "%lu SErrors taken for %lu raised", t->taken, t->raised);
		else
			TEST_ASSERT_EQ(t->exits, t->raised);
		if (phase == TO_USER)
			TEST_ASSERT_EQ(t->taken, 0);
		return;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("Unexpected exit %s, ucall %lu",
			  exit_reason_str(run->exit_reason), uc.cmd);
	}
}

/* Run the vCPU to its next report, through any SError exit. */
static void run_to_sync(struct vcpu_thread *t)
{
	u64 syncs = t->syncs;

	while (t->syncs == syncs)
		run_once(t);
}

/* Run the vCPU until it has raised its SErrors, or the race is over. */
static void *vcpu_thread(void *arg)
{
	struct vcpu_thread *t = arg;

	if (t->cpu >= 0)
		pin_self_to_cpu(t->cpu);
	while (phase == RACE ? !READ_ONCE(race_stop) : t->raised < t->nr)
		run_once(t);
	return NULL;
}

/*
 * Pend SErrors with KVM_SET_VCPU_EVENTS, and read the events of another
 * vCPU, on vCPUs the vCPU threads are running: these serialize with KVM_RUN
 * on vcpu->mutex, and so land between two KVM_RUNs. Then stop the race.
 */
static void race_events(struct kvm_vm *vm)
{
	struct kvm_vcpu_events events;
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		struct vcpu_thread *t = &threads[(i * 3 + 1) % nr_threads];

		serror_pend(t->vcpu, host_has_ras, ISS_SET);
		t->sets++;
		vcpu_events_get(threads[(i + 2) % nr_threads].vcpu, &events);
		/* Let the guests run, and take some of these. */
		sched_yield();
	}
	WRITE_ONCE(*(u64 *)addr_gva2hva(vm, (gva_t)&guest_stop), 1);
	WRITE_ONCE(race_stop, true);
}

/*
 * Where the guests reach the device, NR_VCPUS vCPUs; else one per host CPU
 * the test may run on, each pinned to its own.
 */
static struct kvm_vm *create_vm(u64 nr, bool to_user)
{
	struct kvm_vcpu *vcpus[NR_VCPUS];
	struct kvm_vm *vm;
	cpu_set_t set;
	int cpu, i;

	memset(threads, 0, sizeof(threads));
	nr_threads = 0;
	if (inj->guest_reachable) {
		for (; nr_threads < NR_VCPUS; nr_threads++)
			threads[nr_threads].cpu = -1;
	} else {
		kvm_sched_getaffinity(0, sizeof(set), &set);
		for (cpu = 0; cpu < CPU_SETSIZE && nr_threads < NR_VCPUS; cpu++)
			if (CPU_ISSET(cpu, &set))
				threads[nr_threads++].cpu = cpu;
	}

	vm = vm_create_with_vcpus(nr_threads, guest_code, vcpus);
	vm_init_descriptor_tables(vm);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, serror_handler);
	error_injector_map(inj, vm, 1);
	if (to_user)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER,
			      KVM_ARM_SERROR_TO_USER_EXIT);

	for (i = 0; i < nr_threads; i++) {
		vcpu_init_descriptor_tables(vcpus[i]);
		threads[i].vcpu = vcpus[i];
		threads[i].nr = nr / nr_threads + (i < nr % nr_threads);
		vcpu_args_set(vcpus[i], 1, threads[i].nr);
	}
	return vm;
}

/* Run the vCPU threads to their end, the race alongside them. */
static void run_vcpu_threads(struct kvm_vm *vm)
{
	int i;

	for (i = 0; i < nr_threads; i++)
		pthread_create(&threads[i].thread, NULL, vcpu_thread, &threads[i]);
	if (phase == RACE)
		race_events(vm);
	for (i = 0; i < nr_threads; i++)
		pthread_join(threads[i].thread, NULL);
}

static void test_storm(u64 nr, bool to_user)
{
	const char *name = to_user ? "to user" : "reflected";
	u64 count, exits = 0, taken = 0;
	struct timespec start;
	struct kvm_vm *vm;
	double secs;
	int i;

	phase = to_user ? TO_USER : REFLECTED;
	vm = create_vm(nr, to_user);
	count = error_injector_read(inj, ERRINJ_COUNT);

	clock_gettime(CLOCK_MONOTONIC, &start);
	run_vcpu_threads(vm);
	secs = timespec_to_ns(timespec_elapsed(start)) / 1e9;

	for (i = 0; i < nr_threads; i++) {
		struct vcpu_thread *t = &threads[i];

		/* Nothing more comes: the guest lets in the last reflected one. */
		run_to_sync(t);
		TEST_ASSERT_EQ(t->exits, to_user ? t->nr : 0);
		TEST_ASSERT_EQ(t->taken, to_user ? 0 : t->nr);
		exits += t->exits;
		taken += t->taken;
	}
	/* None raised is ignored (CE, UEO): the device's count is ours. */
	count = error_injector_read(inj, ERRINJ_COUNT) - count;
	TEST_ASSERT_EQ(count, to_user ? exits : taken);
	kvm_vm_free(vm);

	ksft_print_msg("%s: %lu SErrors on %d vCPUs\n", name, nr, nr_threads);
	ksft_print_msg("%s: %lu exits to userspace, %lu taken by the guest, device count %lu\n",
		       name, exits, taken, count);
	ksft_print_msg("%s: %.2f s, %.0f SErrors handled per second\n", name,
		       secs, nr / secs);
	ksft_test_result_pass("storm, %s: %lu SErrors on %d vCPUs\n", name, nr,
			      nr_threads);
}

static void test_race(void)
{
	u64 count, exits = 0, taken = 0, sets = 0;
	struct kvm_vcpu_events events;
	struct timespec start;
	struct kvm_vm *vm;
	double secs;
	int i, j;

	phase = RACE;
	vm = create_vm(-1ULL, true);
	count = error_injector_read(inj, ERRINJ_COUNT);
	race_stop = false;

	clock_gettime(CLOCK_MONOTONIC, &start);
	run_vcpu_threads(vm);
	secs = timespec_to_ns(timespec_elapsed(start)) / 1e9;

	for (i = 0; i < nr_threads; i++) {
		struct vcpu_thread *t = &threads[i];
		u64 vcpu_taken, vcpu_exits;

		/*
		 * The guest raises no more, but one may still be pending: run
		 * until a report passes without an SError exit or a guest
		 * SError, with nothing pending after it.
		 */
		for (j = 0; ; j++) {
			TEST_ASSERT(j < DRAIN_ROUNDS, "vCPU %d not quiet", i);
			vcpu_taken = t->taken;
			vcpu_exits = t->exits;
			run_to_sync(t);
			vcpu_events_get(t->vcpu, &events);
			if (t->exits == vcpu_exits && t->taken == vcpu_taken &&
			    !events.exception.serror_pending)
				break;
		}
		TEST_ASSERT_EQ(t->exits, t->raised);
		/* One pended while one is pending is one SError. */
		TEST_ASSERT(t->taken >= !!t->sets && t->taken <= t->sets,
			    "vCPU %d took %lu SErrors for %lu KVM_SET_VCPU_EVENTS",
			    i, t->taken, t->sets);
		exits += t->exits;
		taken += t->taken;
		sets += t->sets;

		/* Quiet: one more SError is taken exactly once. */
		serror_pend(t->vcpu, host_has_ras, ISS_SET);
		run_to_sync(t);
		run_to_sync(t);
		TEST_ASSERT_EQ(t->taken, vcpu_taken + 1);
		TEST_ASSERT_EQ(t->exits, vcpu_exits);
		vcpu_events_get(t->vcpu, &events);
		TEST_ASSERT_EQ(events.exception.serror_pending, 0);
	}
	count = error_injector_read(inj, ERRINJ_COUNT) - count;
	TEST_ASSERT_EQ(count, exits);
	kvm_vm_free(vm);

	ksft_print_msg("race: %.2f s, %lu SErrors raised and exited on %d vCPUs\n",
		       secs, exits, nr_threads);
	ksft_print_msg("race: %lu KVM_SET_VCPU_EVENTS, %lu SErrors taken\n",
		       sets, taken);
	ksft_test_result_pass("race: KVM_SET_VCPU_EVENTS vs. KVM_RUN with SErrors, then one SError taken exactly once\n");
}

int main(int argc, char *argv[])
{
	u64 nr = DEFAULT_NR_SERRORS;
	char why[256];
	int opt;

	while ((opt = getopt(argc, argv, "hn:")) != -1) {
		switch (opt) {
		case 'n':
			nr = atoi_positive("SErrors", optarg);
			break;
		default:
			printf("usage: %s [-n SErrors per storm (default %d)]\n",
			       argv[0], DEFAULT_NR_SERRORS);
			exit(KSFT_SKIP);
		}
	}

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));
	inj = error_injector_open(why, sizeof(why));
	if (!inj)
		ksft_exit_skip("%s\n", why);
	ksft_print_msg("SErrors raised by %s\n", inj->guest_reachable ?
		       "the guests, writing the device" :
		       "the device, armed by the host for a vCPU's PE");
	/* Without FEAT_RAS every SError is implementation defined. */
	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	ksft_set_plan(3);

	test_storm(nr, true);
	test_storm(nr, false);
	test_race();

	ksft_finished();
}
