// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for QEMU's Arm error injector, see arm64/error_injector.h.
 */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error_injector.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define DT_ROOT		"/sys/firmware/devicetree/base"
#define COMPATIBLE	"qemu,arm-error-injector"

/* The device's address: the first (64-bit) cell pair of its reg property. */
static bool find_device(u64 *pa)
{
	char path[512], buf[64];
	struct dirent *de;
	bool found = false;
	DIR *dir;
	FILE *f;

	dir = opendir(DT_ROOT);
	if (!dir)
		return false;

	while (!found && (de = readdir(dir))) {
		if (strncmp(de->d_name, "error-injector@", 15))
			continue;

		snprintf(path, sizeof(path), DT_ROOT "/%s/compatible", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		found = fread(buf, 1, sizeof(buf), f) > strlen(COMPATIBLE) &&
			!strcmp(buf, COMPATIBLE);
		fclose(f);

		snprintf(path, sizeof(path), DT_ROOT "/%s/reg", de->d_name);
		f = fopen(path, "r");
		found = found && f && fread(pa, sizeof(*pa), 1, f) == 1;
		if (f)
			fclose(f);
	}
	closedir(dir);

	if (found)
		*pa = be64toh(*pa);
	return found;
}

/* Whether the guest writes to the device itself (error_injector_map()). */
static bool guest_reaches_device;

/*
 * What a guest's GUEST_SYNC carries first when it asks the host to raise an
 * SError for it: this string's address, which no value a test reports is.
 */
static const char raise_request[] = "raise an SError";

static void guest_read_id(void)
{
	GUEST_SYNC(READ_ONCE(*(u64 *)(ERRINJ_GPA + ERRINJ_ID)));
}

/* KVM_RUN fails with EINVAL where a guest cannot reach the device (pKVM). */
static bool guest_can_reach(struct error_injector *inj)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	bool reachable;

	vm = vm_create_with_one_vcpu(&vcpu, guest_read_id);
	vm_set_user_memory_region(vm, 1, 0, ERRINJ_GPA, getpagesize(),
				  (void *)inj->hva);
	virt_map(vm, ERRINJ_GPA, ERRINJ_GPA, 1);

	reachable = !_vcpu_run(vcpu);
	TEST_ASSERT(reachable || errno == EINVAL,
		    "KVM_RUN with the error injector mapped: %s", strerror(errno));
	if (reachable) {
		TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT_EQ(uc.args[1], ERRINJ_ID_VALUE);
	}

	kvm_vm_free(vm);
	return reachable;
}

void error_injector_map(struct error_injector *inj, struct kvm_vm *vm, u32 slot)
{
	if (inj->guest_reachable) {
		vm_set_user_memory_region(vm, slot, 0, ERRINJ_GPA, getpagesize(),
					  (void *)inj->hva);
		virt_map(vm, ERRINJ_GPA, ERRINJ_GPA, 1);
	}

	guest_reaches_device = inj->guest_reachable;
	sync_global_to_guest(vm, guest_reaches_device);
}

void error_injector_arm(struct error_injector *inj, u64 mode, u64 iss)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int cpu = sched_getcpu();

	pin_self_to_cpu(cpu);

	/* CPU is one register for all: arm the mode before another thread. */
	pthread_mutex_lock(&lock);
	WRITE_ONCE(*(u64 *)(inj->hva + ERRINJ_CPU), cpu);
	WRITE_ONCE(*(u64 *)(inj->hva + mode), iss);
	pthread_mutex_unlock(&lock);
}

void error_injector_vcpu_run(struct error_injector *inj, struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	if (vcpu->run->exit_reason != KVM_EXIT_MMIO ||
	    get_ucall(vcpu, &uc) != UCALL_SYNC ||
	    uc.args[0] != (u64)raise_request)
		return;

	error_injector_arm(inj, uc.args[1] == ERRINJ_SERROR ?
			   ERRINJ_SERROR_IN_GUEST : ERRINJ_SERROR_AT_GUEST_EXIT,
			   uc.args[2]);
	vcpu_run(vcpu);
}

void guest_raise_serror(u64 mode, u64 iss)
{
	if (READ_ONCE(guest_reaches_device))
		WRITE_ONCE(*(u64 *)(ERRINJ_GPA + mode), iss);
	else
		GUEST_SYNC3(raise_request, mode, iss);
}

struct error_injector *error_injector_open(char *why, size_t len)
{
	struct error_injector *inj;
	void *hva;
	u64 pa;
	int fd;

	if (!find_device(&pa)) {
		snprintf(why, len,
			 "no error injector in the device tree (QEMU -M virt,error-injector=on)");
		return NULL;
	}

	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		snprintf(why, len, "cannot open /dev/mem: %s", strerror(errno));
		return NULL;
	}
	hva = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, pa);
	close(fd);
	if (hva == MAP_FAILED) {
		snprintf(why, len, "cannot map the error injector from /dev/mem: %s",
			 strerror(errno));
		return NULL;
	}

	inj = calloc(1, sizeof(*inj));
	TEST_ASSERT(inj, "calloc");
	inj->pa = pa;
	inj->hva = hva;
	TEST_ASSERT_EQ(error_injector_read(inj, ERRINJ_ID), ERRINJ_ID_VALUE);
	/* Nothing a test before this one left armed fires in this one. */
	WRITE_ONCE(*(u64 *)(hva + ERRINJ_DISARM), 0);
	inj->guest_reachable = guest_can_reach(inj);

	return inj;
}
