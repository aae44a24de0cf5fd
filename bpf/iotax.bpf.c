// SPDX-License-Identifier: GPL-2.0
/*
 * iotax kernel side: where the CPU and wall time of traced processes go.
 *
 * Seven tp_btf programs keep a small state machine per thread (task storage)
 * and add durations and counts into per-CPU, per-target maps that user space
 * sums when it reads. Nothing is sent per event: the hot path is a hash
 * lookup on the tgid, and for traced threads a few additions.
 *
 * Timeline of one thread, and where each interval goes:
 *   on CPU, no syscall ............ user_ns
 *   on CPU, inside a syscall ...... syscall_ns (+ call_oncpu of that call)
 *   switched out, still runnable .. offcpu[RUNQ_PREEMPTED] until switched in
 *   switched out, blocked ......... offcpu[reason of the call] until woken,
 *   woken (or new) ................ offcpu[RUNQ_WAKEUP] until switched in
 *
 * OVERHEAD (kernel 6.18 VM, 2 vCPUs; tests/probes/tracer_overhead_test.cc):
 * attaching makes every syscall on the machine take the traced slow path
 * (+~175 ns per getppid, of which ~130 ns is the tracepoint machinery itself,
 * measured with a trivial program); a traced thread pays ~60 ns more per
 * sys_enter/sys_exit pair. Targets' context switches and wakeups cost
 * ~300 ns per program run as measured by bpf_stats (which adds ~70 ns itself).
 * Tier 3 (iotax_pmu.bpf.h), when its counters are open, adds ~315 ns per
 * sys_enter/sys_exit of a traced thread with the software stand-ins (two
 * counter reads; tests/pmu/pmu_overhead_test.cc), and nothing when off.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "iotax.h"
#include "iotax_pmu.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader between open and load. */
const volatile bool follow_children = false;

#define PF_EXITING 0x00000004 /* include/linux/sched.h */
#define PF_IO_WORKER 0x00000010
#define TASK_DEAD 0x00000080
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* Thread state machine. STATE_FRESH is what zeroed task storage means. */
enum thread_run_state {
	STATE_FRESH = 0,   /* storage just created: nothing known yet */
	STATE_ON_CPU,
	STATE_OFF_BLOCKED, /* switched out voluntarily, waiting for a wakeup */
	STATE_OFF_PREEMPTED,
	STATE_OFF_WOKEN,   /* woken (or new), waiting for a CPU */
};

/* Values of thread_state.nr that are not syscall numbers. */
#define NR_USER (-1)        /* in user mode */
#define NR_UNKNOWN (-2)     /* first seen mid-flight (before attach): mode unknown */
#define NR_FORK_RETURN (-3) /* new thread, its first sys_exit returns from clone */

struct thread_state {
	__u64 ts;            /* start of the current on-CPU segment or off-CPU wait */
	__u64 enter_ts;      /* sys_enter of the current call */
	__u64 call_oncpu_ns; /* on-CPU time of the current call so far */
	__u64 wake_ts;       /* when the thread was woken (STATE_OFF_WOKEN) */
	__u64 sum_exec_ns;   /* task->se.sum_exec_runtime at its last switch in or out */
	__u32 slot;          /* the target slot this thread counts into */
	__s32 nr;            /* current syscall, or NR_* */
	__u8 cls;            /* enum iotax_class of the current call */
	__u8 blocked;        /* the current call switched out voluntarily */
	__u8 state;          /* enum thread_run_state */
	__u8 off_reason;     /* enum iotax_offcpu_reason while STATE_OFF_BLOCKED */
	struct pmu_thread pmu; /* tier 3: the user segment running now, if any */
};

