// SPDX-License-Identifier: GPL-2.0-only
/*
 * serror_migration - live migration of a pending virtual SError.
 *
 * A VMM migrates a vCPU by completing its pending I/O, saving its pending
 * events (KVM_GET_VCPU_EVENTS), every register KVM_GET_REG_LIST lists and
 * the guest's memory, and by restoring all of that into a fresh VM. This
 * test does exactly that, with a virtual SError pending in the source VM,
 * and checks that the destination guest takes it exactly once, with the
 * syndrome the source VM had, once it unmasks SErrors:
 * - an SError pended just before the save;
 * - an SError that stayed pending in the vCPU's hardware state
 *   (HCR_EL2.VSE, VSESR_EL2) while the guest ran masked for a while;
 * - an SError with a syndrome, in a VM whose ID_AA64PFR0_EL1.RAS is 0,
 *   restored with the events before the system registers, ID registers
 *   included: serror_has_esr follows the host, not the VM, so neither the
 *   VM's RAS nor the order of the restore matters;
 * - an SError pended without a syndrome, which keeps KVM's default one;
 * - no SError at all, which must not turn into one.
 *
 * The source VM is freed before the destination VM runs. The cases with a
 * syndrome need a host with FEAT_RAS (KVM_CAP_ARM_INJECT_SERROR_ESR) and
 * skip without; the other two run on any host. The guest may run at EL1 or,
 * on a host with nested virtualization, at vEL2: it reads its own ESR_ELx.
 */
#include "kselftest.h"
#include "processor.h"
#include "serror.h"
#include "test_util.h"

/* A recoverable RAS error, external abort: a syndrome a VMM would choose. */
#define TEST_ISS		(SERROR_ISS_RAS(ESR_ELx_AET_UER) | ESR_ELx_EA)

/* Largest register KVM_GET_REG_LIST can list: an SVE Z register slice. */
#define MAX_REG_BYTES		256

/*
 * The host has FEAT_RAS: KVM_GET_VCPU_EVENTS reports a syndrome with a
 * pending SError, and KVM_SET_VCPU_EVENTS takes one, whatever the VM's
 * ID_AA64PFR0_EL1.RAS says.
 */
static bool host_has_ras;

/*
 * Set by the host in the source VM before it first runs: the destination
 * VM gets them with the rest of the guest's memory. An expected_esr of 0
 * accepts any syndrome.
 */
static u64 masked_rounds;
static u64 expected_count;
static u64 expected_esr;

/*
 * Run masked_rounds rounds with SErrors masked, reporting in each whether
 * an SError is pending (ISR_EL1.A) and how many were taken; the host
 * pends, saves and migrates between rounds. Then unmask and check what was
 * taken.
 */
static void guest_code(void)
{
	u64 i;

	/* SErrors are masked out of reset. */
	GUEST_ASSERT(read_sysreg(daif) & PSR_A_BIT);

	for (i = 0; i < READ_ONCE(masked_rounds); i++)
		GUEST_SYNC3(i, !!(read_sysreg(isr_el1) & ISR_EL1_A),
			    READ_ONCE(serror_count));

	guest_serror_window();
	GUEST_ASSERT_EQ(READ_ONCE(serror_count), READ_ONCE(expected_count));
	if (READ_ONCE(expected_count) && READ_ONCE(expected_esr))
		GUEST_ASSERT_EQ(READ_ONCE(serror_esr), READ_ONCE(expected_esr));

	/* Nothing is left pending, and nothing else is taken. */
	GUEST_ASSERT(!(read_sysreg(isr_el1) & ISR_EL1_A));
	guest_serror_window();
	GUEST_ASSERT_EQ(READ_ONCE(serror_count), READ_ONCE(expected_count));
	GUEST_DONE();
}

/*
 * Source and destination are created by the same code, so that the guest's
 * code, page tables, stacks and exception vectors are at the same addresses
 * in both, as with a VMM that recreates the machine from its description.
 */
