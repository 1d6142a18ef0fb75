// SPDX-License-Identifier: GPL-2.0-only
/*
 * sea_apei_sigbus - a guest consumes poison that the host's APEI claims:
 * the VMM gets SIGBUS, not KVM_EXIT_ARM_SEA.
 *
 * KVM_EXIT_ARM_SEA is taken only when "the host APEI fails to handle the
 * SEA" (api.rst). Where firmware reports the error first (a GHES error
 * source for SEAs), APEI claims it and memory_failure() handles the page:
 * the process that consumed the poison, here the VMM on its vCPU thread, gets
 * SIGBUS BUS_MCEERR_AR with the address of the page in its own address space
 * and the page size, KVM makes no exit and injects nothing, and the page is
 * gone from the guest: a guest that touches it again never reads the poison,
 * its VMM gets another SIGBUS. What the VMM reports to its guest is its own
 * business (QEMU writes a CPER record and injects an SEA).
 *
 * The error is real to the host: the host's EINJ driver asks firmware (ACPI
 * EINJ, QEMU's error injector) to poison the page of guest memory, with
 * notrigger as upstream's sea_to_user does; the guest's load from it
 * completes with a synchronous external abort, and QEMU, as firmware-first
 * platforms do, writes a CPER memory error record into the SEA's GHES first
 * (virt with ras=on). The testbed's acpi-ghes target.
 *
 * SIGBUS is not a real-time signal: two sent before the VMM runs its handler
 * are delivered once. How many were sent, and why, the kernel's log says:
 * the test reads it from /dev/kmsg.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define EINJ_TABLE		"/sys/firmware/acpi/tables/EINJ"
#define HEST_TABLE		"/sys/firmware/acpi/tables/HEST"
#define EINJ_DIR		"/sys/kernel/debug/apei/einj/"
/* ACPI 6.5 table 18.30: memory uncorrectable, non-fatal. */
#define EINJ_MEMORY_UER		0x10
/* SET_ERROR_TYPE_WITH_ADDRESS flags: memory address and mask valid. */
#define EINJ_FLAG_MEM_ADDR	0x2

/* A memslot of ordinary anonymous memory, 4 KiB pages. */
#define DATA_SLOT		1
#define DATA_GPA		0x80000000UL
#define DATA_GVA		DATA_GPA
#define DATA_PAGES		16
/* Where the poison goes: not at the start of a page or of a granule. */
#define POISON_OFFSET		(5 * 4096 + 0x9a8)
#define POISON_GVA		(DATA_GVA + POISON_OFFSET)

/* What the kernel logs of a memory error: GHES, memory_failure(), ghes.c */
#define GHES_RECORD		"Hardware error from APEI Generic Hardware Error Source"
#define MEMORY_FAILURE		"Memory failure: "
#define SENDING_SIGBUS		"Sending SIGBUS"
#define RECOVERY		"recovery action for "

#define PAGEMAP_PRESENT		BIT_ULL(63)
#define PAGEMAP_PFN		GENMASK_ULL(54, 0)

/* What the VMM's SIGBUS handler saw last, and how many it ran for. */
static int sigbus_count;
static int sigbus_code;
static void *sigbus_addr;
static short sigbus_addr_lsb;

static void sigbus_handler(int sig, siginfo_t *si, void *ctx)
{
	WRITE_ONCE(sigbus_code, si->si_code);
	WRITE_ONCE(sigbus_addr, si->si_addr);
	WRITE_ONCE(sigbus_addr_lsb, si->si_addr_lsb);
	WRITE_ONCE(sigbus_count, sigbus_count + 1);
}

/* The guest must take nothing: APEI claimed the abort, KVM injects none. */
static void guest_abort_handler(struct ex_regs *regs)
{
	GUEST_FAIL("The guest took an abort: ESR 0x%lx, FAR 0x%lx",
		   read_sysreg(esr_el1), read_sysreg(far_el1));
}

static void guest_code(void)
{
	u64 data = READ_ONCE(*(u64 *)POISON_GVA);

	GUEST_FAIL("The guest read poisoned memory: 0x%lx", data);
}

static void einj_write(const char *file, u64 val)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), EINJ_DIR "%s", file);
	f = fopen(path, "w");
	TEST_ASSERT(f, "open %s: %s", path, strerror(errno));
	TEST_ASSERT(fprintf(f, "%#lx\n", val) > 0 && !fclose(f),
		    "write 0x%lx to %s: %s", val, path, strerror(errno));
}

