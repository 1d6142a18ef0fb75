// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for QEMU's Arm error injector, see error_injector.h.
 */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error_injector.h"
#include "host.h"
#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define DT_ROOT		"/sys/firmware/devicetree/base"
#define COMPATIBLE	"qemu,arm-error-injector"

/* Up to @len bytes of property @prop of device tree node @node */
static size_t dt_prop(const char *node, const char *prop, void *buf, size_t len)
{
	char path[PATH_MAX];
	size_t n = 0;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", node, prop) >= sizeof(path))
		return 0;
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len, f);
		fclose(f);
	}
	return n;
}

/* A property as big-endian cells: how many were read */
static int dt_cells(const char *node, const char *prop, u32 *cells, int max)
{
	return dt_prop(node, prop, cells, max * sizeof(*cells)) / sizeof(*cells);
}

static u64 dt_value(const u32 *cells, int n)
{
	u64 v = 0;

	while (n--)
		v = v << 32 | be32toh(*cells++);
	return v;
}

/* #address-cells or #size-cells of @node, as the device tree spec has it */
static int dt_ncells(const char *node, const char *prop, int def)
{
	u32 n;

	return dt_cells(node, prop, &n, 1) ? be32toh(n) : def;
}

/* A node compatible with the device, below @dir (two levels at most) */
static bool dt_find(const char *dir, int depth, char *node, size_t len)
{
	char path[PATH_MAX], compat[sizeof(COMPATIBLE)];
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	while (d && !found && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    sizeof(path))
			continue;
		found = dt_prop(path, "compatible", compat, sizeof(compat)) ==
			sizeof(compat) && !memcmp(compat, COMPATIBLE, sizeof(compat));
		if (found)
			snprintf(node, len, "%s", path);
		else if (depth)
			found = dt_find(path, depth - 1, node, len);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * The device's physical address: its reg, translated through its parent's
 * ranges unless the parent is the root (QEMU's virt puts it on its
 * platform bus, a simple-bus).
 */
static bool find_device(u64 *pa)
{
	char node[PATH_MAX], parent[PATH_MAX], grandparent[PATH_MAX];
	int ac, pac, sc, n, i;
	u32 cells[32];

	if (!dt_find(DT_ROOT, 1, node, sizeof(node)))
		return false;
	snprintf(parent, sizeof(parent), "%s", dirname(strdupa(node)));
	snprintf(grandparent, sizeof(grandparent), "%s", dirname(strdupa(parent)));

	ac = dt_ncells(parent, "#address-cells", 2);
	if (dt_cells(node, "reg", cells, ARRAY_SIZE(cells)) < ac)
		return false;
	*pa = dt_value(cells, ac);
	if (!strcmp(parent, DT_ROOT))
		return true;

	/* ranges: (child address, parent address, size), repeated */
	pac = dt_ncells(grandparent, "#address-cells", 2);
	sc = dt_ncells(parent, "#size-cells", 1);
	n = dt_cells(parent, "ranges", cells, ARRAY_SIZE(cells));
	for (i = 0; i + ac + pac + sc <= n; i += ac + pac + sc) {
		u64 child = dt_value(cells + i, ac);
		u64 size = dt_value(cells + i + ac + pac, sc);

		if (*pa >= child && *pa - child < size) {
			*pa = *pa - child + dt_value(cells + i + ac, pac);
			return true;
		}
	}
	return false;
}

/* The MPIDR_EL1 affinity of Linux's CPU @cpu: its device tree node's reg */
static u64 cpu_mpidr(int cpu)
{
	char node[PATH_MAX];
	u32 cells[2];
	int n;

	snprintf(node, sizeof(node), "/sys/devices/system/cpu/cpu%d/of_node", cpu);
	n = dt_cells(node, "reg", cells, 2);
	TEST_ASSERT(n, "no MPIDR for CPU %d in the device tree", cpu);
	return dt_value(cells, n);
}

/* Whether the guest writes to the device itself (error_injector_map()). */
static bool guest_reaches_device;

/*
 * What a guest's GUEST_SYNC carries first when it asks the host to raise an
 * SError for it: this string's address, which no value a test reports is.
 */
static const char raise_request[] = "raise an SError";
/* A request for guest_raise_serror_pair(), which no mode register is */
#define RAISE_PAIR	1

static void guest_read_id(void)
{
	GUEST_SYNC(READ_ONCE(*(u64 *)(ERRINJ_GPA + ERRINJ_ID)));
}

/*
 * pKVM maps into a guest only memory the host can donate or share, which a
 * device page from /dev/mem is not: there the host arms the device for the
 * guest (guest_raise_serror()). Everywhere else the guest must reach it.
 */
static bool guest_can_reach(struct error_injector *inj)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	if (host_is_protected())
		return false;

	vm = vm_create_with_one_vcpu(&vcpu, guest_read_id);
	vm_set_user_memory_region(vm, 1, 0, ERRINJ_GPA, getpagesize(),
				  (void *)inj->hva);
	virt_map(vm, ERRINJ_GPA, ERRINJ_GPA, 1);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], ERRINJ_ID_VALUE);
	kvm_vm_free(vm);
	return true;
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

