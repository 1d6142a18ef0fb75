// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_round_trip - what a guest SError handled by userspace costs,
 * against the cheapest exit a VMM handles, an MMIO write.
 *
 * Both are measured in the same VM, in the same run, a round of each in
 * turn, from the moment KVM_RUN returns with the exit to the moment it
 * returns with the next:
 *  - MMIO: userspace completes the write, the guest goes on to its next one;
 *  - SError: userspace gets KVM_EXIT_ARM_SERROR, pends a virtual SError with
 *    its syndrome (KVM_SET_VCPU_EVENTS), the guest takes it and its handler
 *    writes an MMIO doorbell.
 * The SErrors come from KVM's test-only injector
 * (CONFIG_KVM_ARM64_SERROR_INJECT): arming it and the IRQ exit it rides on
 * happen before the KVM_EXIT_ARM_SERROR and are reported apart, as the
 * whole cycle. On RAS hardware a real SError takes their place.
 *
 * A benchmark, not a test: it prints the figures and the ratio, and fails
 * only if the guest or KVM get something wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "processor.h"
#include "serror.h"
#include "serror_inject.h"
#include "test_util.h"

#define DEFAULT_ROUNDS		2000
#define WARMUP_ROUNDS		100

#define MMIO_GPA		0x8000000ULL
/* What the injector raises, and what userspace hands to the guest. */
#define ISS_INJECTED		SERROR_ISS_RAS(ESR_ELx_AET_UER)
#define ISS_CHOSEN		(SERROR_ISS_RAS(ESR_ELx_AET_UEU) | 0x100)

static u64 serror_count;
static u64 serror_esr;

/* The guest's SError handler: count, remember, ring the doorbell. */
static void serror_handler(struct ex_regs *regs)
{
	WRITE_ONCE(serror_esr, read_sysreg(esr_el1));
	WRITE_ONCE(serror_count, READ_ONCE(serror_count) + 1);
	writel(1, (void *)MMIO_GPA);
}

static void guest_code(void)
{
	local_serror_enable();
	for (;;)
		writel(0, (void *)MMIO_GPA);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void run_expect(struct kvm_vcpu *vcpu, u32 reason)
{
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, reason);
	if (reason == KVM_EXIT_MMIO)
		TEST_ASSERT_EQ(vcpu->run->mmio.phys_addr, MMIO_GPA);
}

/* One MMIO round: ns from one MMIO exit to the next. */
static double mmio_round(struct kvm_vcpu *vcpu)
{
	double start = now_ns();

	run_expect(vcpu, KVM_EXIT_MMIO);
	return now_ns() - start;
}

/*
 * One SError round: arm the injector, run to KVM_EXIT_ARM_SERROR, pend the
 * chosen syndrome and run to the guest handler's doorbell exit. Returns ns
 * from KVM_EXIT_ARM_SERROR to the doorbell; the whole cycle, injector
 * included, in @cycle.
 */
static double serror_round(struct kvm_vcpu *vcpu, int fd, double *cycle)
{
	struct kvm_vcpu_events events = {
		.exception.serror_pending = 1,
		.exception.serror_has_esr = 1,
		.exception.serror_esr = ISS_CHOSEN,
	};
	struct kvm_run *run = vcpu->run;
	double start, exited, end;

	start = now_ns();
	serror_inject(fd, vcpu->id, ISS_INJECTED, false);
	/* The guest may reach its next MMIO write before the IRQ exit. */
	do {
		vcpu_run(vcpu);
	} while (run->exit_reason == KVM_EXIT_MMIO);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_ARM_SERROR);
	TEST_ASSERT_EQ(run->arm_serror.esr, SERROR_ESR(ISS_INJECTED));

	exited = now_ns();
	vcpu_events_set(vcpu, &events);
	run_expect(vcpu, KVM_EXIT_MMIO);
	end = now_ns();
	TEST_ASSERT_EQ(run->mmio.data[0], 1);

	*cycle = end - start;
	return end - exited;
}

int main(int argc, char *argv[])
{
	int rounds = DEFAULT_ROUNDS, fd, opt, err, i, j;
	u64 before, between, after, mmio_exits = 0, serror_exits = 0;
	double *tm, *ts, *tc, cycle, mmio, trip;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	while ((opt = getopt(argc, argv, "hn:")) != -1) {
		switch (opt) {
		case 'n':
			rounds = atoi_positive("Rounds", optarg);
			break;
		default:
			printf("usage: %s [-n rounds (default %d)]\n", argv[0],
			       DEFAULT_ROUNDS);
			exit(KSFT_SKIP);
		}
	}

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR));
	err = serror_inject_probe();
	if (err)
		ksft_exit_skip("%s: %s\n", serror_inject_why(err), strerror(-err));
	ksft_set_plan(1);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, serror_handler);
	vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, 0);
	virt_map(vm, MMIO_GPA, MMIO_GPA, 1);
	fd = serror_inject_open(vm);

	tm = calloc(rounds, sizeof(*tm));
	ts = calloc(rounds, sizeof(*ts));
	tc = calloc(rounds, sizeof(*tc));
	TEST_ASSERT(tm && ts && tc, "calloc");

	/*
	 * The two kinds of round alternate, so that both see the same
	 * conditions: under TCG the cost of an exit drifts by a factor of two
	 * from one run to the next, and measured one block after the other
	 * the ratio was anywhere from 1.1 to 2.
	 */
	run_expect(vcpu, KVM_EXIT_MMIO);
	for (i = 0; i < WARMUP_ROUNDS + rounds; i++) {
		before = vcpu_get_stat(vcpu, exits);
		mmio = mmio_round(vcpu);
		between = vcpu_get_stat(vcpu, exits);
		trip = serror_round(vcpu, fd, &cycle);
		after = vcpu_get_stat(vcpu, exits);

		mmio_exits += between - before;
		serror_exits += after - between;

		j = i - WARMUP_ROUNDS;
		if (j >= 0) {
			tm[j] = mmio;
			ts[j] = trip;
			tc[j] = cycle;
		}
	}

	sync_global_from_guest(vm, serror_count);
	sync_global_from_guest(vm, serror_esr);
	TEST_ASSERT_EQ(serror_count, WARMUP_ROUNDS + rounds);
	TEST_ASSERT_EQ(serror_esr, SERROR_ESR(ISS_CHOSEN));

	mmio = median(tm, rounds);
	trip = median(ts, rounds);
	ksft_print_msg("MMIO round trip: %.1f us (median of %d)\n",
		       mmio / 1000, rounds);
	ksft_print_msg("SError round trip: %.1f us (median of %d)\n",
		       trip / 1000, rounds);
	ksft_print_msg("SError/MMIO round trip ratio: %.2f\n", trip / mmio);
	ksft_print_msg("Injected SError cycle, injector included: %.1f us\n",
		       median(tc, rounds) / 1000);
	ksft_print_msg("Exits: %.2f per MMIO round, %.2f per SError cycle\n",
		       (double)mmio_exits / (WARMUP_ROUNDS + rounds),
		       (double)serror_exits / (WARMUP_ROUNDS + rounds));

	free(tm);
	free(ts);
	free(tc);
	close(fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("SError and MMIO round trips measured\n");
	ksft_finished();
}