static u64 hva_to_hpa(void *hva)
{
	u64 entry, page = getpagesize();
	int fd = open("/proc/self/pagemap", O_RDONLY);

	TEST_ASSERT(fd >= 0, "open /proc/self/pagemap: %s", strerror(errno));
	TEST_ASSERT_EQ(pread(fd, &entry, sizeof(entry),
			     (u64)hva / page * sizeof(entry)), sizeof(entry));
	close(fd);
	TEST_ASSERT(entry & PAGEMAP_PRESENT, "page of %p not present", hva);
	return (entry & PAGEMAP_PFN) * page + (u64)hva % page;
}

/* Poison the memory at @hpa through ACPI EINJ, not consumed yet. */
static void einj_poison(u64 hpa)
{
	einj_write("error_type", EINJ_MEMORY_UER);
	einj_write("flags", EINJ_FLAG_MEM_ADDR);
	einj_write("param1", hpa);
	einj_write("param2", ~0ULL);
	einj_write("notrigger", 1);
	einj_write("error_inject", 1);
}

/* The kernel's log from now on. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	TEST_ASSERT(fd >= 0, "open /dev/kmsg: %s", strerror(errno));
	TEST_ASSERT(lseek(fd, 0, SEEK_END) >= 0, "seek /dev/kmsg: %s",
		    strerror(errno));
	return fd;
}

/* The texts of the records logged since the last call, a line each. */
static void kmsg_read(int fd, char *log, size_t size)
{
	char record[1024], *text;
	size_t used = 0;
	ssize_t len;

	log[0] = '\0';
	while ((len = read(fd, record, sizeof(record) - 1)) > 0) {
		record[len] = '\0';
		/* "level,seq,time,flags;text\n", then " KEY=value" lines */
		text = strchr(record, ';');
		text = text ? text + 1 : record;
		*strchrnul(text, '\n') = '\0';
		used += snprintf(log + used, size - used, "%s\n", text);
		TEST_ASSERT(used < size, "more than %zu bytes of kernel log",
			    size);
	}
	TEST_ASSERT(len < 0 && errno == EAGAIN, "read /dev/kmsg: %s",
		    strerror(errno));
}

/* How many of the lines of @log (kmsg_read(): each ends in '\n') contain @what. */
static int count(const char *log, const char *what)
{
	const char *line, *end, *hit;
	int n = 0;

	for (line = log; *line; line = end + 1) {
		end = strchr(line, '\n');
		hit = strstr(line, what);
		n += hit && hit < end;
	}
	return n;
}

/*
 * Run the vCPU once: the run must end in a signal (KVM_EXIT_INTR), not an
 * exit, with the VMM's handler run for SIGBUS BUS_MCEERR_AR for the page of
 * @hva, of the page's size; and with no virtual SError made pending.
 */