static struct kvm_vm *vm_create_serror(struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_install_serror_handlers(vm, *vcpu);
	return vm;
}

struct saved_region {
	u32 slot;
	u64 gpa;
	u64 size;
	void *data;
};

/* Everything a VMM moves from the source vCPU and VM to the destination. */
struct vm_state {
	struct kvm_vcpu_events events;
	struct kvm_reg_list *reg_list;
	u8 (*vals)[MAX_REG_BYTES];
	struct saved_region *regions;
	int nr_regions;
};

static void vm_state_free(struct vm_state *s)
{
	int i;

	for (i = 0; i < s->nr_regions; i++)
		free(s->regions[i].data);
	free(s->regions);
	free(s->vals);
	free(s->reg_list);
}

static void save_regs(struct kvm_vcpu *vcpu, struct vm_state *s)
{
	struct kvm_one_reg reg;
	u64 i;

	s->reg_list = vcpu_get_reg_list(vcpu);
	s->vals = calloc(s->reg_list->n, MAX_REG_BYTES);
	TEST_ASSERT(s->vals, "calloc() failed");

	for (i = 0; i < s->reg_list->n; i++) {
		reg.id = s->reg_list->reg[i];
		reg.addr = (u64)s->vals[i];
		TEST_ASSERT(KVM_REG_SIZE(reg.id) <= MAX_REG_BYTES,
			    "Register %llx: %u bytes", reg.id,
			    KVM_REG_SIZE(reg.id));
		vcpu_ioctl(vcpu, KVM_GET_ONE_REG, &reg);
	}
}

