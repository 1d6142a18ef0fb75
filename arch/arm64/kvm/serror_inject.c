// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only injection of guest SErrors (CONFIG_KVM_ARM64_SERROR_INJECT).
 *
 * QEMU, and most machines, cannot raise a physical SError on demand. This
 * lets a privileged test arm a syndrome for one vCPU; the vCPU's next exit
 * then hands it to KVM's guest SError handling as if the guest had caused
 * it, either taken to EL2 while the guest ran (as ESR_EL2 reports it) or
 * found pending at exit by the ESB (as DISR_EL1 reports it). From there the
 * code a real SError runs is used: classification, tracepoint, stats, the
 * exit to userspace or the reflection into the guest. The exit that carried
 * the injection is then handled as usual.
 *
 * What this cannot exercise: the hardware side (the SError exception taken
 * to EL2, the ESB in the world switch, DISR_EL1 itself), the host's own RAS
 * handling, and the host panic for an uncontainable error, which is why such
 * syndromes are refused.
 *
 * Usage, as root:
 *   echo "<vcpu_id> <ISS in hex> taken|pending" > \
 *	/sys/kernel/debug/kvm/<pid>-<vm fd>/serror_inject
 */

#include <linux/debugfs.h>
#include <linux/kvm_host.h>
#include <linux/uaccess.h>

#include <asm/esr.h>
#include <asm/exception.h>

#define SERROR_INJECT_ARMED	BIT_ULL(63)
#define SERROR_INJECT_PENDING	BIT_ULL(62)

/* Would arm64_is_fatal_ras_serror() panic the host for this syndrome? */
static bool serror_inject_is_uc(u64 iss)
{
	if (!cpus_have_final_cap(ARM64_HAS_RAS_EXTN) || (iss & ESR_ELx_IDS))
		return false;

	return (iss & ESR_ELx_FSC) != ESR_ELx_FSC_SERROR ||
	       (iss & ESR_ELx_AET) == ESR_ELx_AET_UC;
}

static ssize_t serror_inject_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *off)
{
	struct kvm *kvm = file_inode(file)->i_private;
	char buf[64], mode[16];
	struct kvm_vcpu *vcpu;
	unsigned int vcpu_id;
	u64 iss, val;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';

	if (sscanf(buf, "%u %llx %15s", &vcpu_id, &iss, mode) != 3)
		return -EINVAL;
	if (iss & ~ESR_ELx_ISS_MASK || serror_inject_is_uc(iss))
		return -EINVAL;

	if (!strcmp(mode, "taken"))
		val = SERROR_INJECT_ARMED | iss;
	else if (!strcmp(mode, "pending"))
		val = SERROR_INJECT_ARMED | SERROR_INJECT_PENDING | iss;
	else
		return -EINVAL;

	vcpu = kvm_get_vcpu_by_id(kvm, vcpu_id);
	if (!vcpu)
		return -ENOENT;

	WRITE_ONCE(vcpu->arch.serror_inject, val);
	return len;
}

static int serror_inject_open(struct inode *inode, struct file *file)
{
	struct kvm *kvm = inode->i_private;

	if (!kvm_get_kvm_safe(kvm))
		return -ENOENT;

	return nonseekable_open(inode, file);
}

static int serror_inject_release(struct inode *inode, struct file *file)
{
	kvm_put_kvm(inode->i_private);
	return 0;
}

static const struct file_operations serror_inject_fops = {
	.owner		= THIS_MODULE,
	.open		= serror_inject_open,
	.write		= serror_inject_write,
	.release	= serror_inject_release,
};

/**
 * kvm_serror_inject_create_debugfs() - Create the VM's serror_inject file
 * @kvm: the VM
 */
void kvm_serror_inject_create_debugfs(struct kvm *kvm)
{
	debugfs_create_file("serror_inject", 0200, kvm->debugfs_dentry, kvm,
			    &serror_inject_fops);
}

/**
 * kvm_serror_inject_fetch() - Take the SError armed for a vCPU, if any
 * @vcpu: the vCPU that just exited
 * @esr: the syndrome, as KVM reads it from ESR_EL2 or DISR_EL1
 * @pending: whether to treat it as found pending at exit
 *
 * Return: true when an SError was armed, which is now disarmed.
 */
bool kvm_serror_inject_fetch(struct kvm_vcpu *vcpu, u64 *esr, bool *pending)
{
	u64 val;

	if (likely(!READ_ONCE(vcpu->arch.serror_inject)))
		return false;

	val = xchg(&vcpu->arch.serror_inject, 0);
	if (!(val & SERROR_INJECT_ARMED))
		return false;

	*pending = val & SERROR_INJECT_PENDING;
	if (*pending)
		*esr = disr_to_esr(val & ESR_ELx_ISS_MASK);
	else
		*esr = FIELD_PREP(ESR_ELx_EC_MASK, ESR_ELx_EC_SERROR) |
		       ESR_ELx_IL | (val & ESR_ELx_ISS_MASK);
	return true;
}