/* tgid -> slot. Followed children share their parent's slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOTAX_MAX_TARGETS * 4);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOTAX_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct iotax_target_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iotax_self_stats);
} self_stats SEC(".maps");

/* Syscall number -> enum iotax_class or IOTAX_CLASS_FD_READ/FD_WRITE; filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IOTAX_MAX_SYSCALL_NR);
	__type(key, __u32);
	__type(value, __u8);
} syscall_class SEC(".maps");

/* Per-thread state; the kernel frees it with the task, so dead threads never leak. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} threads SEC(".maps");

/*
 * Counters are plain additions on per-CPU memory. All programs run with
 * preemption off (syscall tracepoints included, which guard their BPF probes
 * with preempt_notrace), so the only nesting on one CPU is a wakeup from an
 * interrupt during sys_enter/sys_exit, and the two touch different fields
 * except on the rare repair path (resync_running). No atomic instruction is
 * needed on the hot path.
 */

static __always_inline struct iotax_self_stats *self(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&self_stats, &zero);
}

static __always_inline void count_event(int probe)
{
	struct iotax_self_stats *s = self();

	if (s && probe >= 0 && probe < IOTAX_NPROBES)
		s->events[probe]++;
}

static __always_inline void count_drop(int reason)
{
	struct iotax_self_stats *s = self();

	if (s && reason >= 0 && reason < IOTAX_NDROP)
		s->dropped[reason]++;
}

/*
 * The stats `task` counts into, or NULL when it is not traced; *slot gets the
 * slot. Normally the tgid decides. Once the last thread of a group has passed
 * its exit event the tgid is gone from `targets` (so a reused PID is never
 * traced), yet threads that exited just before may still be switching out for
 * the last time: an exiting task that already has state keeps its slot.
 */
static __always_inline struct iotax_target_stats *task_target(struct task_struct *task, __u32 *slot)
{
	__u32 tgid = task->tgid;
	__u32 *s = bpf_map_lookup_elem(&targets, &tgid);

	if (s) {
		*slot = *s;
	} else {
		struct thread_state *t;

		if (!(task->flags & PF_EXITING))
			return NULL;
		t = bpf_task_storage_get(&threads, task, 0, 0);
		if (!t || t->state == STATE_FRESH)
			return NULL;
		*slot = t->slot;
	}
	return bpf_map_lookup_elem(&stats, slot);
}

static __always_inline struct thread_state *thread_state(struct task_struct *task, __u32 slot)
{
	struct thread_state *t;

	t = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count_drop(IOTAX_DROP_THREAD_STATE);
		return NULL;
	}
	t->slot = slot;
	return t;
}

static __always_inline void add_offcpu(struct iotax_target_stats *s, __u32 reason, __u64 ns)
{
	if (reason < IOTAX_NOFF)
		s->offcpu_ns[reason] += ns;
}

static __always_inline void add_runq(struct iotax_target_stats *s, __u32 reason, __u32 kind,
				     __u64 ns)
{
	__u32 b = iotax_log2_bucket(ns);

	add_offcpu(s, reason, ns);
	barrier_var(b);
	if (kind < 2 && b < IOTAX_HIST_BUCKETS)
		s->runq_hist[kind][b]++;
}

static __always_inline __u8 offcpu_reason_of(__u8 cls)
{
	switch (cls) {
	case IOTAX_CLASS_NET_READ:
	case IOTAX_CLASS_NET_WRITE:
	case IOTAX_CLASS_FILE_READ:
	case IOTAX_CLASS_FILE_WRITE:
	case IOTAX_CLASS_ACCEPT_CONNECT:
		return IOTAX_OFF_IO;
	case IOTAX_CLASS_POLL:
	case IOTAX_CLASS_IO_URING:
		return IOTAX_OFF_EVENT_WAIT;
	case IOTAX_CLASS_FUTEX:
		return IOTAX_OFF_FUTEX;
	case IOTAX_CLASS_SLEEP:
		return IOTAX_OFF_SLEEP;
	default:
		return IOTAX_OFF_OTHER;
	}
}

/* True when `fd` of the current task is a socket (fd table walk with CO-RE reads). */
static __always_inline bool fd_is_socket(struct task_struct *task, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;
	unsigned int max_fds;
	umode_t mode;

	if (!fdt)
		return false;
	max_fds = BPF_CORE_READ(fdt, max_fds);
	if (fd >= max_fds)
		return false;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return false;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	return (mode & S_IFMT) == S_IFSOCK;
}