static bool is_core_reg(u64 id)
{
	return (id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_CORE;
}

/*
 * Restore the core registers (@core) or all the others. The destination
 * vCPU has never run, so the registers that become immutable once a vCPU
 * has run (ID registers, firmware pseudo-registers) are still writable, and
 * those userspace cannot change accept the value they already have: both
 * VMs run on the same host. Nothing is skipped: any failure is a bug.
 */
static void restore_regs(struct kvm_vcpu *vcpu, struct vm_state *s, bool core)
{
	struct kvm_reg_list *reg_list = vcpu_get_reg_list(vcpu);
	struct kvm_one_reg reg;
	u64 i;
	int ret;

	/* No register of the destination is left out of the restore. */
	TEST_ASSERT_EQ(reg_list->n, s->reg_list->n);
	free(reg_list);

	for (i = 0; i < s->reg_list->n; i++) {
		if (is_core_reg(s->reg_list->reg[i]) != core)
			continue;
		reg.id = s->reg_list->reg[i];
		reg.addr = (u64)s->vals[i];
		ret = __vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
		TEST_ASSERT(!ret, "KVM_SET_ONE_REG(%llx): %s", reg.id,
			    strerror(errno));
	}
}

static void save_memory(struct kvm_vm *vm, struct vm_state *s)
{
	struct userspace_mem_region *region;
	struct saved_region *saved;
	int bkt;

	hash_for_each(vm->regions.slot_hash, bkt, region, slot_node) {
		s->regions = realloc(s->regions,
				     (s->nr_regions + 1) * sizeof(*s->regions));
		TEST_ASSERT(s->regions, "realloc() failed");

		saved = &s->regions[s->nr_regions++];
		saved->slot = region->region.slot;
		saved->gpa = region->region.guest_phys_addr;
		saved->size = region->region.memory_size;
		saved->data = malloc(saved->size);
		TEST_ASSERT(saved->data, "malloc(%lu) failed", saved->size);
		memcpy(saved->data, region->host_mem, saved->size);
	}
}

static void restore_memory(struct kvm_vm *vm, struct vm_state *s)
{
	struct userspace_mem_region *region;
	struct saved_region *saved;
	int bkt, nr_regions = 0;
	int i;

	hash_for_each(vm->regions.slot_hash, bkt, region, slot_node)
		nr_regions++;
	TEST_ASSERT_EQ(nr_regions, s->nr_regions);

	for (i = 0; i < s->nr_regions; i++) {
		saved = &s->regions[i];
		region = memslot2region(vm, saved->slot);
		TEST_ASSERT(region->region.guest_phys_addr == saved->gpa &&
			    region->region.memory_size == saved->size,
			    "Memslot %u differs: GPA %llx size %llx, was %lx size %lx",
			    saved->slot, region->region.guest_phys_addr,
			    region->region.memory_size, saved->gpa, saved->size);
		memcpy(region->host_mem, saved->data, saved->size);
	}
}

/*
 * A vCPU that exited for an MMIO access has it completed, and its PC
 * stepped, only by the next KVM_RUN, in no state userspace can save: a VMM
 * completes it without running the guest before it saves (api.rst,
 * KVM_EXIT_MMIO). get_ucall() has done so for the ucall already; do it
 * anyway, as a VMM that does not track why its vCPU last exited would.
 */
static void save_vm(struct kvm_vm *vm, struct kvm_vcpu *vcpu, struct vm_state *s)
{
	memset(s, 0, sizeof(*s));
	vcpu_run_complete_io(vcpu);
	vcpu_events_get(vcpu, &s->events);
	save_regs(vcpu, s);
	save_memory(vm, s);
}

/*
 * The core registers before the events: KVM decides from the restored
 * PSTATE.A whether the SError stays pending or is taken at once. The system
 * registers, ID registers included, go before the events as QEMU does it,
 * or after them with @events_first.
 */
static struct kvm_vm *restore_vm(struct kvm_vcpu **vcpu, struct vm_state *s,
				 bool events_first)
{
	struct kvm_vm *vm = vm_create_serror(vcpu);

	restore_memory(vm, s);
	restore_regs(*vcpu, s, true);
	if (!events_first)
		restore_regs(*vcpu, s, false);
	vcpu_events_set(*vcpu, &s->events);
	if (events_first)
		restore_regs(*vcpu, s, false);
	return vm;
}

static void vcpu_run_expect(struct kvm_vcpu *vcpu, struct ucall *uc, u64 cmd)
{
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(*uc);
		break;
	default:
		TEST_ASSERT(uc->cmd == cmd, "Unexpected ucall %lu, expected %lu",
			    uc->cmd, cmd);
	}
}

/* Run one masked round: the guest reports whether it sees an SError pending. */
static void run_masked_round(struct kvm_vcpu *vcpu, u64 round, bool pending)
{
	struct ucall uc;

	vcpu_run_expect(vcpu, &uc, UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[0], round);
	TEST_ASSERT_EQ(uc.args[1], pending);
	/* Masked: nothing taken yet. */
	TEST_ASSERT_EQ(uc.args[2], 0);
}

static void run_to_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run_expect(vcpu, &uc, UCALL_DONE);
}

static void expect_events(struct kvm_vcpu_events *events, bool pending, u64 iss)
{
	TEST_ASSERT_EQ(events->exception.serror_pending, pending);
	/* With FEAT_RAS an ESR is always reported, without never: the host's. */
	TEST_ASSERT_EQ(events->exception.serror_has_esr, host_has_ras);
	if (pending && host_has_ras)
		TEST_ASSERT_EQ(events->exception.serror_esr, iss);
}

static void expect_pending(struct kvm_vcpu *vcpu, bool pending, u64 iss)
{
	struct kvm_vcpu_events events = {};

	vcpu_events_get(vcpu, &events);
	expect_events(&events, pending, iss);
}

static void expect_guest_serrors(struct kvm_vm *vm, u64 count, u64 esr)
{
	sync_global_from_guest(vm, serror_count);
	sync_global_from_guest(vm, serror_esr);
	TEST_ASSERT_EQ(serror_count, count);
	if (count && esr)
		TEST_ASSERT_EQ(serror_esr, esr);
}

