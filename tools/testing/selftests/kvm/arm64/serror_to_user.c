// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_to_user - Test KVM_CAP_ARM_SERROR_TO_USER
 *
 * What runs on any arm64 host: the capability's arguments, turning it on
 * and off while a vCPU runs, the refusal for a protected VM, and the
 * answer to a KVM_EXIT_ARM_SERROR, the virtual SError a VMM pends with
 * KVM_SET_VCPU_EVENTS, which the guest takes exactly once and which never
 * comes back to userspace as an exit. The exit itself needs a guest SError,
 * which only hardware raises: a host with a way to inject errors into a
 * running guest checks it on top of this.
 */
#include <pthread.h>

#include "kselftest.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define SERROR_ESR(iss)		(FIELD_PREP(ESR_ELx_EC_MASK, ESR_ELx_EC_SERROR) | \
				 ESR_ELx_IL | (iss))
#define UER_ISS			(ESR_ELx_FSC_SERROR | ESR_ELx_AET_UER)
#define TOGGLES			1000

static u64 guest_serrors, guest_serror_esr;
static bool guest_stop;

static void guest_serror_handler(struct ex_regs *regs)
{
	guest_serrors++;
	guest_serror_esr = read_sysreg(esr_el1);
}

/* Take what is pending (ISR_EL1.A), then report it. */
static void guest_take_serror(void)
{
	local_serror_enable();
	isb();
	local_serror_disable();
	GUEST_SYNC(guest_serrors);
	GUEST_DONE();
}

/* Exit to userspace until told to stop. */
static void guest_loop(void)
{
	while (!READ_ONCE(guest_stop))
		GUEST_SYNC(0);
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

static void *toggle_cap(void *arg)
{
	struct kvm_vm *vm = arg;
	int i;

	for (i = 0; i < TOGGLES; i++)
		vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER,
			      i & 1 ? 0 : KVM_ARM_SERROR_TO_USER_EXIT);
	return NULL;
}

/*
 * The capability can be turned on and off at any time, also while a vCPU
 * runs: every enable succeeds, and the vCPU only sees its own exits.
 */
static void test_toggle_while_running(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_loop);
	pthread_t thread;
	struct ucall uc;
	int exits = 0;

	pthread_create(&thread, NULL, toggle_cap, vm);
	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (++exits == TOGGLES) {
				pthread_join(thread, NULL);
				guest_stop = true;
				sync_global_to_guest(vm, guest_stop);
			}
			continue;
		case UCALL_DONE:
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("Unexpected exit %s",
				  exit_reason_str(vcpu->run->exit_reason));
		}
		break;
	}
	kvm_vm_free(vm);
}

/*
 * A protected VM's state is not the host's to report: KVM_CHECK_EXTENSION
 * on it returns 0, and enabling fails. Returns false without pKVM.
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
	if (vm_fd < 0)
		return false;
	TEST_ASSERT_EQ(ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_SERROR_TO_USER), 0);
	TEST_ASSERT(ioctl(vm_fd, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
		    "KVM_ENABLE_CAP on a protected VM should fail with EINVAL");
	close(vm_fd);
	return true;
}

/*
 * The answer to a KVM_EXIT_ARM_SERROR: a virtual SError userspace pends,
 * with a syndrome where the host can set one. The guest takes exactly that
 * one, and it never comes back as KVM_EXIT_ARM_SERROR: the exit is for
 * SErrors the hardware raised.
 */
static void test_answer(void)
{
	bool has_esr = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);
	struct kvm_vcpu_events events = {};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_take_serror);
	struct ucall uc;

	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_exception_handler(vm, VECTOR_ERROR_CURRENT, guest_serror_handler);
	vm_enable_cap(vm, KVM_CAP_ARM_SERROR_TO_USER, KVM_ARM_SERROR_TO_USER_EXIT);

	events.exception.serror_pending = 1;
	events.exception.serror_has_esr = has_esr;
	events.exception.serror_esr = has_esr ? UER_ISS : 0;
	vcpu_events_set(vcpu, &events);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], 1);
	sync_global_from_guest(vm, guest_serror_esr);
	if (has_esr)
		TEST_ASSERT_EQ(guest_serror_esr, SERROR_ESR(UER_ISS));
	else
		TEST_ASSERT_EQ(ESR_ELx_EC(guest_serror_esr), ESR_ELx_EC_SERROR);

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_DONE);
	vcpu_events_get(vcpu, &events);
	TEST_ASSERT(!events.exception.serror_pending, "an SError still pending");
	kvm_vm_free(vm);
}

int main(void)
{
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SERROR_TO_USER));

	ksft_print_header();
	ksft_set_plan(4);

	test_enable_cap();
	ksft_test_result_pass("arguments\n");
	test_toggle_while_running();
	ksft_test_result_pass("turned on and off while a vCPU runs\n");
	test_answer();
	ksft_test_result_pass("a pended SError is taken once, and not reported\n");
	if (test_protected())
		ksft_test_result_pass("refused for a protected VM\n");
	else
		ksft_test_result_skip("protected VM: no KVM_VM_TYPE_ARM_PROTECTED\n");

	ksft_finished();
}
