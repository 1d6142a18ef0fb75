// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_to_user - Test KVM_CAP_ARM_SERROR_TO_USER
 *
 * What runs on any arm64 host: the capability's arguments, turning it on
 * and off while a vCPU runs, and the refusal for a protected VM. The exit
 * itself, KVM_EXIT_ARM_SERROR, needs a guest SError, which only hardware
 * raises: this test does not check it.
 */
#include <pthread.h>

#include "kselftest.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define TOGGLES			1000

static bool guest_started, guest_stop;

/* Spin in the guest, without an exit to userspace, until told to stop. */
static void guest_spin(void)
{
	WRITE_ONCE(guest_started, true);
	while (!READ_ONCE(guest_stop))
		cpu_relax();
	GUEST_DONE();
}

static void vm_enable_cap_expect_einval(struct kvm_vm *vm, struct kvm_enable_cap *cap)
{
	TEST_ASSERT(__vm_ioctl(vm, KVM_ENABLE_CAP, cap) == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP(args 0x%llx 0x%llx 0x%llx 0x%llx, flags 0x%x) should fail with EINVAL",
		    cap->args[0], cap->args[1], cap->args[2], cap->args[3],
		    cap->flags);
}

/*
 * KVM_CHECK_EXTENSION returns the flags args[0] accepts, the exit among
 * them; enabling takes each of them and 0, and refuses every other bit,
 * another argument and any flag. The accepted set is what the kernel says,
 * so that a later kernel with more flags passes.
 */
static void test_enable_cap(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_SERROR_TO_USER };
	u64 valid = vm_check_cap(vm, KVM_CAP_ARM_SERROR_TO_USER);
	int i;

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_ARM_SERROR_TO_USER), valid);
	TEST_ASSERT(valid & KVM_ARM_SERROR_TO_USER_EXIT,
		    "KVM_CHECK_EXTENSION returns 0x%lx, without the exit", valid);

	for (i = 0; i < 64; i++) {
		cap.args[0] = BIT_ULL(i);
		if (valid & cap.args[0])
			vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, cap.args[0]);
		else
			vm_enable_cap_expect_einval(vm, &cap);
	}
	vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, valid);
	vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, 0);

	cap.args[0] = KVM_ARM_SERROR_TO_USER_EXIT;
	for (i = 1; i < ARRAY_SIZE(cap.args); i++) {
		cap.args[i] = 1;
		vm_enable_cap_expect_einval(vm, &cap);
		cap.args[i] = 0;
	}
	cap.flags = 1;
	vm_enable_cap_expect_einval(vm, &cap);
	kvm_vm_free(vm);
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
	return NULL;
}

/*
 * The capability can be turned on and off at any time, also while a vCPU
 * runs: the vCPU is inside KVM_RUN, its guest spinning, during every
 * enable, and each succeeds.
 */
static void test_toggle_while_running(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	bool *started = addr_gva2hva(vm, (gva_t)&guest_started);
	bool *stop = addr_gva2hva(vm, (gva_t)&guest_stop);
	pthread_t thread;
	int i;

	TEST_ASSERT_EQ(pthread_create(&thread, NULL, vcpu_thread, vcpu), 0);
	while (!READ_ONCE(*started))
		sched_yield();
	for (i = 0; i < TOGGLES; i++)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER,
			      i & 1 ? 0 : KVM_ARM_SERROR_TO_USER_EXIT);
	WRITE_ONCE(*stop, true);
	TEST_ASSERT_EQ(pthread_join(thread, NULL), 0);
	kvm_vm_free(vm);
}

/*
 * A protected VM's state is not the host's to report: KVM_CHECK_EXTENSION
 * on it returns 0, and enabling fails. Returns false where KVM refuses the
 * type (no pKVM). Raw ioctls: the library refuses a protected VM's type.
 */
static bool test_protected(void)
{
	int kvm_fd = open_kvm_dev_path_or_exit();
	int vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, KVM_VM_TYPE_ARM_PROTECTED);
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ARM_SERROR_TO_USER,
		.args[0] = KVM_ARM_SERROR_TO_USER_EXIT,
	};

	close(kvm_fd);
	if (vm_fd < 0) {
		TEST_ASSERT(errno == EINVAL, "KVM_CREATE_VM(protected): %s",
			    strerror(errno));
		return false;
	}
	TEST_ASSERT_EQ(ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SERROR_TO_USER), 0);
	TEST_ASSERT(ioctl(vm_fd, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP on a protected VM should fail with EINVAL");
	close(vm_fd);
	return true;
}

int main(void)
{
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));

	ksft_print_header();
	ksft_set_plan(3);

	test_enable_cap();
	ksft_test_result_pass("arguments\n");
	test_toggle_while_running();
	ksft_test_result_pass("turned on and off while a vCPU runs\n");
	if (test_protected())
		ksft_test_result_pass("refused for a protected VM\n");
	else
		ksft_test_result_skip("protected VM: no KVM_VM_TYPE_ARM_PROTECTED\n");

	ksft_finished();
}