/*
 * The source VM, its guest told what to expect. With @hide_ras, its
 * ID_AA64PFR0_EL1.RAS is 0 from before it first runs.
 */
static struct kvm_vm *create_source(struct kvm_vcpu **vcpu, u64 rounds,
				    u64 count, u64 esr, bool hide_ras)
{
	u64 pfr0_id = KVM_ARM64_SYS_REG(SYS_ID_AA64PFR0_EL1);
	struct kvm_vm *vm = vm_create_serror(vcpu);
	u64 pfr0;

	if (hide_ras) {
		pfr0 = vcpu_get_reg(*vcpu, pfr0_id);
		vcpu_set_reg(*vcpu, pfr0_id, pfr0 & ~ID_AA64PFR0_EL1_RAS_MASK);
		pfr0 = vcpu_get_reg(*vcpu, pfr0_id);
		TEST_ASSERT(!SYS_FIELD_GET(ID_AA64PFR0_EL1, RAS, pfr0),
			    "ID_AA64PFR0_EL1.RAS is not writable");
	}

	masked_rounds = rounds;
	expected_count = count;
	expected_esr = esr;
	sync_global_to_guest(vm, masked_rounds);
	sync_global_to_guest(vm, expected_count);
	sync_global_to_guest(vm, expected_esr);
	return vm;
}

/*
 * Migrate the source VM: save it, free it so that it can never run again,
 * restore into a fresh VM. The restored vCPU reports what the source did.
 */
static struct kvm_vm *migrate(struct kvm_vm *src, struct kvm_vcpu *src_vcpu,
			      struct kvm_vcpu **vcpu, bool pending, u64 iss,
			      bool events_first)
{
	struct vm_state state;
	struct kvm_vm *vm;

	save_vm(src, src_vcpu, &state);
	expect_events(&state.events, pending, iss);
	kvm_vm_free(src);

	vm = restore_vm(vcpu, &state, events_first);
	vm_state_free(&state);
	expect_pending(*vcpu, pending, iss);
	return vm;
}

/*
 * Pend an SError with a syndrome while the guest is masked, migrate right
 * away: the destination guest takes it when it unmasks.
 */
static void test_pending_then_unmasked(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_source(&vcpu, 1, 1, SERROR_ESR(TEST_ISS), false);
	run_masked_round(vcpu, 0, false);
	serror_pend(vcpu, true, TEST_ISS);

	vm = migrate(vm, vcpu, &vcpu, true, TEST_ISS, false);
	run_to_done(vcpu);
	expect_pending(vcpu, false, 0);
	expect_guest_serrors(vm, 1, SERROR_ESR(TEST_ISS));
	kvm_vm_free(vm);
}

/*
 * The source guest runs masked with the SError pending for several rounds,
 * so that it is saved from the state the vCPU ran with (HCR_EL2.VSE); the
 * destination guest stays masked for another round, then takes it.
 */
static void test_masked_across_save(const void *arg)
{
	const u64 src_rounds = 4, rounds = src_rounds + 1;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 i;

	vm = create_source(&vcpu, rounds, 1, SERROR_ESR(TEST_ISS), false);
	run_masked_round(vcpu, 0, false);
	serror_pend(vcpu, true, TEST_ISS);
	for (i = 1; i < src_rounds; i++)
		run_masked_round(vcpu, i, true);
	expect_pending(vcpu, true, TEST_ISS);

	vm = migrate(vm, vcpu, &vcpu, true, TEST_ISS, false);
	run_masked_round(vcpu, src_rounds, true);
	expect_pending(vcpu, true, TEST_ISS);

	run_to_done(vcpu);
	expect_pending(vcpu, false, 0);
	expect_guest_serrors(vm, 1, SERROR_ESR(TEST_ISS));
	kvm_vm_free(vm);
}

