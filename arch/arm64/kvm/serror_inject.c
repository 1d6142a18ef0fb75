// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test-only injection of guest SErrors (CONFIG_KVM_ARM64_SERROR_INJECT).
 *
 * QEMU, and most machines, cannot raise a physical SError on demand. This
 * lets a privileged test arm a syndrome for one vCPU. The vCPU's next IRQ
 * exit then becomes the exit a real SError would have caused: taken to EL2
 * while the guest ran (the syndrome in ESR_EL2, exit code
 * ARM_EXCEPTION_EL1_SERROR), or found pending at exit by the ESB (the
 * syndrome in DISR_EL1, ARM_EXIT_WITH_SERROR_BIT). The write kicks a running
 * vCPU to cause that IRQ exit; a vCPU that is not running gets an interrupt
 * raised on its CPU when it next enters the guest. From there the code a
 * real SError runs is used: classification, tracepoint, stats, the exit to
 * userspace or the reflection into the guest.
 *
 * What this cannot exercise: the hardware side (the SError exception taken
 * to EL2, the ESB in the world switch, DISR_EL1 itself), the host's own RAS
 * handling, and the host panic for an uncontainable error, which is why such
 * syndromes are refused.
 *
 * Usage, as root ("pending" needs FEAT_RAS; no file for protected VMs):
 *   echo "<vcpu_id> <ISS in hex> taken|pending" > \
 *	/sys/kernel/debug/kvm/<pid>-<vm fd>/serror_inject
 */

#include <linux/debugfs.h>
#include <linux/irq_work.h>
#include <linux/kvm_host.h>
#include <linux/uaccess.h>

#include <asm/esr.h>
#include <asm/kvm_asm.h>
#include <asm/traps.h>

#define SERROR_INJECT_ARMED	BIT_ULL(63)
#define SERROR_INJECT_PENDING	BIT_ULL(62)

/*
 * Only syndromes that the host survives: implementation defined ones, and
 * RAS errors of a severity arm64_is_fatal_ras_serror() does not panic for.
 * The same decoder as the real path, which wants preemption off.
 */
static bool serror_inject_is_survivable(u64 iss)
{
	guard(preempt)();

	if (!arm64_is_ras_serror(iss))
		return true;

	switch (arm64_ras_serror_get_severity(iss)) {
	case ESR_ELx_AET_CE:
	case ESR_ELx_AET_UEO:
	case ESR_ELx_AET_UER:
	case ESR_ELx_AET_UEU:
		return true;
	default:
		return false;
	}
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
	if (iss & ~ESR_ELx_ISS_MASK || !serror_inject_is_survivable(iss))
		return -EINVAL;

	if (!strcmp(mode, "taken"))
		val = SERROR_INJECT_ARMED | iss;
	else if (!strcmp(mode, "pending") &&
		 cpus_have_final_cap(ARM64_HAS_RAS_EXTN))
		/* Without FEAT_RAS there is no ESB, and no SError pending at exit */
		val = SERROR_INJECT_ARMED | SERROR_INJECT_PENDING | iss;
	else
		return -EINVAL;

	vcpu = kvm_get_vcpu_by_id(kvm, vcpu_id);
	if (!vcpu)
		return -ENOENT;

	/* A kernel that has seen fabricated SErrors is a test kernel. */
	if (!test_taint(TAINT_TEST))
		add_taint(TAINT_TEST, LOCKDEP_STILL_OK);

	WRITE_ONCE(vcpu->arch.serror_inject, val);
	/* Make a running vCPU exit, so that the injection happens soon. */
	kvm_vcpu_kick(vcpu);
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
	/* A protected VM's exits are not the host's to make up. */
	if (kvm_vm_is_protected(kvm))
		return;

	debugfs_create_file("serror_inject", 0200, kvm->debugfs_dentry, kvm,
			    &serror_inject_fops);
}

static void serror_inject_irq_work(struct irq_work *work)
{
}

static DEFINE_PER_CPU(struct irq_work, serror_inject_work) =
	IRQ_WORK_INIT_HARD(serror_inject_irq_work);

/**
 * kvm_serror_inject_entry() - Make a vCPU with an armed SError exit at once
 * @vcpu: the vCPU about to enter the guest, with interrupts disabled
 *
 * An injection armed while the vCPU was not in the guest (by the vCPU's own
 * thread between two KVM_RUNs, say) would otherwise wait for the next host
 * interrupt on this CPU, a timer tick away. An empty irq_work raises an
 * interrupt on this CPU, which is pending when the guest is entered: the
 * guest exits at once with the IRQ exit that carries the injection.
 *
 * Called after vcpu->mode became IN_GUEST_MODE (smp_store_mb()): a write
 * that this READ_ONCE() misses is followed by a kick that sees the vCPU in
 * the guest, so the injection is never left waiting for a tick.
 */
void kvm_serror_inject_entry(struct kvm_vcpu *vcpu)
{
	if (unlikely(READ_ONCE(vcpu->arch.serror_inject)))
		irq_work_queue(this_cpu_ptr(&serror_inject_work));
}

/**
 * kvm_serror_inject_exit() - Turn an IRQ exit into the SError armed for a vCPU
 * @vcpu: the vCPU that just exited
 * @exception_index: the exit code from the world switch
 *
 * Only a plain IRQ exit carries an injection: KVM has nothing to do for it,
 * so nothing is lost when it becomes an SError exit. The syndrome goes where
 * the world switch leaves a real one (ESR_EL2 or DISR_EL1 in vcpu->arch.fault)
 * and the exit code says what the hardware would have said, so that
 * handle_exit_early() and handle_exit() run as for a real SError.
 *
 * Return: the exit code KVM goes on with.
 */
int kvm_serror_inject_exit(struct kvm_vcpu *vcpu, int exception_index)
{
	u64 val;

	if (likely(!READ_ONCE(vcpu->arch.serror_inject)) ||
	    exception_index != ARM_EXCEPTION_IRQ)
		return exception_index;

	val = xchg(&vcpu->arch.serror_inject, 0);
	if (!(val & SERROR_INJECT_ARMED))
		return exception_index;

	if (val & SERROR_INJECT_PENDING) {
		vcpu->arch.fault.disr_el1 = val & ESR_ELx_ISS_MASK;
		return exception_index | (1U << ARM_EXIT_WITH_SERROR_BIT);
	}

	vcpu->arch.fault.esr_el2 = FIELD_PREP(ESR_ELx_EC_MASK, ESR_ELx_EC_SERROR) |
				   ESR_ELx_IL | (val & ESR_ELx_ISS_MASK);
	return ARM_EXCEPTION_EL1_SERROR;
}
