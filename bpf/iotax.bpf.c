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
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "iotax.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader between open and load. */
const volatile bool follow_children = false;

#define PF_IO_WORKER 0x00000010 /* include/linux/sched.h */
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
	__s32 nr;            /* current syscall, or NR_* */
	__u8 cls;            /* enum iotax_class of the current call */
	__u8 blocked;        /* the current call switched out voluntarily */
	__u8 state;          /* enum thread_run_state */
	__u8 off_reason;     /* enum iotax_offcpu_reason while STATE_OFF_BLOCKED */
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
 * Counters are plain additions on per-CPU memory: programs that can nest on
 * one CPU (a wakeup from an interrupt during sys_enter) never touch the same
 * field, so no atomic instruction is needed on the hot path.
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

/* The stats of the slot tracing `tgid`, or NULL when it is not a target. */
static __always_inline struct iotax_target_stats *target_stats(__u32 tgid)
{
	__u32 *slot = bpf_map_lookup_elem(&targets, &tgid);
	__u32 key;

	if (!slot)
		return NULL;
	key = *slot;
	return bpf_map_lookup_elem(&stats, &key);
}

static __always_inline struct thread_state *thread_state(struct task_struct *task)
{
	struct thread_state *t;

	t = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		count_drop(IOTAX_DROP_THREAD_STATE);
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

SEC("tp_btf/sys_enter")
int BPF_PROG(iotax_sys_enter, struct pt_regs *regs, long id)
{
	struct iotax_target_stats *s = target_stats(bpf_get_current_pid_tgid() >> 32);
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
	t = thread_state(bpf_get_current_task_btf());
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
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
	struct iotax_target_stats *s = target_stats(bpf_get_current_pid_tgid() >> 32);
	struct thread_state *t;
	__u64 now, delta = 0;

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SYS_EXIT);
	t = thread_state(bpf_get_current_task_btf());
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
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
	t->nr = NR_USER;
	t->ts = now;
	t->state = STATE_ON_CPU;
	return 0;
}

/* `prev` leaves the CPU: close its on-CPU segment and record why it left. */
static __always_inline void switch_out(struct iotax_target_stats *s, struct task_struct *prev,
				       bool preempt, unsigned int prev_state, __u64 now)
{
	struct thread_state *t = thread_state(prev);
	bool involuntary = preempt || prev_state == 0 /* TASK_RUNNING */;
	bool io_worker = BPF_CORE_READ(prev, flags) & PF_IO_WORKER;

	if (!t)
		return;
	if (t->state == STATE_FRESH) {
		t->nr = NR_UNKNOWN; /* running since before attach: segment start unknown */
	} else if (t->state == STATE_ON_CPU) {
		__u64 delta = now - t->ts;

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
static __always_inline void switch_in(struct iotax_target_stats *s, struct task_struct *next,
				      __u64 now)
{
	struct thread_state *t = thread_state(next);
	bool io_worker = BPF_CORE_READ(next, flags) & PF_IO_WORKER;

	if (!t)
		return;
	if (io_worker) {
		/* io_uring workers are kernel helpers: only their CPU time is of interest. */
	} else if (t->state == STATE_FRESH) {
		t->nr = NR_UNKNOWN; /* off CPU since before attach: wait start unknown */
	} else if (t->state == STATE_OFF_PREEMPTED) {
		add_runq(s, IOTAX_OFF_RUNQ_PREEMPTED, 0, now - t->ts);
	} else if (t->state == STATE_OFF_WOKEN) {
		add_runq(s, IOTAX_OFF_RUNQ_WAKEUP, 1, now - t->wake_ts);
	} else if (t->state == STATE_OFF_BLOCKED) {
		add_offcpu(s, t->off_reason, now - t->ts);
		count_drop(IOTAX_DROP_MISSED_WAKEUP);
	}
	t->state = STATE_ON_CPU;
	t->ts = now;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(iotax_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct iotax_target_stats *ps = target_stats(prev->tgid);
	struct iotax_target_stats *ns = target_stats(next->tgid);
	__u64 now = 0;

	/* Two separate tests: clang would merge `!ps && !ns` into a pointer OR,
	 * which the verifier rejects. */
	if (ps) {
		count_event(IOTAX_PROBE_SCHED_SWITCH);
		now = bpf_ktime_get_ns();
		switch_out(ps, prev, preempt, prev_state, now);
	}
	if (ns) {
		if (!now) {
			count_event(IOTAX_PROBE_SCHED_SWITCH);
			now = bpf_ktime_get_ns();
		}
		switch_in(ns, next, now);
	}
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(iotax_sched_wakeup, struct task_struct *p)
{
	struct iotax_target_stats *s = target_stats(p->tgid);
	struct thread_state *t;
	__u64 now;

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SCHED_WAKEUP);
	t = thread_state(p);
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
	struct iotax_target_stats *s = target_stats(p->tgid);
	struct thread_state *t;
	__u64 now;

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SCHED_WAKEUP_NEW);
	/* Counted here, not at fork: io_uring workers are created without a fork event. */
	s->threads_created++;
	t = thread_state(p);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	t->nr = NR_FORK_RETURN;
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
	__u32 tgid = p->tgid;
	struct iotax_target_stats *s = target_stats(tgid);

	if (!s)
		return 0;
	count_event(IOTAX_PROBE_PROCESS_EXIT);
	s->threads_exited++;
	/* The last thread of the group: forget the tgid so a reused PID is never traced. */
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		bpf_map_delete_elem(&targets, &tgid);
	return 0;
}