static __always_inline __u8 classify(long id, struct pt_regs *regs)
{
	__u32 key = (__u32)id;
	__u8 *c;

	if (id < 0 || id >= IOTAX_MAX_SYSCALL_NR)
		return IOTAX_CLASS_OTHER;
	c = bpf_map_lookup_elem(&syscall_class, &key);
	if (!c)
		return IOTAX_CLASS_OTHER;
	if (*c == IOTAX_CLASS_FD_READ || *c == IOTAX_CLASS_FD_WRITE) {
		bool sock = fd_is_socket(bpf_get_current_task_btf(),
					 (__u64)PT_REGS_PARM1_CORE_SYSCALL(regs));

		if (*c == IOTAX_CLASS_FD_READ)
			return sock ? IOTAX_CLASS_NET_READ : IOTAX_CLASS_FILE_READ;
		return sock ? IOTAX_CLASS_NET_WRITE : IOTAX_CLASS_FILE_WRITE;
	}
	return *c < IOTAX_NCLASS ? *c : IOTAX_CLASS_OTHER;
}

/*
 * Tracepoints are not perfectly reliable: in some environments a context
 * switch is invisible to BPF (seen here on a VM whose init agent's switches
 * never reach any BPF program). A switch that was missed shows up as a thread
 * that leaves the CPU (or makes a syscall) while we think it is waiting, or
 * gets the CPU while we think it is running. The kernel's own run-time
 * counter, se.sum_exec_runtime, tells how long it really ran in between, so
 * the accounting is repaired and the repair counted (IOTAX_DROP_MISSED_SWITCH).
 */

static __always_inline bool waiting(const struct thread_state *t)
{
	return t->state == STATE_OFF_BLOCKED || t->state == STATE_OFF_PREEMPTED ||
	       t->state == STATE_OFF_WOKEN;
}

/* Ends the off-CPU wait of `t` at `end`, the moment it got a CPU. */
static __always_inline void close_wait(struct iotax_target_stats *s, struct thread_state *t,
				       __u64 end, bool io_worker)
{
	__u64 start = t->state == STATE_OFF_WOKEN ? t->wake_ts : t->ts;
	__u64 wait = end > start ? end - start : 0;

	if (io_worker)
		return; /* io_uring workers are kernel helpers: only their CPU time is of interest */
	if (t->state == STATE_OFF_PREEMPTED) {
		add_runq(s, IOTAX_OFF_RUNQ_PREEMPTED, 0, wait);
	} else if (t->state == STATE_OFF_WOKEN) {
		add_runq(s, IOTAX_OFF_RUNQ_WAKEUP, 1, wait);
	} else if (t->state == STATE_OFF_BLOCKED) {
		add_offcpu(s, t->off_reason, wait);
		count_drop(IOTAX_DROP_MISSED_WAKEUP);
	}
}

/* Adds an on-CPU segment of `delta` ns to where the thread was running. */
static __always_inline void add_oncpu(struct iotax_target_stats *s, struct thread_state *t,
				      __u64 delta, bool io_worker, bool involuntary)
{
	if (io_worker) {
		s->io_worker_ns += delta;
	} else if (t->nr >= 0) {
		t->call_oncpu_ns += delta;
		s->syscall_ns += delta;
	} else if (t->nr == NR_USER) {
		s->user_ns += delta;
	} else if (t->nr == NR_UNKNOWN && involuntary) {
		s->user_ns += delta; /* preempted, most likely computing in user mode */
	} else {
		s->syscall_ns += delta; /* blocked, so in the kernel; or leaving clone */
	}
}

static __always_inline __u64 ran_since_last_switch(struct task_struct *task, struct thread_state *t,
						   __u64 *sum_now)
{
	*sum_now = BPF_CORE_READ(task, se.sum_exec_runtime);
	return *sum_now > t->sum_exec_ns ? *sum_now - t->sum_exec_ns : 0;
}