static void run_expect_sigbus(struct kvm_vcpu *vcpu, void *hva)
{
	u64 page = getpagesize();
	struct kvm_vcpu_events events;
	struct ucall uc;
	int ret;

	WRITE_ONCE(sigbus_count, 0);
	ret = __vcpu_run(vcpu);
	if (!ret && get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT(ret == -1 && errno == EINTR,
		    "KVM_RUN returned %d (errno %d), exit %s: expected EINTR",
		    ret, errno, exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_INTR);
	TEST_ASSERT_EQ(READ_ONCE(sigbus_count), 1);
	TEST_ASSERT_EQ(READ_ONCE(sigbus_code), BUS_MCEERR_AR);
	TEST_ASSERT_EQ((u64)READ_ONCE(sigbus_addr), (u64)hva & ~(page - 1));
	TEST_ASSERT_EQ(1UL << READ_ONCE(sigbus_addr_lsb), page);

	/* An SEA KVM injected would be taken at the next run; a vSError: */
	vcpu_events_get(vcpu, &events);
	TEST_ASSERT(!events.exception.serror_pending,
		    "KVM made a virtual SError pending (ESR 0x%llx)",
		    events.exception.serror_esr);
}

int main(void)
{
	struct sigaction act = {
		.sa_sigaction = sigbus_handler,
		.sa_flags = SA_SIGINFO,
	};
	char log[16384], want[128];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 hpa, pfn;
	void *hva;
	int kmsg;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_SEA_TO_USER));
	if (access(EINJ_TABLE, R_OK))
		ksft_exit_skip("no ACPI EINJ table: no firmware to inject with\n");
	if (access(HEST_TABLE, R_OK))
		ksft_exit_skip("no ACPI HEST table: no error source for APEI\n");
	if (access(EINJ_DIR "error_type", W_OK))
		ksft_exit_skip("no " EINJ_DIR ": the EINJ driver is not loaded\n");

	ksft_print_header();
	ksft_set_plan(2);
	TEST_ASSERT(!sigaction(SIGBUS, &act, NULL), "sigaction: %s",
		    strerror(errno));

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_descriptor_tables(vm);
	vcpu_init_descriptor_tables(vcpu);
	vm_install_sync_handler(vm, VECTOR_SYNC_CURRENT, ESR_ELx_EC_DABT_CUR,
				guest_abort_handler);
	/* The exit the VMM would get if APEI did not claim the abort. */
	vm_enable_cap(vm, KVM_CAP_ARM_SEA_TO_USER, 0);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA,
				    DATA_SLOT, DATA_PAGES, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, DATA_PAGES);

	hva = addr_gva2hva(vm, POISON_GVA);
	memset(addr_gva2hva(vm, DATA_GVA), 0x5a, DATA_PAGES * getpagesize());
	hpa = hva_to_hpa(hva);
	pfn = hpa / getpagesize();
	ksft_print_msg("poison at gva 0x%lx, hva %p, hpa 0x%lx\n", POISON_GVA,
		       hva, hpa);
	kmsg = kmsg_open();
	einj_poison(hpa);
	/* notrigger: nothing consumed it yet, nothing reported. */
	kmsg_read(kmsg, log, sizeof(log));
	TEST_ASSERT(!count(log, GHES_RECORD) && !count(log, MEMORY_FAILURE),
		    "a memory error reported before the guest ran:\n%s", log);

	/*
	 * The guest's load takes the abort to KVM, which offers it to APEI:
	 * GHES has QEMU's record of it, at the address the load read; one
	 * memory_failure() unmaps the page, signals the VMM and recovers the
	 * page; KVM_RUN returns for the signal.
	 */
	run_expect_sigbus(vcpu, hva);
	kmsg_read(kmsg, log, sizeof(log));
	snprintf(want, sizeof(want), "physical_address: 0x%016lx", hpa);
	TEST_ASSERT(count(log, GHES_RECORD) == 1 && count(log, want) == 1,
		    "not one GHES record at 0x%lx:\n%s", hpa, log);
	snprintf(want, sizeof(want), MEMORY_FAILURE "%#lx: " SENDING_SIGBUS
		 " to %.15s:%d ", pfn, program_invocation_short_name,
		 getpid());
	TEST_ASSERT(count(log, SENDING_SIGBUS) == 1 && count(log, want) == 1,
		    "not one SIGBUS from memory_failure() (%s):\n%s", want,
		    log);
	snprintf(want, sizeof(want), MEMORY_FAILURE "%#lx: " RECOVERY, pfn);
	TEST_ASSERT(count(log, MEMORY_FAILURE) == 2 && count(log, want) == 1 &&
		    count(log, ": Recovered") == 1,
		    "memory_failure() did not recover 0x%lx once:\n%s", pfn,
		    log);
	ksft_test_result_pass("consumed: SIGBUS BUS_MCEERR_AR at the page, no exit\n");

	/*
	 * Resumed without a report: KVM injected nothing (the guest would take
	 * it now), and the load finds the page gone from stage 2, so KVM
	 * signals the VMM itself, logging nothing. Had the guest read the
	 * poison again, QEMU's identical record would have found GHES's cache
	 * of it (ghes_estatus_cached()): APEI would not claim that abort, and
	 * KVM would exit with KVM_EXIT_ARM_SEA.
	 */
	run_expect_sigbus(vcpu, hva);
	kmsg_read(kmsg, log, sizeof(log));
	TEST_ASSERT(!count(log, GHES_RECORD) && !count(log, MEMORY_FAILURE) &&
		    !count(log, SENDING_SIGBUS),
		    "the poison reported again:\n%s", log);
	ksft_test_result_pass("resumed: nothing injected, poison not read, SIGBUS again\n");

	close(kmsg);
	kvm_vm_free(vm);
	ksft_finished();
}
