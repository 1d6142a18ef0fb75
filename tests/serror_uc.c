// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_uc - an uncontainable guest SError panics the host.
 *
 * A RAS SError of severity UC (uncontainable), or one whose DFSC is not an
 * asynchronous SError's (uncategorized), means the host cannot know what
 * the error corrupted: KVM's classification panics the host, with or
 * without KVM_CAP_ARM_SERROR_TO_USER, and none reaches userspace. This
 * test raises one from the guest with QEMU's error injector, with the
 * capability on: the testbed expects the host to panic, printing the
 * syndrome the CPU reported (suites.py, Test.crashes), and this process
 * never to see KVM_RUN return.
 *
 *   serror_uc        AET = UC
 *   serror_uc -u     ISS = 0: a RAS syndrome with no DFSC, uncategorized
 */
#include <unistd.h>

#include "error_injector.h"
#include "kselftest.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

static u64 guest_iss;

static void guest_code(void)
{
	guest_raise_serror(ERRINJ_SERROR, READ_ONCE(guest_iss));
	GUEST_DONE();
}

int main(int argc, char *argv[])
{
	u64 iss = ESR_ELx_FSC_SERROR | ESR_ELx_AET_UC;
	struct error_injector *inj;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char why[256];
	int opt;

	while ((opt = getopt(argc, argv, "u")) != -1)
		if (opt == 'u')
			iss = 0;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR));
	inj = error_injector_open(why, sizeof(why));
	if (!inj)
		ksft_exit_skip("%s\n", why);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	error_injector_map(inj, vm, 1);
	if (kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER))
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER,
			      KVM_ARM_SERROR_TO_USER_EXIT);
	guest_iss = iss;
	sync_global_to_guest(vm, guest_iss);

	pr_info("Raising an SError with ISS 0x%lx in the guest\n", iss);
	error_injector_vcpu_run(inj, vcpu);
	TEST_FAIL("The host survived an SError with ISS 0x%lx: KVM_RUN returned (exit %s)",
		  iss, exit_reason_str(vcpu->run->exit_reason));
}