/*
 * sys_enter/sys_exit run on the thread's CPU, so a waiting state means its
 * switch-in was missed. The run time since then (from sum_exec_runtime, at
 * most a tick stale for a running task) dates the switch-in.
 */
static __always_inline void resync_running(struct iotax_target_stats *s, struct thread_state *t,
					   struct task_struct *task, __u64 now)
{
	__u64 sum_now, ran;

	if (t->state == STATE_FRESH) {
		t->sum_exec_ns = BPF_CORE_READ(task, se.sum_exec_runtime);
		return;
	}
	if (!waiting(t))
		return;
	ran = ran_since_last_switch(task, t, &sum_now);
	if (ran > now)
		ran = 0;
	close_wait(s, t, now - ran, false);
	count_drop(IOTAX_DROP_MISSED_SWITCH);
	t->ts = now - ran;
	t->state = STATE_ON_CPU;
}

/* `prev` leaves the CPU: close its on-CPU segment and record why it left. */
static __always_inline void switch_out(struct iotax_target_stats *s, __u32 slot,
				       struct task_struct *prev, bool preempt,
				       unsigned int prev_state, __u64 now, struct pmu_reading *r)
{
	struct thread_state *t = thread_state(prev, slot);
	bool involuntary = preempt || prev_state == 0 /* TASK_RUNNING */;
	bool io_worker = BPF_CORE_READ(prev, flags) & PF_IO_WORKER;
	__u64 sum_now, ran;

	if (!t)
		return;
	if (pmu_enabled) {
		struct iotax_pmu_stats *pms = pmu_stats_of(slot);

		/* Leaving the CPU from user mode (preempted, or blocked in a page
		 * fault) ends the segment; an open one otherwise means a missed switch. */
		if (t->state == STATE_ON_CPU)
			pmu_segment_end(pms, &t->pmu, r);
		else
			pmu_segment_lose(pms, &t->pmu);
		if (involuntary && t->state != STATE_FRESH && t->nr >= 0)
			t->pmu.preempted_in_call = 1;
	}
	ran = ran_since_last_switch(prev, t, &sum_now);
	if (t->state == STATE_FRESH) {
		t->nr = NR_UNKNOWN; /* running since before attach: segment start unknown */
	} else if (t->state == STATE_ON_CPU) {
		add_oncpu(s, t, now - t->ts, io_worker, involuntary);
	} else {
		/* Its switch-in was missed: it got the CPU `ran` ns ago. */
		if (ran > now)
			ran = 0;
		close_wait(s, t, now - ran, io_worker);
		add_oncpu(s, t, ran, io_worker, involuntary);
		count_drop(IOTAX_DROP_MISSED_SWITCH);
	}
	t->sum_exec_ns = sum_now;
	t->ts = now;
	if (prev_state & TASK_DEAD) {
		t->state = STATE_OFF_BLOCKED; /* never runs again: not a switch worth counting */
		t->off_reason = IOTAX_OFF_OTHER;
		return;
	}
	if (involuntary) {
		s->involuntary_switches++;
		t->state = STATE_OFF_PREEMPTED;
	} else {
		s->voluntary_switches++;
		t->state = STATE_OFF_BLOCKED;
		if (t->nr >= 0) {
			t->blocked = 1;
			t->off_reason = offcpu_reason_of(t->cls);
		} else {
			t->off_reason = IOTAX_OFF_OTHER; /* page fault, or a call we did not see begin */
		}
	}
}

/* `next` gets the CPU: close its wait. */
static __always_inline void switch_in(struct iotax_target_stats *s, __u32 slot,
				      struct task_struct *next, __u64 now, struct pmu_reading *r)
{
	struct thread_state *t = thread_state(next, slot);
	bool io_worker = BPF_CORE_READ(next, flags) & PF_IO_WORKER;
	__u64 sum_now, ran;
	__u8 was;