/* TARGET and DELAY are one register for all: use them before another thread. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void reg_write(struct error_injector *inj, u64 reg, u64 value)
{
	WRITE_ONCE(*(u64 *)(inj->hva + reg), value);
}

/* Pin the caller to the CPU it runs on, and make that PE TARGET; locked. */
static void target_self(struct error_injector *inj)
{
	int cpu = sched_getcpu();

	pin_self_to_cpu(cpu);
	pthread_mutex_lock(&lock);
	reg_write(inj, ERRINJ_TARGET, cpu_mpidr(cpu));
}

void error_injector_arm(struct error_injector *inj, u64 mode, u64 iss)
{
	target_self(inj);
	reg_write(inj, mode, iss);
	pthread_mutex_unlock(&lock);
}

void error_injector_arm_late(struct error_injector *inj, u64 mode, u64 iss,
			     u64 delay)
{
	target_self(inj);
	reg_write(inj, ERRINJ_DELAY, delay);
	reg_write(inj, mode, iss);
	reg_write(inj, ERRINJ_DELAY, 0);
	pthread_mutex_unlock(&lock);
}

bool error_injector_held_back(struct error_injector *inj)
{
	u64 armed;

	target_self(inj);
	armed = error_injector_read(inj, ERRINJ_ARMED);
	pthread_mutex_unlock(&lock);
	return armed & ERRINJ_ARMED_LATER;
}

bool error_injector_has_delay(struct error_injector *inj)
{
	bool has;

	pthread_mutex_lock(&lock);
	reg_write(inj, ERRINJ_DELAY, 1);
	has = error_injector_read(inj, ERRINJ_DELAY) == 1;
	reg_write(inj, ERRINJ_DELAY, 0);
	pthread_mutex_unlock(&lock);
	return has;
}

void error_injector_vcpu_run(struct error_injector *inj, struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	if (vcpu->run->exit_reason != KVM_EXIT_MMIO ||
	    get_ucall(vcpu, &uc) != UCALL_SYNC ||
	    uc.args[0] != (u64)raise_request)
		return;

	switch (uc.args[1]) {
	case ERRINJ_SERROR:
		error_injector_arm(inj, ERRINJ_SERROR_IN_GUEST, uc.args[2]);
		break;
	case ERRINJ_SERROR_AT_ENTRY:
		error_injector_arm(inj, ERRINJ_SERROR_AT_GUEST_EXIT, uc.args[2]);
		break;
	case RAISE_PAIR:
		/* The first is taken as the PE enters the guest, exiting it */
		error_injector_arm(inj, ERRINJ_SERROR_AT_GUEST_EXIT, uc.args[3]);
		error_injector_arm(inj, ERRINJ_SERROR_IN_GUEST, uc.args[2]);
		break;
	default:
		TEST_FAIL("Unknown request to raise an SError: %lu", uc.args[1]);
	}
	vcpu_run(vcpu);
}

void guest_raise_serror(u64 mode, u64 iss)
{
	if (READ_ONCE(guest_reaches_device))
		WRITE_ONCE(*(u64 *)(ERRINJ_GPA + mode), iss);
	else
		GUEST_SYNC3(raise_request, mode, iss);
}

void guest_raise_serror_pair(u64 taken_iss, u64 pending_iss)
{
	if (READ_ONCE(guest_reaches_device)) {
		WRITE_ONCE(*(u64 *)(ERRINJ_GPA + ERRINJ_SERROR_AT_ENTRY), pending_iss);
		WRITE_ONCE(*(u64 *)(ERRINJ_GPA + ERRINJ_SERROR), taken_iss);
	} else {
		GUEST_SYNC4(raise_request, RAISE_PAIR, taken_iss, pending_iss);
	}
}

struct error_injector *error_injector_open(char *why, size_t len)
{
	struct error_injector *inj;
	void *hva;
	u64 pa;
	int fd;

	if (!find_device(&pa)) {
		snprintf(why, len,
			 "no error injector in the device tree (QEMU -device arm-error-injector)");
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
