/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tier 3, kernel side: two per-CPU counters (instructions, cycles; or the
 * software stand-ins) read at sys_enter, sys_exit and sched_switch, so every
 * user-mode segment of a traced thread gets its instructions and cycles,
 * labelled by what preceded it (enum iotax_seg_label in iotax.h).
 *
 * Included by iotax.bpf.c. With pmu_enabled false (no PMU, or not asked
 * for) the verifier removes every read: the tier-1 programs pay nothing.
 *
 * Counting user mode only, a counter does not move while the CPU is in the
 * kernel, so reading it anywhere between the user->kernel and kernel->user
 * transitions gives the same value: the deltas are exact user-mode counts.
 * A segment never spans CPUs (it ends when the thread is switched out); one
 * that seems to (a switch BPF did not see) is left out and counted.
 *
 * OVERHEAD: two bpf_perf_event_read_value calls per kernel boundary of a
 * traced thread, ~315 ns per event with the software stand-ins on the
 * development VM (tests/pmu/pmu_overhead_test.cc; docs/methodology-ipc.md).
 */
#ifndef IOTAX_PMU_BPF_H
#define IOTAX_PMU_BPF_H

/* Set by the loader between open and load, only when both counters opened. */
const volatile bool pmu_enabled = false;

/* One perf_event fd per CPU at the CPU's index; libbpf sizes them to the
 * number of possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pmu_instructions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pmu_cycles SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOTAX_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct iotax_pmu_stats);
} pmu_stats SEC(".maps");

/* Both counters at one instant on this CPU. */
struct pmu_reading {
	__u64 ins;
	__u64 cyc;
	__u64 ins_gap; /* time enabled - time running: grows only while multiplexed out */
	__u64 cyc_gap;
	__u32 cpu;
	__s32 status;  /* 0 not read yet, 1 read, -1 read failed */
};

/* Per thread, inside struct thread_state. Zeroed storage = no open segment. */
struct pmu_thread {
	struct pmu_reading start; /* counters when the segment began */
	__u8 open;                /* a user segment is running */
	__u8 label;               /* enum iotax_seg_label of the open segment */
	__u8 preempted_in_call;   /* an involuntary switch happened inside the current call */
};

static __always_inline struct iotax_pmu_stats *pmu_stats_of(__u32 slot)
{
	return bpf_map_lookup_elem(&pmu_stats, &slot);
}

/*
 * Reads both counters into `r` unless already done in this program run (a
 * switch between two traced threads reads once); returns true when `r`
 * holds a good reading. Failures are counted once.
 */
static __always_inline bool pmu_read(struct iotax_pmu_stats *ps, struct pmu_reading *r)
{
	struct bpf_perf_event_value v;

	if (r->status)
		return r->status > 0;
	r->status = -1;
	if (bpf_perf_event_read_value(&pmu_instructions, BPF_F_CURRENT_CPU, &v, sizeof(v)))
		goto fail;
	r->ins = v.counter;
	r->ins_gap = v.enabled - v.running;
	if (bpf_perf_event_read_value(&pmu_cycles, BPF_F_CURRENT_CPU, &v, sizeof(v)))
		goto fail;
	r->cyc = v.counter;
	r->cyc_gap = v.enabled - v.running;
	r->cpu = bpf_get_smp_processor_id();
	r->status = 1;
	return true;
fail:
	if (ps)
		ps->read_errors++;
	return false;
}

/* A return to user mode: a segment begins with counters `r`. */
static __always_inline void pmu_segment_begin(struct iotax_pmu_stats *ps, struct pmu_thread *p,
					      struct pmu_reading *r, __u8 label)
{
	p->open = 0;
	if (!pmu_read(ps, r))
		return;
	p->start = *r;
	p->label = label;
	p->open = 1;
}

/* Drops the open segment without counting its counters (a missed switch). */
static __always_inline void pmu_segment_lose(struct iotax_pmu_stats *ps, struct pmu_thread *p)
{
	if (p->open && ps)
		ps->segments_lost++;
	p->open = 0;
}

/* A kernel entry: the open segment (if any) ends with counters `r`. */
static __always_inline void pmu_segment_end(struct iotax_pmu_stats *ps, struct pmu_thread *p,
					    struct pmu_reading *r)
{
	__u64 ins, cyc;
	__u32 label, b, idx;

	if (!p->open)
		return;
	p->open = 0;
	if (!ps || !pmu_read(ps, r))
		return;
	if (r->cpu != p->start.cpu || r->ins < p->start.ins || r->cyc < p->start.cyc) {
		ps->segments_lost++; /* it moved CPUs: a switch was not seen */
		return;
	}
	/* A counter that was multiplexed out for part of the segment missed
	 * some of it: leave the segment out rather than scale a guess. */
	if (r->ins_gap != p->start.ins_gap || r->cyc_gap != p->start.cyc_gap) {
		ps->segments_multiplexed++;
		return;
	}
	ins = r->ins - p->start.ins;
	cyc = r->cyc - p->start.cyc;
	ps->user_instructions += ins;
	ps->user_cycles += cyc;
	label = p->label;
	b = iotax_log2_bucket(ins);
	if (b > IOTAX_SEG_BUCKETS - 1)
		b = IOTAX_SEG_BUCKETS - 1;
	/* One flat index, bounded right where it is used, so the verifier sees
	 * the check on the very register that addresses the map value. */
	idx = label * IOTAX_SEG_BUCKETS + b;
	barrier_var(idx);
	if (idx < IOTAX_NSEG_LABELS * IOTAX_SEG_BUCKETS) {
		struct iotax_seg_bucket *sb = &ps->seg[0][0] + idx;

		sb->segments++;
		sb->instructions += ins;
		sb->cycles += cyc;
	}
}

#endif /* IOTAX_PMU_BPF_H */