	if (!t)
		return;
	was = t->state;
	ran = ran_since_last_switch(next, t, &sum_now);
	if (t->state == STATE_FRESH) {
		t->nr = NR_UNKNOWN; /* off CPU since before attach: wait start unknown */
	} else if (t->state == STATE_ON_CPU) {
		/* Its switch-out was missed: keep the run time, the wait's reason is unknown. */
		add_oncpu(s, t, ran, io_worker, true);
		count_drop(IOTAX_DROP_MISSED_SWITCH);
	} else {
		close_wait(s, t, now, io_worker);
	}
	if (pmu_enabled) {
		struct iotax_pmu_stats *pms = pmu_stats_of(slot);

		pmu_segment_lose(pms, &t->pmu); /* open only if its switch-out was missed */
		/* Switched out in user mode, so it goes straight back there. */
		if (!io_worker && was != STATE_FRESH && t->nr == NR_USER)
			pmu_segment_begin(pms, &t->pmu, r,
					  was == STATE_OFF_PREEMPTED ? IOTAX_SEG_AFTER_PREEMPTION
								    : IOTAX_SEG_AFTER_OTHER_SWITCH);
	}
	t->sum_exec_ns = sum_now;
	t->state = STATE_ON_CPU;
	t->ts = now;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(iotax_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 slot;
	struct iotax_target_stats *s = task_target(task, &slot);
	struct thread_state *t;
	__u64 now;

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SYS_ENTER);
	if (id >= 0 && id < IOTAX_MAX_SYSCALL_NR) {
		__u32 nr = (__u32)id;

		barrier_var(nr);
		if (nr < IOTAX_MAX_SYSCALL_NR)
			s->syscalls[nr]++;
	}
	t = thread_state(task, slot);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	resync_running(s, t, task, now);
	if (pmu_enabled) {
		struct pmu_reading r = {};

		pmu_segment_end(pmu_stats_of(slot), &t->pmu, &r);
		t->pmu.preempted_in_call = 0;
	}
	/* Entering a syscall means the segment since ts ran in user mode. */
	if (t->state == STATE_ON_CPU) {
		if (t->nr < 0)
			s->user_ns += now - t->ts;
		else /* a sys_exit we never saw: keep the time in the kernel */
			s->syscall_ns += now - t->ts;
	}
	t->nr = (__s32)id;
	t->cls = classify(id, regs);
	t->enter_ts = now;
	t->ts = now;
	t->call_oncpu_ns = 0;
	t->blocked = 0;
	t->state = STATE_ON_CPU;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(iotax_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 slot;
	struct iotax_target_stats *s = task_target(task, &slot);
	struct thread_state *t;
	__u64 now, delta = 0;

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SYS_EXIT);
	t = thread_state(task, slot);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	resync_running(s, t, task, now);
	if (t->state == STATE_ON_CPU)
		delta = now - t->ts;
	if (t->state == STATE_FRESH || t->nr == NR_USER || t->nr == NR_UNKNOWN) {
		/* The call began before we saw this thread: time only, no call. */
		s->syscall_ns += delta;
		count_drop(IOTAX_DROP_UNPAIRED_EXIT);
	} else if (t->nr == NR_FORK_RETURN) {
		s->syscall_ns += delta; /* a new thread leaving clone: not a call of its own */
	} else {
		__u32 cls = t->cls;
		__u64 wall = now - t->enter_ts;
		__u32 b = iotax_log2_bucket(wall);

		t->call_oncpu_ns += delta;
		s->syscall_ns += delta;
		barrier_var(cls);
		if (cls < IOTAX_NCLASS) {
			struct iotax_class_stats *c = &s->cls[cls];

			c->calls++;
			c->wall_ns += wall;
			c->oncpu_ns += t->call_oncpu_ns;
			if (t->blocked) {
				c->blocked_calls++;
				c->blocked_oncpu_ns += t->call_oncpu_ns;
			}
			barrier_var(b);
			if (b < IOTAX_HIST_BUCKETS)
				c->wall_hist[b]++;
		}
	}
	if (pmu_enabled) {
		struct pmu_reading r = {};
		__u8 label;

		if (t->nr == NR_FORK_RETURN)
			label = IOTAX_SEG_THREAD_START;
		else if (t->state == STATE_FRESH || t->nr < 0)
			label = IOTAX_SEG_AFTER_OTHER_SWITCH; /* the call began before we saw the thread */
		else if (t->blocked)
			label = IOTAX_SEG_AFTER_BLOCKED_SYSCALL;
		else if (t->pmu.preempted_in_call)
			label = IOTAX_SEG_AFTER_PREEMPTION;
		else
			label = IOTAX_SEG_AFTER_SYSCALL;
		pmu_segment_begin(pmu_stats_of(slot), &t->pmu, &r, label);
	}
	t->nr = NR_USER;
	t->ts = now;
	t->state = STATE_ON_CPU;
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(iotax_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	__u32 pslot, nslot;
	struct iotax_target_stats *ps = task_target(prev, &pslot);
	struct iotax_target_stats *ns = task_target(next, &nslot);
	__u64 now = 0;
	struct pmu_reading r = {}; /* read at most once, for both threads */

	/* Two separate tests: clang would merge `!ps && !ns` into a pointer OR,
	 * which the verifier rejects. */
	if (ps) {
		count_event(IOTAX_PROBE_SCHED_SWITCH);
		now = bpf_ktime_get_ns();
		switch_out(ps, pslot, prev, preempt, prev_state, now, &r);
	}
	if (ns) {
		if (!now) {
			count_event(IOTAX_PROBE_SCHED_SWITCH);
			now = bpf_ktime_get_ns();
		}
		switch_in(ns, nslot, next, now, &r);
	}
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(iotax_sched_wakeup, struct task_struct *p)
{
	__u32 slot;
	struct iotax_target_stats *s = task_target(p, &slot);
	struct thread_state *t;
	__u64 now;

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SCHED_WAKEUP);
	t = thread_state(p, slot);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	if (t->state == STATE_OFF_BLOCKED) {
		s->wakeups++;
		if (!(BPF_CORE_READ(p, flags) & PF_IO_WORKER))
			add_offcpu(s, t->off_reason, now - t->ts);
	} else if (t->state == STATE_FRESH) {
		s->wakeups++; /* blocked since before attach: the wait's start is unknown */
		t->nr = NR_UNKNOWN;
		t->sum_exec_ns = BPF_CORE_READ(p, se.sum_exec_runtime);
	} else {
		/* Woken before it got off the CPU (or run queue): no wait happened. */
		return 0;
	}
	t->wake_ts = now;
	t->state = STATE_OFF_WOKEN;
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(iotax_sched_wakeup_new, struct task_struct *p)
{
	__u32 slot;
	struct iotax_target_stats *s = task_target(p, &slot);
	struct thread_state *t;
	__u64 now;

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SCHED_WAKEUP_NEW);
	/* Counted here, not at fork: io_uring workers are created without a fork event. */
	s->threads_created++;
	t = thread_state(p, slot);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	t->nr = NR_FORK_RETURN;
	t->sum_exec_ns = BPF_CORE_READ(p, se.sum_exec_runtime);
	t->ts = now;
	t->wake_ts = now;
	t->state = STATE_OFF_WOKEN;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(iotax_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u32 *slot = bpf_map_lookup_elem(&targets, &ptgid);
	struct iotax_target_stats *s;
	__u32 key;

	if (!slot)
		return 0;
	count_event(IOTAX_PROBE_PROCESS_FORK);
	if (ctgid == ptgid || !follow_children)
		return 0; /* a new thread: counted at its first wakeup */
	key = *slot;
	if (bpf_map_update_elem(&targets, &ctgid, &key, BPF_NOEXIST)) {
		count_drop(IOTAX_DROP_TARGETS_FULL);
		return 0;
	}
	s = bpf_map_lookup_elem(&stats, &key);
	if (s)
		s->children_followed++;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(iotax_process_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid, slot;
	struct iotax_target_stats *s = task_target(p, &slot);

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_PROCESS_EXIT);
	s->threads_exited++;
	/* The last thread of the group: forget the tgid so a reused PID is never traced. */
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		bpf_map_delete_elem(&targets, &tgid);
	return 0;
}