/*
 * A VM without FEAT_RAS (ID_AA64PFR0_EL1.RAS = 0) still gets its SError's
 * syndrome saved and restored, and restoring the events before the ID
 * registers that say so changes nothing: the syndrome is the host's to
 * carry, and the guest reads it in ESR_ELx all the same.
 */
static void test_ras_hidden_events_first(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_source(&vcpu, 1, 1, SERROR_ESR(TEST_ISS), true);
	run_masked_round(vcpu, 0, false);
	serror_pend(vcpu, true, TEST_ISS);

	vm = migrate(vm, vcpu, &vcpu, true, TEST_ISS, true);
	TEST_ASSERT(!SYS_FIELD_GET(ID_AA64PFR0_EL1, RAS,
				   vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_ID_AA64PFR0_EL1))),
		    "ID_AA64PFR0_EL1.RAS not restored as 0");
	run_to_done(vcpu);
	expect_pending(vcpu, false, 0);
	expect_guest_serrors(vm, 1, SERROR_ESR(TEST_ISS));
	kvm_vm_free(vm);
}

/*
 * Without a syndrome KVM chooses an implementation defined one (IDS set):
 * it is saved as such, and the destination guest sees the same. Without
 * FEAT_RAS there is no syndrome to save, and the guest's is the CPU's own.
 */
static void test_pending_default_esr(const void *arg)
{
	u64 esr = host_has_ras ? KVM_DEFAULT_ESR : 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_source(&vcpu, 1, 1, esr, false);
	run_masked_round(vcpu, 0, false);
	serror_pend(vcpu, false, 0);

	vm = migrate(vm, vcpu, &vcpu, true, ESR_ELx_IDS, false);
	run_to_done(vcpu);
	expect_pending(vcpu, false, 0);
	expect_guest_serrors(vm, 1, esr);
	kvm_vm_free(vm);
}

/* Nothing pending migrates as nothing pending. */
static void test_none_pending(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_source(&vcpu, 2, 0, 0, false);
	run_masked_round(vcpu, 0, false);

	vm = migrate(vm, vcpu, &vcpu, false, 0, false);
	run_masked_round(vcpu, 1, false);
	run_to_done(vcpu);
	expect_pending(vcpu, false, 0);
	expect_guest_serrors(vm, 0, 0);
	kvm_vm_free(vm);
}

static const struct {
	void (*test)(const void *arg);
	const char *name;
	bool needs_ras;		/* a syndrome to pend: the host must have RAS */
} cases[] = {
	{ test_pending_then_unmasked,
	  "pending SError with ESR migrated, taken once when the guest unmasks",
	  true },
	{ test_masked_across_save,
	  "SError pending while the guest ran masked migrated, taken once",
	  true },
	{ test_ras_hidden_events_first,
	  "pending SError with ESR migrated from a VM without RAS, events restored first",
	  true },
	{ test_pending_default_esr,
	  "pending SError without ESR migrated with KVM's syndrome (IDS)",
	  false },
	{ test_none_pending, "no pending SError migrated as none", false },
};

int main(void)
{
	int i;

	ksft_print_header();
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_VCPU_EVENTS));
	host_has_ras = kvm_has_cap(KVM_CAP_ARM_INJECT_SERROR_ESR);

	/*
	 * The guest uses no interrupts: its vGIC, which the destination VM
	 * has as the source VM was created, needs no migrating, and the
	 * registers and the events are the vCPU's whole state. The vGIC lets
	 * the guest run at vEL2 where the host offers nested virtualization.
	 */
	ksft_set_plan(ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].needs_ras && !host_has_ras)
			serror_skip_case(cases[i].name,
					 "KVM_CAP_ARM_INJECT_SERROR_ESR is 0: the host has no FEAT_RAS");
		else
			serror_run_case(cases[i].test, NULL, "%s", cases[i].name);
	}

	ksft_finished();
}
