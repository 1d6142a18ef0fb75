/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM's test-only guest SError injector (CONFIG_KVM_ARM64_SERROR_INJECT).
 *
 * QEMU, and most machines, cannot raise a physical SError on demand. The
 * injector turns a vCPU's next IRQ exit into the exit a real SError would
 * cause, taken while the guest ran or found pending at exit (FEAT_RAS only),
 * with the syndrome written, as root, to the VM's debugfs file:
 *
 *   echo "<vcpu_id> <iss hex> taken|pending" > \
 *	/sys/kernel/debug/kvm/<pid>-<vm fd>/serror_inject
 *
 * Syndromes the host would panic for are refused with EINVAL. An open fd
 * holds a reference on the VM: close it before kvm_vm_free().
 */
#ifndef SELFTEST_KVM_SERROR_INJECT_H
#define SELFTEST_KVM_SERROR_INJECT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kvm_util.h"
#include "test_util.h"

#define SERROR_INJECT_DIR	"/sys/kernel/debug/kvm"

/* Open @vm's injector for writing: the fd, or -errno. */
static inline int __serror_inject_open(struct kvm_vm *vm)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), SERROR_INJECT_DIR "/%d-%d/serror_inject",
		 getpid(), vm->fd);
	fd = open(path, O_WRONLY);
	return fd < 0 ? -errno : fd;
}

/* Open @vm's injector for writing, asserting success: the fd. */
static inline int serror_inject_open(struct kvm_vm *vm)
{
	int fd = __serror_inject_open(vm);

	TEST_ASSERT(fd >= 0, "open serror_inject: %s", strerror(-fd));
	return fd;
}

/* Arm an SError with syndrome @iss for vCPU @vcpu_id: 0, or -errno. */
static inline int __serror_inject(int fd, u32 vcpu_id, u64 iss, bool pending)
{
	char cmd[64];
	ssize_t ret;
	int len;

	len = snprintf(cmd, sizeof(cmd), "%u %lx %s\n", vcpu_id, iss,
		       pending ? "pending" : "taken");
	ret = write(fd, cmd, len);
	if (ret < 0)
		return -errno;
	return ret == len ? 0 : -EIO;
}

/* Arm an SError with syndrome @iss for vCPU @vcpu_id, asserting success. */
static inline void serror_inject(int fd, u32 vcpu_id, u64 iss, bool pending)
{
	int ret = __serror_inject(fd, vcpu_id, iss, pending);

	TEST_ASSERT(!ret, "Injecting \"%u %lx %s\": %s", vcpu_id, iss,
		    pending ? "pending" : "taken", strerror(-ret));
}

/*
 * Whether a VM of this process gets an injector: 0, -ENOENT if the kernel
 * lacks CONFIG_KVM_ARM64_SERROR_INJECT, another -errno (EACCES: not root,
 * ENODEV: no KVM debugfs directory, debugfs not mounted) if it cannot be used.
 */
static inline int serror_inject_probe(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	char dir[64];
	int ret;

	snprintf(dir, sizeof(dir), SERROR_INJECT_DIR "/%d-%d", getpid(), vm->fd);
	if (access(dir, X_OK))
		ret = errno == ENOENT ? -ENODEV : -errno;
	else
		ret = __serror_inject_open(vm);
	if (ret >= 0) {
		close(ret);
		ret = 0;
	}
	kvm_vm_free(vm);
	return ret;
}

/* Why the injector cannot be used, for a skip message, from the probe's @err. */
static inline const char *serror_inject_why(int err)
{
	return err == -ENOENT ? "needs CONFIG_KVM_ARM64_SERROR_INJECT" :
				"cannot open the SError injector (root and debugfs needed)";
}

#endif /* SELFTEST_KVM_SERROR_INJECT_H */
