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
 *    the syndrome it chose (KVM_SET_VCPU_EVENTS), the guest takes it and its
 *    handler writes an MMIO doorbell.
 * The SErrors are real, from QEMU's error injector (arm64/error_injector.h):
 * the guest raises one after its MMIO write, taken while it runs. From that
 * write's exit to the SError's is reported apart, with the round trip, as
 * the SError cycle; where the guest cannot reach the device (pKVM) it
 * includes the exit by which the guest asks the host to arm it.
 *
 * A benchmark, not a test: it prints the figures and the ratio, and fails
 * only if the guest or KVM get something wrong.
 */
#include <stdlib.h>
#include <time.h>

#include "error_injector.h"
#include "kselftest.h"
#include "processor.h"
#include "serror.h"
#include "test_util.h"

#define DEFAULT_ROUNDS		2000
#define WARMUP_ROUNDS		100

#define MMIO_GPA		0x8000000ULL
#define MMIO_WRITE		0
#define MMIO_DOORBELL		1
/* What the guest raises, and what userspace hands to the guest. */
#define ISS_RAISED		SERROR_ISS_RAS(ESR_ELx_AET_UER)
#define ISS_CHOSEN		(SERROR_ISS_RAS(ESR_ELx_AET_UEU) | ESR_ELx_EA)

/* The guest's SError handler: count, remember, ring the doorbell. */
static void serror_handler(struct ex_regs *regs)
{
	guest_serror_record();
	writel(MMIO_DOORBELL, (void *)MMIO_GPA);
}

/* With SErrors unmasked, a pended one is taken as soon as the guest runs. */
static void guest_code(void)
{
	local_serror_enable();
	for (;;) {
		writel(MMIO_WRITE, (void *)MMIO_GPA);
		writel(MMIO_WRITE, (void *)MMIO_GPA);
		guest_raise_serror(ERRINJ_SERROR, ISS_RAISED);
		isb();
	}
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_to_ns(ts);
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

static void expect_mmio(struct kvm_vcpu *vcpu, u8 data)
{
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(vcpu->run->mmio.phys_addr, MMIO_GPA);
	TEST_ASSERT_EQ(vcpu->run->mmio.is_write, 1);
	TEST_ASSERT_EQ(vcpu->run->mmio.data[0], data);
}

int main(int argc, char *argv[])
{
	int rounds = DEFAULT_ROUNDS, opt, i, j;
	u64 before, between, after, mmio_exits = 0, serror_exits = 0;
	u64 esr_raised, esr_mask;
	double *tm, *ts, *tc, t0, t1, t2, t3;
	struct error_injector *inj;
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	bool host_has_ras;
	char why[256];

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
	inj = error_injector_open(why, sizeof(why));
	if (!inj)
		ksft_exit_skip("%s\n", why);
	/* Without FEAT_RAS every syndrome is implementation defined. */
	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	esr_raised = host_has_ras ? SERROR_ESR(ISS_RAISED) : KVM_DEFAULT_ESR;
	esr_mask = host_has_ras ? -1ULL : ESR_ELx_EC_MASK;
	ksft_set_plan(1);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, serror_handler);
	vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, KVM_ARM_SERROR_TO_USER_EXIT);
	virt_map(vm, MMIO_GPA, MMIO_GPA, 1);
	error_injector_map(inj, vm, 1);
	run = vcpu->run;

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
	vcpu_run(vcpu);
	expect_mmio(vcpu, MMIO_WRITE);
	for (i = 0; i < WARMUP_ROUNDS + rounds; i++) {
		/* MMIO round: from one write's exit to the next's. */
		before = vcpu_get_stat(vcpu, exits);
		t0 = now_ns();
		vcpu_run(vcpu);
		t1 = now_ns();
		expect_mmio(vcpu, MMIO_WRITE);
		between = vcpu_get_stat(vcpu, exits);

		/* The guest raises an SError, taken: KVM_EXIT_ARM_SERROR. */
		error_injector_vcpu_run(inj, vcpu);
		t2 = now_ns();
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_ARM_SERROR);
		TEST_ASSERT_EQ(run->arm_serror.esr, esr_raised);
		TEST_ASSERT_EQ(run->arm_serror.flags, 0);

		/* SError round: pend the chosen one, to the handler's doorbell. */
		serror_pend(vcpu, host_has_ras, ISS_CHOSEN);
		vcpu_run(vcpu);
		t3 = now_ns();
		expect_mmio(vcpu, MMIO_DOORBELL);
		after = vcpu_get_stat(vcpu, exits);

		/* Back from the handler to the first write of the next round. */
		vcpu_run(vcpu);
		expect_mmio(vcpu, MMIO_WRITE);

		mmio_exits += between - before;
		serror_exits += after - between;
		j = i - WARMUP_ROUNDS;
		if (j >= 0) {
			tm[j] = t1 - t0;
			ts[j] = t3 - t2;
			tc[j] = t3 - t1;
		}
	}

	sync_global_from_guest(vm, serror_count);
	sync_global_from_guest(vm, serror_esr);
	TEST_ASSERT_EQ(serror_count, WARMUP_ROUNDS + rounds);
	TEST_ASSERT_EQ(serror_esr & esr_mask, SERROR_ESR(ISS_CHOSEN) & esr_mask);

	t0 = median(tm, rounds);
	t1 = median(ts, rounds);
	ksft_print_msg("MMIO round trip: %.1f us (median of %d)\n",
		       t0 / 1000, rounds);
	ksft_print_msg("SError round trip: %.1f us (median of %d)\n",
		       t1 / 1000, rounds);
	ksft_print_msg("SError/MMIO round trip ratio: %.2f\n", t1 / t0);
	ksft_print_msg("SError cycle, from the MMIO exit before the guest raises it: %.1f us (%s)\n",
		       median(tc, rounds) / 1000,
		       inj->guest_reachable ? "the guest writes the device" :
					      "the host arms the device");
	ksft_print_msg("Exits per round: %.2f MMIO, %.2f SError cycle (KVM's exits stat)\n",
		       (double)mmio_exits / (WARMUP_ROUNDS + rounds),
		       (double)serror_exits / (WARMUP_ROUNDS + rounds));

	free(tm);
	free(ts);
	free(tc);
	kvm_vm_free(vm);
	ksft_test_result_pass("SError and MMIO round trips measured\n");
	ksft_finished();
}
