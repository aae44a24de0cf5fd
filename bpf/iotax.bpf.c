// SPDX-License-Identifier: GPL-2.0
/*
 * iotax kernel side: where the CPU and wall time of traced processes go.
 *
 * Seven tp_btf programs keep a small state machine per thread (task storage)
 * and add durations and counts into per-CPU, per-target maps that user space
 * sums when it reads. Nothing is sent per event: the hot path is one load
 * from a bitmap of traced tgids (other processes stop there), a task storage
 * lookup whose cached slot spares the tgid hash lookup, and for traced
 * threads a few additions (docs/overhead.md, "The hot path per event"). An iter/task
 * program, run by user space at each read, reports what running threads have
 * not closed yet.
 *
 * Timeline of one thread, and where each interval goes:
 *   on CPU, no syscall ............ user_ns
 *   on CPU, inside a syscall ...... syscall_ns (+ call_oncpu of that call)
 *   switched out, still runnable .. offcpu[RUNQ_PREEMPTED] until switched in
 *   switched out, blocked ......... offcpu[reason of the call] until woken,
 *   woken (or new) ................ offcpu[RUNQ_WAKEUP] until switched in
 * and at each switch-out the time on CPU is settled with the kernel's
 * se.sum_exec_runtime (see "On-CPU time" below): the scheduler charges a
 * woken thread from its wakeup, before our sched_switch.
 *
 * OVERHEAD (kernel 6.18 VM, 2 vCPUs; tests/probes/tracer_overhead_test.cc):
 * attaching makes every syscall on the machine take the traced slow path
 * (+~175 ns per getppid, of which ~130 ns is the tracepoint machinery itself,
 * measured with a trivial program); a traced thread pays ~60 ns more per
 * sys_enter/sys_exit pair. Targets' context switches and wakeups cost
 * ~300 ns per program run as measured by bpf_stats (which adds ~70 ns itself);
 * settling with the kernel's run time added no measurable cost (within 5 ns).
 * Each read runs the task iterator once per traced process: ~0.7-1.1 ms for a
 * process of 1,001 threads (tests/probes/tracer_cpu_agreement_test.cc).
 * What a wait waited for (issue 15) costs nothing per call: a blocked
 * poll-class call's exit adds its ready count and, for poll/ppoll, reads one
 * argument register; a read/write on a regular file reads one more pointer
 * (its superblock's magic) than one on a socket. getppid's sys_enter/sys_exit
 * run time was unchanged within noise (225-264 / 87-114 ns against main's
 * 218-306 / 86-107 ns, TracerOverhead.BpfRunTimePerEvent, same VM, same hour).
 * Tier 3 (iotax_pmu.bpf.h), when its counters are open, adds ~315 ns per
 * sys_enter/sys_exit of a traced thread with the software stand-ins (two
 * counter reads; tests/pmu/pmu_overhead_test.cc), and nothing when off.
 * The user-segment paths and the switch-ins of blocked calls (issue 14) add
 * no map lookup, only stores into the thread's and the target's entries
 * already at hand: bpf_stats medians of 3 against main, at load average
 * 11-13, sys_enter 225 -> 237 ns, sys_exit 84 -> 82 ns, sched_switch
 * (ping-pong) 174 -> 198 ns, sched_wakeup 140 -> 146 ns.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "iotax.h"
#include "iotax_pmu.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* kernel/bpf/helpers.c (6.2+): a number as a read-only BTF pointer, so its fields load directly. */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

/* Set by the loader between open and load. */
const volatile bool follow_children = false;

/*
 * Sampled tracing (iotaxd --sample): user space attaches the hot programs
 * (sys_enter, sys_exit, sched_switch, sched_wakeup) only for a share of each
 * period, and bumps this before every window. A thread whose state is from
 * an earlier window starts over as STATE_FRESH, exactly as at attach: what
 * it did while nothing was attached is unknown. Always 0 when not sampling.
 */
volatile __u32 window_epoch = 0;
/*
 * Set while user space attaches or detaches the hot programs one by one: a
 * partly attached set (syscalls seen, switches not) would count a call that
 * blocked as one that did not, with its sleep as CPU. They return at once
 * until all four are attached and the new epoch is set.
 */
volatile bool window_closed = false;
/* bpf_ktime_get_ns() when the current sampling window opened (0: not sampling). */
volatile __u64 window_start_ns = 0;
/*
 * How long after a window opens no user segment is put on its path (the
 * indirect part's means; every count and time is still counted). Reads that
 * find their data waiting cluster right after the opening, and the call after
 * them costs more there: with 200 ms windows the path's baseline came out
 * 0.9-2.2 us dearer than full tracing's of the same run and the saving 7-11
 * points lower; skipping the first 20 ms brought the saving's gap to a median
 * of 2 points (docs/experiments/model-error.md, section 6). Set by user space
 * when sampling; 0 otherwise.
 */
volatile __u64 path_settle_ns = 0;
/*
 * Generation of `targets`: user space bumps it after every change, and so
 * does the exit of a process's last thread. A thread caches its slot with the
 * generation it checked it against (traced_thread), so its events skip the
 * tgid hash lookup until `targets` changes. Starts at 1: zeroed state never matches.
 */
volatile __u32 targets_gen = 1;
/*
 * The hot programs' filter for everything else on the machine: bit `tgid` is
 * set (by user space, and at a followed fork) before the tgid enters
 * `targets`, and never cleared, so a clear bit means "not traced" after one
 * load, with no task storage or hash lookup. A set bit only means "look".
 * Bits are set with an atomic add, each at most once (tested first).
 */
__u64 traced_tgid_bits[IOTAX_TGID_BITMAP_WORDS];

#define PF_EXITING 0x00000004 /* include/linux/sched.h */
#define PF_IO_WORKER 0x00000010
#define TASK_DEAD 0x00000080
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFIFO 0010000
#define ANON_INODE_FS_MAGIC 0x09041934

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
#define NR_KERNEL (-2)      /* in the kernel, in a call that began before we saw the thread */
#define NR_FORK_RETURN (-3) /* new thread, its first sys_exit returns from clone */

/* Where the scheduler-charged extra of an on-CPU stretch goes (see reconcile_stretch). */
enum extra_target {
	EXTRA_SCHED = 0,    /* mode sched */
	EXTRA_CALL_OPEN,    /* the resumed blocked call, still running */
	EXTRA_CALL_DONE,    /* the resumed blocked call, completed in this stretch (class extra_cls) */
	EXTRA_SYSCALL,      /* syscall_ns only: the resumed call's exit was never seen */
	EXTRA_IO_WORKER,
	EXTRA_USER,         /* a stretch already running when tracing began */
};

/*
 * The fields a thread's lookup (traced_thread) and its wakeup touch come
 * first, within the cache line that holds the storage's own header: the
 * wakeup runs on the waker's CPU, so every other line it touched would move
 * between CPUs twice per request.
 */
struct thread_state {
	__u64 ts;            /* start of the current on-CPU segment or off-CPU wait */
	__u64 wake_ts;       /* when the thread was woken (STATE_OFF_WOKEN) */
	__u32 slot;          /* the target slot this thread counts into */
	__u32 epoch;         /* window_epoch when this state was begun */
	__u32 slot_gen;      /* targets_gen when `slot` was last checked against `targets` (0: never) */
	__u8 state;          /* enum thread_run_state */
	__u8 off_reason;     /* enum iotax_offcpu_reason while STATE_OFF_BLOCKED */
	__u8 cls;            /* enum iotax_class of the current call */
	__u8 blocked;        /* the current call switched out voluntarily */
	__u32 seq;           /* odd while the open segment changes (the task iterator reads it) */
	__s32 nr;            /* current syscall, or NR_* */
	__u8 mode;           /* enum iotax_cpu_mode of the open on-CPU segment */
	__u8 extra_to;       /* enum extra_target of the current stretch */
	__u8 extra_cls;      /* class of the resumed call (EXTRA_CALL_*) */
	__u8 futex_cmd;      /* the current futex call's command (op & 127), for IOTAX_CLASS_FUTEX */
	__u8 watch_nfds;     /* the current call is a poll/ppoll: its second argument counts the fds watched */
	__u8 useg_from;      /* 1 + 2 * class + blocked of the call before that segment; 0: none, or it was switched out */
	__u8 call_left_cpu;  /* the current call was switched out (blocked or preempted) */
	__u8 call_path;      /* 1 + the path_seg index the current call ended a segment of; 0: none */
	__u16 call_switch_ins; /* times the current call resumed after sleeping (begin_stretch) */
	__u8 polls;          /* the thread has waited in poll/epoll/select: its epoll_ctl calls are its own loop's */
	__u64 enter_ts;      /* sys_enter of the current call */
	__u64 call_oncpu_ns; /* on-CPU time of the current call so far */
	__u64 sum_exec_ns;   /* task->se.sum_exec_runtime at its last switch in or out */
	__u64 stretch_ns;    /* measured on-CPU ns of the closed segments since the switch-in */
	__u64 debt_ns;       /* measured ns the kernel charged to another thread: taken off the next segments */
	__u64 sleep_path_ns; /* call_oncpu_ns at the current call's first voluntary switch-out */
	__u64 resume_mark_ns; /* call_oncpu_ns at its last switch-in: the resume path runs from here */
	__u64 useg_ts;       /* sys_exit that opened the user segment running now (see count_user_path) */
	struct pmu_thread pmu; /* tier 3: the user segment running now, if any */
};

/* tgid -> slot. Followed children and a service's members share one slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOTAX_MAX_PROCESSES);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

/*
 * tgid -> bpf_ktime_get_ns() when user space began tracing it (written
 * before its `targets` entry). A thread on a CPU since before then counts
 * only what it ran after (see fresh_floor); followed children have none.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOTAX_MAX_PROCESSES);
	__type(key, __u32);
	__type(value, __u64);
} traced_since SEC(".maps");

/* slot -> 1 when processes forked by its members join it (a service), whatever follow_children says. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IOTAX_MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} slot_follows SEC(".maps");

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
		if (!t || t->state == STATE_FRESH || t->epoch != window_epoch)
			return NULL;
		*slot = t->slot;
	}
	return bpf_map_lookup_elem(&stats, slot);
}

/* Forgets a state left from an earlier sampling window (see window_epoch). */
static __always_inline void renew_if_stale(struct thread_state *t)
{
	__u32 epoch = window_epoch;

	if (t->epoch != epoch) {
		__builtin_memset(t, 0, sizeof(*t));
		t->epoch = epoch;
	}
}

static __always_inline struct thread_state *thread_state(struct task_struct *task, __u32 slot)
{
	struct thread_state *t;

	t = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count_drop(IOTAX_DROP_THREAD_STATE);
		return NULL;
	}
	renew_if_stale(t);
	t->slot = slot;
	return t;
}

/*
 * The filter's word that holds `tgid`'s bit. Tgids are below 2^22
 * (PID_MAX_LIMIT), so the mask folds no two together; it bounds the index
 * for the verifier.
 */
static __always_inline __u64 *tgid_word(__u32 tgid)
{
	return &traced_tgid_bits[(tgid >> 6) & (IOTAX_TGID_BITMAP_WORDS - 1)];
}

static __always_inline bool never_traced(__u32 tgid)
{
	return !(*tgid_word(tgid) & (1ULL << (tgid & 63)));
}

static __always_inline void mark_maybe_traced(__u32 tgid)
{
	__u64 *word = tgid_word(tgid);
	__u64 bit = 1ULL << (tgid & 63);

	if (!(*word & bit))
		__sync_fetch_and_add(word, bit);
}

/*
 * The hot programs' way in: *sp gets the stats `task` counts into (NULL when
 * it is not traced) and the result is its state (NULL when not traced, or
 * when it could not be created: counted as a drop). A thread whose state
 * holds a slot checked against the current `targets` (same targets_gen and
 * window_epoch) costs one task storage lookup and no hash lookup; any other
 * is decided by task_target followed by thread_state, and caches the slot.
 */
static __always_inline struct thread_state *traced_thread(struct task_struct *task,
							  struct iotax_target_stats **sp)
{
	struct thread_state *t;
	__u32 gen = targets_gen;
	__u32 slot;

	*sp = NULL;
	if (never_traced(task->tgid))
		return NULL;
	t = bpf_task_storage_get(&threads, task, 0, 0);
	if (t && t->slot_gen == gen && t->epoch == window_epoch) {
		slot = t->slot;
		*sp = bpf_map_lookup_elem(&stats, &slot);
		return *sp ? t : NULL;
	}
	*sp = task_target(task, &slot);
	if (!*sp)
		return NULL;
	t = thread_state(task, slot);
	if (t)
		t->slot_gen = gen; /* an exiting thread's slot holds as long as its state does */
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
	case IOTAX_CLASS_SYNC:
		return IOTAX_OFF_SYNC;
	default:
		return IOTAX_OFF_OTHER;
	}
}

/* Read/write-like classes, whose return value is the bytes moved. */
static __always_inline bool moves_bytes(__u32 cls)
{
	return cls == IOTAX_CLASS_NET_READ || cls == IOTAX_CLASS_NET_WRITE ||
	       cls == IOTAX_CLASS_FILE_READ || cls == IOTAX_CLASS_FILE_WRITE ||
	       cls == IOTAX_CLASS_SYNC;
}

/*
 * The class of a read (or write) on `fd` of the current task, by the kind of
 * its inode (fd table walk with CO-RE reads): a socket is network IO, a
 * regular file or block device file IO, a pipe, FIFO or anonymous inode
 * (eventfd, timerfd, signalfd) synchronisation between threads or processes,
 * anything else (ttys, /dev/null) other. Anonymous inodes carry S_IFREG on
 * newer kernels, so a regular file is told apart by its filesystem.
 */
static __always_inline __u8 fd_class(struct task_struct *task, __u64 fd, bool write)
{
	/* Direct loads through BTF pointers (the JIT's faulting loads, a NULL
	 * reads as 0), not bpf_probe_read_kernel calls: this runs on every
	 * read and write. The verifier types a `struct file **` as a number,
	 * so the fd array's slot is read as the first member of a struct
	 * whose first member is a `struct file *` (struct kiocb's ki_filp). */
	struct fdtable *fdt = task->files->fdt;
	struct kiocb *slot;
	struct file *file;
	struct inode *inode;
	umode_t mode;

	if (!fdt || fd >= fdt->max_fds)
		return IOTAX_CLASS_OTHER;
	slot = bpf_rdonly_cast((void *)(fdt->fd + fd), bpf_core_type_id_kernel(struct kiocb));
	file = slot->ki_filp;
	if (!file)
		return IOTAX_CLASS_OTHER;
	inode = file->f_inode;
	mode = inode->i_mode & S_IFMT;
	if (mode == S_IFSOCK)
		return write ? IOTAX_CLASS_NET_WRITE : IOTAX_CLASS_NET_READ;
	if ((mode == S_IFREG && inode->i_sb->s_magic != ANON_INODE_FS_MAGIC) || mode == S_IFBLK)
		return write ? IOTAX_CLASS_FILE_WRITE : IOTAX_CLASS_FILE_READ;
	if (mode == S_IFREG || mode == S_IFIFO || mode == 0)
		return IOTAX_CLASS_SYNC;
	return IOTAX_CLASS_OTHER;
}

/* The class of syscall `id`; *watch_nfds tells a poll/ppoll (see IOTAX_CLASS_POLL_NFDS). */
static __always_inline __u8 classify(struct task_struct *task, long id, struct pt_regs *regs, __u8 *watch_nfds)
{
	__u32 key = (__u32)id;
	__u8 *c;

	*watch_nfds = 0;
	if (id < 0 || id >= IOTAX_MAX_SYSCALL_NR)
		return IOTAX_CLASS_OTHER;
	c = bpf_map_lookup_elem(&syscall_class, &key);
	if (!c)
		return IOTAX_CLASS_OTHER;
	if (*c == IOTAX_CLASS_FD_READ || *c == IOTAX_CLASS_FD_WRITE)
		return fd_class(task, (__u64)PT_REGS_PARM1_SYSCALL(regs),
				*c == IOTAX_CLASS_FD_WRITE);
	if (*c == IOTAX_CLASS_POLL_NFDS) {
		*watch_nfds = 1;
		return IOTAX_CLASS_POLL;
	}
	return *c < IOTAX_NCLASS ? *c : IOTAX_CLASS_OTHER;
}

/*
 * At the exit of a wait that blocked: how many descriptors came back ready,
 * and for poll/ppoll how many were watched (the argument registers still
 * hold the call's arguments at sys_exit). Per block only, never per call.
 */
static __always_inline void count_blocked_wait(struct iotax_target_stats *s, const struct thread_state *t,
					       struct pt_regs *regs, long ret)
{
	if (ret < 0)
		return; /* interrupted: it waited for nothing in particular */
	s->waits.blocked_waits++;
	s->waits.ready += ret;
	if (t->watch_nfds) {
		s->waits.watched_waits++;
		s->waits.watched += (__u32)PT_REGS_PARM2_SYSCALL(regs);
	}
}

/*
 * On-CPU time, and why the kernel's clock has the last word.
 *
 * The tracepoints cut a thread's time on a CPU (a *stretch*, from switch-in
 * to switch-out) into *segments* at sys_enter and sys_exit. Each segment
 * counts into one mode (user, syscall, io_worker), fixed when it opens, and
 * is measured with bpf_ktime_get_ns().
 *
 * The kernel charges a thread se.sum_exec_runtime (what schedstat and the
 * thread CPU clocks show), and its boundaries are not the tracepoints: it
 * charges from the run-queue clock, and when a wakeup is about to preempt
 * (RQCF_REQ_SKIP) __schedule does not update that clock, so the thread that
 * gets the CPU is charged from the wakeup's enqueue on, and the one that
 * leaves stops being charged there. Woken on an idle CPU, the woken thread
 * pays the interrupt exit and idle exit (restarting the tick; several µs in
 * a VM) that run before our sched_switch; woken on a busy CPU, it pays the
 * previous thread's tail. Measured on the development VM (kernel 6.18, two
 * vCPUs): 7-14 µs per wakeup from idle, and the switched-in thread's
 * exec_start equal to the run-queue clock of its wakeup in 66-99% of them.
 *
 * So each stretch is reconciled at switch-out (reconcile_stretch): the
 * kernel's run time over the stretch minus the measured segments is the
 * extra. At sched_switch the outgoing thread's sum_exec_runtime is final:
 * __schedule ran update_curr for it (dequeue or put_prev) before the
 * tracepoint, and nothing charges it after (on 6.18 its exec_start equals
 * the run-queue clock at the tracepoint in 89% of a ping-pong's switches;
 * in the rest, newidle balancing moved the clock on, time no thread is
 * charged); the incoming thread's prev_sum_exec_runtime equals its
 * sum_exec_runtime (checked in all switch-ins). A positive extra goes
 *   - to the blocked call the stretch resumed (syscall_ns, and the class's
 *     oncpu and blocked_oncpu, also when the call completed meanwhile): the
 *     wakeup and switch-in path is part of what blocking costs (tier 2);
 *   - to io_worker_ns for io_uring workers;
 *   - else (resumed after preemption, a new thread's first run, a wakeup
 *     outside a traced call) to sched_ns.
 * A negative extra (the kernel charged part of our segments to the next
 * thread, or steal time) becomes debt that the thread's next segments pay
 * before they count. Counters only grow, and over time they add up to the
 * kernel's figure for every thread.
 *
 * A thread on a CPU when tracing began has no measured start: its stretch so
 * far is taken from the kernel (sum_exec_runtime - prev_sum_exec_runtime,
 * set at its switch-in), bounded by the time since tracing began
 * (fresh_floor), and counted as user time until its first syscall boundary
 * or switch. A thread that was runnable then counts from its switch-in, one
 * that was blocked as in the kernel until its first sys_exit.
 *
 * The segment still open when user space reads is reported by the task
 * iterator (iotax_task_iter); thread_state.seq lets it skip a thread whose
 * segment is changing under it.
 */

static __always_inline bool waiting(const struct thread_state *t)
{
	return t->state == STATE_OFF_BLOCKED || t->state == STATE_OFF_PREEMPTED ||
	       t->state == STATE_OFF_WOKEN;
}

/* Brackets every change of ts, mode, debt_ns or state of a thread on CPU (see the iterator). */
static __always_inline void seq_begin(struct thread_state *t)
{
	t->seq++;
	barrier();
}

static __always_inline void seq_end(struct thread_state *t)
{
	barrier();
	t->seq++;
}

static __always_inline void add_mode(struct iotax_target_stats *s, __u8 mode, __u64 ns)
{
	switch (mode) {
	case IOTAX_MODE_USER:
		s->user_ns += ns;
		break;
	case IOTAX_MODE_IO_WORKER:
		s->io_worker_ns += ns;
		break;
	case IOTAX_MODE_SCHED:
		s->sched_ns += ns;
		break;
	default:
		s->syscall_ns += ns;
	}
}

/* The mode of a segment that opens now. */
static __always_inline __u8 mode_of(const struct thread_state *t, bool io_worker)
{
	if (io_worker)
		return IOTAX_MODE_IO_WORKER;
	return t->nr == NR_USER ? IOTAX_MODE_USER : IOTAX_MODE_SYSCALL;
}

/* Counts `raw` measured ns of the open segment, less what the thread owes. */
static __always_inline void count_segment(struct iotax_target_stats *s, struct thread_state *t, __u64 raw)
{
	__u64 paid = raw < t->debt_ns ? raw : t->debt_ns;
	__u64 ns = raw - paid;

	t->debt_ns -= paid;
	t->stretch_ns += raw;
	add_mode(s, t->mode, ns);
	if (t->mode == IOTAX_MODE_SYSCALL && t->nr >= 0)
		t->call_oncpu_ns += ns;
}

static __always_inline void close_segment(struct iotax_target_stats *s, struct thread_state *t, __u64 now)
{
	count_segment(s, t, now > t->ts ? now - t->ts : 0);
}

/*
 * When tracing of `task` began: its process's attach or the sampling
 * window's start, whichever is later (0 if neither is known).
 */
static __always_inline __u64 fresh_floor(struct task_struct *task)
{
	__u32 tgid = task->tgid;
	__u64 *since = bpf_map_lookup_elem(&traced_since, &tgid);
	__u64 floor = window_start_ns;

	if (since && *since > floor)
		floor = *since;
	return floor;
}

/*
 * What a thread on CPU since before we saw it has run since tracing began:
 * its stretch so far as the kernel counts it, and no more than the time
 * since the floor (it ran without a break since its switch-in). The bound
 * keeps out what ran before attach or between sampling windows, whenever
 * the thread's first event comes.
 */
static __always_inline __u64 fresh_stretch_ns(struct task_struct *task, __u64 sum_now, __u64 now)
{
	__u64 start = task->se.prev_sum_exec_runtime;
	__u64 ns = sum_now > start ? sum_now - start : 0;
	__u64 floor = fresh_floor(task);

	if (floor != 0) {
		__u64 since = now > floor ? now - floor : 0;

		if (ns > since)
			ns = since;
	}
	return ns;
}

/* Counts that stretch (stale by up to a tick between switches) as user time (or io_worker); returns it. */
static __always_inline __u64 count_fresh_stretch(struct iotax_target_stats *s, struct task_struct *task,
						 bool io_worker, __u64 sum_now, __u64 now)
{
	__u64 ns = fresh_stretch_ns(task, sum_now, now);

	add_mode(s, io_worker ? IOTAX_MODE_IO_WORKER : IOTAX_MODE_USER, ns);
	return ns;
}

/* The thread got a CPU at `now` (its run time then: sum_at_start) after being in state `was`. */
static __always_inline void begin_stretch(struct thread_state *t, __u8 was, bool io_worker, __u64 now,
					  __u64 sum_at_start)
{
	if (io_worker) {
		t->extra_to = EXTRA_IO_WORKER;
	} else if (was != STATE_OFF_PREEMPTED && t->nr >= 0 && t->blocked) {
		t->extra_to = EXTRA_CALL_OPEN; /* resuming a call that blocked */
		t->extra_cls = t->cls;
		t->call_switch_ins++; /* the switch-in's sched_switch run is charged to the call (the extra) */
		t->resume_mark_ns = t->call_oncpu_ns;
	} else {
		t->extra_to = EXTRA_SCHED;
	}
	t->sum_exec_ns = sum_at_start;
	t->stretch_ns = 0;
	t->mode = mode_of(t, io_worker);
	t->ts = now;
	t->state = STATE_ON_CPU;
}

/* At switch-out: the kernel ran the thread `kernel_ran` ns over the stretch; settle the difference. */
static __always_inline void reconcile_stretch(struct iotax_target_stats *s, struct thread_state *t,
					      __u64 kernel_ran)
{
	__u64 extra;
	__u32 cls;

	if (kernel_ran < t->stretch_ns) {
		extra = t->stretch_ns - kernel_ran;
		t->debt_ns += extra;
		s->overcount_ns += extra;
		return;
	}
	extra = kernel_ran - t->stretch_ns;
	switch (t->extra_to) {
	case EXTRA_CALL_OPEN:
		t->call_oncpu_ns += extra; /* counted with the call at its sys_exit */
		s->syscall_ns += extra;
		s->resumed_extra_ns += extra;
		break;
	case EXTRA_CALL_DONE:
		cls = t->extra_cls;
		barrier_var(cls);
		if (cls < IOTAX_NCLASS) {
			s->cls[cls].oncpu_ns += extra;
			s->cls[cls].blocked_oncpu_ns += extra;
			s->cls[cls].resume_path_ns += extra; /* the wakeup's switch-in, charged late */
		}
		s->syscall_ns += extra;
		s->resumed_extra_ns += extra;
		break;
	case EXTRA_SYSCALL:
		s->syscall_ns += extra;
		break;
	case EXTRA_IO_WORKER:
		s->io_worker_ns += extra;
		break;
	case EXTRA_USER:
		s->user_ns += extra;
		break;
	default:
		s->sched_ns += extra;
	}
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

static __always_inline __u64 ran_since_last_switch(struct task_struct *task, struct thread_state *t,
						   __u64 *sum_now)
{
	*sum_now = task->se.sum_exec_runtime;
	return *sum_now > t->sum_exec_ns ? *sum_now - t->sum_exec_ns : 0;
}

/*
 * sys_enter/sys_exit run on the thread's CPU, so it is running now. A thread
 * not seen before gets its stretch so far counted (the rule above); a waiting
 * state means its switch-in was missed, and the run time since its last
 * switch-out (sum_exec_runtime, at most a tick stale) dates the switch-in.
 * Leaves the thread STATE_ON_CPU with an open segment.
 */
static __always_inline void resync_running(struct iotax_target_stats *s, struct thread_state *t,
					   struct task_struct *task, __u64 now, bool io_worker)
{
	__u64 sum_now, ran;

	if (t->state == STATE_ON_CPU)
		return; /* the common case: nothing missed */
	if (t->state == STATE_FRESH) {
		sum_now = task->se.sum_exec_runtime;
		ran = count_fresh_stretch(s, task, io_worker, sum_now, now);
		t->nr = NR_KERNEL; /* sys_enter overrides it; a sys_exit then pairs with nothing */
		begin_stretch(t, STATE_FRESH, io_worker, now, sum_now > ran ? sum_now - ran : 0);
		t->stretch_ns = ran;
		t->extra_to = io_worker ? EXTRA_IO_WORKER : EXTRA_USER;
		t->mode = io_worker ? IOTAX_MODE_IO_WORKER : IOTAX_MODE_USER;
		return;
	}
	if (!waiting(t))
		return;
	ran = ran_since_last_switch(task, t, &sum_now);
	if (ran > now)
		ran = 0;
	close_wait(s, t, now - ran, io_worker);
	count_drop(IOTAX_DROP_MISSED_SWITCH);
	begin_stretch(t, t->state, io_worker, now - ran, t->sum_exec_ns);
}

/* `prev` leaves the CPU: close its on-CPU stretch and record why it left. */
static __always_inline void switch_out(struct iotax_target_stats *s, struct thread_state *t,
				       struct task_struct *prev, bool preempt,
				       unsigned int prev_state, __u64 now, struct pmu_reading *r)
{
	bool involuntary = preempt || prev_state == 0 /* TASK_RUNNING */;
	bool io_worker = prev->flags & PF_IO_WORKER;
	__u64 sum_now, ran;

	if (pmu_enabled) {
		struct iotax_pmu_stats *pms = pmu_stats_of(t->slot);

		/* Leaving the CPU from user mode (preempted, or blocked in a page
		 * fault) ends the segment; an open one otherwise means a missed switch. */
		if (t->state == STATE_ON_CPU)
			pmu_segment_end(pms, &t->pmu, r);
		else
			pmu_segment_lose(pms, &t->pmu);
		if (involuntary && t->state != STATE_FRESH && t->nr >= 0)
			t->pmu.preempted_in_call = 1;
	}
	t->useg_from = 0; /* a switch-out cuts the user segment: it no longer measures user code alone */
	t->call_left_cpu = 1;
	/* Updated by the scheduler just before this tracepoint: exact for `prev`. */
	ran = ran_since_last_switch(prev, t, &sum_now);
	seq_begin(t);
	if (t->state == STATE_FRESH) {
		count_fresh_stretch(s, prev, io_worker, sum_now, now);
		/* Preempted on the way back to user mode (not inside the kernel:
		 * that is `preempt`), or blocked, hence in the kernel. */
		t->nr = involuntary && !preempt ? NR_USER : NR_KERNEL;
	} else if (t->state == STATE_ON_CPU) {
		close_segment(s, t, now);
		reconcile_stretch(s, t, ran);
	} else {
		/* Its switch-in was missed: it got the CPU `ran` ns ago. */
		if (ran > now)
			ran = 0;
		close_wait(s, t, now - ran, io_worker);
		t->mode = mode_of(t, io_worker);
		count_segment(s, t, ran);
		count_drop(IOTAX_DROP_MISSED_SWITCH);
	}
	t->sum_exec_ns = sum_now;
	t->ts = now;
	if (prev_state & TASK_DEAD) {
		t->state = STATE_OFF_BLOCKED; /* never runs again: not a switch worth counting */
		t->off_reason = IOTAX_OFF_OTHER;
	} else if (involuntary) {
		s->involuntary_switches++;
		t->state = STATE_OFF_PREEMPTED;
	} else {
		s->voluntary_switches++;
		t->state = STATE_OFF_BLOCKED;
		if (t->nr >= 0) {
			if (!t->blocked)
				t->sleep_path_ns = t->call_oncpu_ns; /* enter to first switch-out */
			t->blocked = 1;
			t->off_reason = offcpu_reason_of(t->cls);
		} else {
			t->off_reason = IOTAX_OFF_OTHER; /* page fault, or a call we did not see begin */
		}
	}
	seq_end(t);
}

/* `next` gets the CPU: close its wait, open a stretch. */
static __always_inline void switch_in(struct iotax_target_stats *s, struct thread_state *t,
				      struct task_struct *next, __u64 now, struct pmu_reading *r)
{
	bool io_worker = next->flags & PF_IO_WORKER;
	__u64 sum_now, ran;
	__u8 was;

	was = t->state;
	ran = ran_since_last_switch(next, t, &sum_now);
	seq_begin(t);
	if (was == STATE_FRESH) {
		/* Runnable since before attach (woken ones are not FRESH): most
		 * likely preempted in user mode. Its wait's start is unknown. */
		t->nr = NR_USER;
	} else if (was == STATE_ON_CPU) {
		/* Its switch-out was missed: the kernel's run time settles the
		 * stretch; the wait's reason is unknown. */
		add_mode(s, t->mode, ran > t->stretch_ns ? ran - t->stretch_ns : 0);
		count_drop(IOTAX_DROP_MISSED_SWITCH);
	} else {
		close_wait(s, t, now, io_worker);
	}
	if (pmu_enabled) {
		struct iotax_pmu_stats *pms = pmu_stats_of(t->slot);

		pmu_segment_lose(pms, &t->pmu); /* open only if its switch-out was missed */
		/* Switched out in user mode, so it goes straight back there. */
		if (!io_worker && was != STATE_FRESH && t->nr == NR_USER)
			pmu_segment_begin(pms, &t->pmu, r,
					  was == STATE_OFF_PREEMPTED ? IOTAX_SEG_AFTER_PREEMPTION
								    : IOTAX_SEG_AFTER_OTHER_SWITCH);
	}
	begin_stretch(t, was, io_worker, now, sum_now);
	seq_end(t);
}

/*
 * The indirect part without a PMU: a user segment that ran from a sys_exit to
 * this sys_enter without leaving the CPU counts into its path (class of the
 * call before, class of this one, whether the one before blocked). Segments
 * cut by a switch (preemption, a page fault that slept) were marked at
 * switch-out and are left out: their time is not the user code's alone.
 */
static __always_inline void count_user_path(struct iotax_target_stats *s, struct thread_state *t, __u32 next_cls,
					    __u64 now)
{
	__u32 from = t->useg_from;
	__u64 idx; /* 64-bit: a 32-bit index is zero-extended after its bounds check, which the verifier then forgets */
	__u64 ns, q;
	struct iotax_path_seg *p;

	t->useg_from = 0;
	t->call_path = 0;
	if (!from || next_cls >= IOTAX_PATH_CLASSES)
		return;
	if (now - window_start_ns < path_settle_ns)
		return; /* the window just opened (see path_settle_ns) */
	from -= 1; /* 2 * class before + blocked */
	/* One flat index, bounded once where the verifier can see it. */
	idx = ((__u64)(from >> 1) * IOTAX_PATH_CLASSES + next_cls) * 2 + (from & 1);
	barrier_var(idx);
	if (idx >= IOTAX_PATH_CLASSES * IOTAX_PATH_CLASSES * 2)
		return;
	ns = now > t->useg_ts ? now - t->useg_ts : 0;
	q = ns >> 4;
	if (q > (1ULL << 26))
		q = 1ULL << 26; /* keeps the sum of squares from wrapping; segments over ~1 s are not refills */
	p = &s->path_seg[0][0][0] + idx;
	p->segments++;
	p->ns += ns;
	p->sq_16ns += q * q;
	t->call_path = (__u8)(idx + 1); /* the call that starts now is the path's kernel half */
}

/*
 * The kernel half of a path: the call that ended a counted user segment, when
 * it ran from enter to exit without leaving the CPU (a call that slept or was
 * preempted holds more than its own work).
 */
static __always_inline void count_path_call(struct iotax_target_stats *s, struct thread_state *t)
{
	__u64 idx = t->call_path;
	__u64 ns = t->call_oncpu_ns, q;
	struct iotax_path_seg *p;

	t->call_path = 0;
	if (!idx || t->call_left_cpu)
		return;
	idx -= 1;
	barrier_var(idx);
	if (idx >= IOTAX_PATH_CLASSES * IOTAX_PATH_CLASSES * 2)
		return;
	q = ns >> 4;
	if (q > (1ULL << 26))
		q = 1ULL << 26;
	p = &s->path_seg[0][0][0] + idx;
	p->calls++;
	p->call_ns += ns;
	p->call_sq_16ns += q * q;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(iotax_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct iotax_target_stats *s;
	struct thread_state *t;
	__u64 now;

	if (window_closed)
		return 0;
	t = traced_thread(task, &s);
	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SYS_ENTER);
	if (id >= 0 && id < IOTAX_MAX_SYSCALL_NR) {
		__u32 nr = (__u32)id;

		barrier_var(nr);
		if (nr < IOTAX_MAX_SYSCALL_NR)
			s->syscalls[nr]++;
	}
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	seq_begin(t);
	resync_running(s, t, task, now, false);
	if (pmu_enabled) {
		struct pmu_reading r = {};

		pmu_segment_end(pmu_stats_of(t->slot), &t->pmu, &r);
		t->pmu.preempted_in_call = 0;
	}
	/* The segment since ts: user mode, or the kernel if a sys_exit was missed. */
	close_segment(s, t, now);
	if (t->extra_to == EXTRA_CALL_OPEN)
		t->extra_to = EXTRA_SYSCALL; /* the resumed call's exit was never seen */
	t->nr = (__s32)id;
	t->cls = classify(task, id, regs, &t->watch_nfds);
	if (t->cls == IOTAX_CLASS_POLL)
		t->polls = 1;
	else if (t->cls == IOTAX_CLASS_POLL_CTL && !t->polls)
		t->cls = IOTAX_CLASS_POLL_REARM; /* for another thread's wait: a hand-off */
	if (t->cls == IOTAX_CLASS_FUTEX)
		t->futex_cmd = (__u8)(PT_REGS_PARM2_SYSCALL(regs) & 127);
	count_user_path(s, t, t->cls, now);
	t->enter_ts = now;
	t->call_oncpu_ns = 0;
	t->call_switch_ins = 0;
	t->call_left_cpu = 0;
	t->sleep_path_ns = 0;
	t->resume_mark_ns = 0;
	t->blocked = 0;
	t->mode = IOTAX_MODE_SYSCALL;
	t->ts = now;
	seq_end(t);
	return 0;
}

/* include/uapi/linux/futex.h */
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_WAIT_REQUEUE_PI 11

/* A futex call ends: a queue wait that blocked, or a wake that woke someone (its return value). */
static __always_inline void count_futex(struct iotax_futex_stats *f, const struct thread_state *t, long ret)
{
	switch (t->futex_cmd) {
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAIT_REQUEUE_PI:
		if (t->blocked) {
			f->queue_blocked++;
			f->queue_blocked_oncpu_ns += t->call_oncpu_ns;
		}
		break;
	case FUTEX_WAKE:
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_WAKE_OP:
	case FUTEX_WAKE_BITSET:
		if (ret > 0) {
			f->woken += ret;
			f->wake_calls++;
			f->wake_oncpu_ns += t->call_oncpu_ns;
		}
		break;
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(iotax_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct iotax_target_stats *s;
	struct thread_state *t;
	__u64 now;

	if (window_closed)
		return 0;
	t = traced_thread(task, &s);
	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SYS_EXIT);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	seq_begin(t);
	resync_running(s, t, task, now, false);
	close_segment(s, t, now); /* adds to call_oncpu_ns when in a call */
	if (t->nr >= 0) {
		__u32 cls = t->cls;
		__u64 wall = now - t->enter_ts;
		__u32 b = iotax_log2_bucket(wall);

		barrier_var(cls);
		if (cls < IOTAX_NCLASS) {
			struct iotax_class_stats *c = &s->cls[cls];

			c->calls++;
			c->wall_ns += wall;
			c->oncpu_ns += t->call_oncpu_ns;
			if (t->blocked) {
				c->blocked_calls++;
				c->blocked_oncpu_ns += t->call_oncpu_ns;
				c->sleep_path_ns += t->sleep_path_ns;
				c->blocked_switch_ins += t->call_switch_ins;
				if (t->call_oncpu_ns > t->resume_mark_ns)
					c->resume_path_ns += t->call_oncpu_ns - t->resume_mark_ns;
				if (cls == IOTAX_CLASS_POLL)
					count_blocked_wait(s, t, regs, ret);
			}
			if (ret > 0 && moves_bytes(cls)) {
				if (t->blocked)
					c->blocked_bytes += ret;
				else
					c->nonblocked_bytes += ret;
			}
			barrier_var(b);
			if (b < IOTAX_HIST_BUCKETS)
				c->wall_hist[b]++;
			if (cls == IOTAX_CLASS_FUTEX)
				count_futex(&s->futex, t, ret);
		}
		count_path_call(s, t);
	} else if (t->nr == NR_USER || t->nr == NR_KERNEL) {
		/* The call began before we saw this thread: time only, no call. */
		count_drop(IOTAX_DROP_UNPAIRED_EXIT);
	} /* else NR_FORK_RETURN: a new thread leaving clone, not a call of its own */
	/* The user segment that opens now is on a path when the call was one of
	 * the path classes and either blocked or never left the CPU. */
	t->useg_from = 0;
	if (t->nr >= 0 && t->cls < IOTAX_PATH_CLASSES && (t->blocked || !t->call_left_cpu))
		t->useg_from = 1 + 2 * t->cls + (t->blocked ? 1 : 0);
	t->useg_ts = now;
	if (t->extra_to == EXTRA_CALL_OPEN)
		t->extra_to = EXTRA_CALL_DONE; /* the rest of the stretch's extra goes to its class */
	if (pmu_enabled) {
		struct pmu_reading r = {};
		__u8 label;

		if (t->nr == NR_FORK_RETURN)
			label = IOTAX_SEG_THREAD_START;
		else if (t->nr < 0)
			label = IOTAX_SEG_AFTER_OTHER_SWITCH; /* the call began before we saw the thread */
		else if (t->blocked)
			label = IOTAX_SEG_AFTER_BLOCKED_SYSCALL;
		else if (t->pmu.preempted_in_call)
			label = IOTAX_SEG_AFTER_PREEMPTION;
		else
			label = IOTAX_SEG_AFTER_SYSCALL;
		pmu_segment_begin(pmu_stats_of(t->slot), &t->pmu, &r, label);
	}
	t->nr = NR_USER;
	t->mode = IOTAX_MODE_USER;
	t->ts = now;
	seq_end(t);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(iotax_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct iotax_target_stats *ps, *ns;
	struct thread_state *pt, *nt;
	__u64 now = 0;
	struct pmu_reading r = {}; /* read at most once, for both threads */

	if (window_closed)
		return 0;
	pt = traced_thread(prev, &ps);
	nt = traced_thread(next, &ns);
	/* Two separate tests: clang would merge `!ps && !ns` into a pointer OR,
	 * which the verifier rejects. */
	if (ps) {
		count_event(IOTAX_PROBE_SCHED_SWITCH);
		now = bpf_ktime_get_ns();
		if (pt)
			switch_out(ps, pt, prev, preempt, prev_state, now, &r);
	}
	if (ns) {
		if (!now) {
			count_event(IOTAX_PROBE_SCHED_SWITCH);
			now = bpf_ktime_get_ns();
		}
		if (nt)
			switch_in(ns, nt, next, now, &r);
	}
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(iotax_sched_wakeup, struct task_struct *p)
{
	struct iotax_target_stats *s;
	struct thread_state *t;
	__u64 now;

	if (window_closed)
		return 0;
	t = traced_thread(p, &s);
	if (!s)
		return 0;
	count_event(IOTAX_PROBE_SCHED_WAKEUP);
	if (!t)
		return 0;
	/* Only waiting states change here, so the task iterator (which reads
	 * running threads) needs no seq bracket. The clock is read only when a
	 * wait ends here, not for a thread woken while still running. */
	if (t->state == STATE_OFF_BLOCKED) {
		now = bpf_ktime_get_ns();
		s->wakeups++;
		if (!(p->flags & PF_IO_WORKER))
			add_offcpu(s, t->off_reason, now - t->ts);
	} else if (t->state == STATE_FRESH && !p->on_cpu) {
		now = bpf_ktime_get_ns();
		s->wakeups++; /* blocked since before attach: the wait's start is unknown */
		t->nr = NR_KERNEL;
		t->sum_exec_ns = p->se.sum_exec_runtime;
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
	__u8 *follows;
	__u32 key;

	if (!slot)
		return 0;
	count_event(IOTAX_PROBE_PROCESS_FORK);
	if (ctgid == ptgid)
		return 0; /* a new thread: counted at its first wakeup */
	key = *slot;
	follows = bpf_map_lookup_elem(&slot_follows, &key);
	if (!follow_children && !(follows && *follows))
		return 0;
	mark_maybe_traced(ctgid);
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
	if (BPF_CORE_READ(p, signal, live.counter) == 0) {
		s->processes_exited++;
		bpf_map_delete_elem(&targets, &tgid);
		bpf_map_delete_elem(&traced_since, &tgid);
		__sync_fetch_and_add(&targets_gen, 1); /* threads that cached this slot look again */
	}
	return 0;
}

/*
 * Run by user space at every read, once per traced process (the iterator's
 * pid filter), right after it read `stats`: reports the running threads'
 * open segments, which no counter holds yet, so a busy thread's current
 * stretch is in the snapshot. A thread whose segment changes under it (seq
 * odd or moved) is left out of this read, and what it closed is not in the
 * counters user space just read either: a read can come out a little short,
 * never double counted (user space keeps its figures monotonic).
 *
 * It also gives every thread of the process its state (zeroed, STATE_FRESH:
 * the same as none), since it first runs at attach. Creating it later, at
 * the thread's first event, fails in bursts: one wake_up_all() of 100
 * threads blocked since before attach runs 100 sched_wakeup programs with
 * interrupts off, and the BPF allocator, which refills from an irq_work,
 * had room for about 4 (thread_state_alloc drops for the other 96).
 */
SEC("iter/task")
int iotax_task_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct iotax_open_cpu rec = {};
	struct thread_state *t;
	__u32 tgid, *slot, seq;
	__u64 ts, debt, raw;
	__u8 state, mode;

	if (!task)
		return 0;
	tgid = task->tgid;
	slot = bpf_map_lookup_elem(&targets, &tgid);
	if (!slot)
		return 0;
	count_event(IOTAX_PROBE_TASK_ITER);
	t = bpf_task_storage_get(&threads, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t)
		renew_if_stale(t);
	if (t && t->state == STATE_FRESH)
		t->slot = *slot;
	if (!task->on_cpu)
		return 0; /* not running: nothing open */
	rec.slot = *slot;
	seq = t ? *(volatile __u32 *)&t->seq : 0;
	if (seq & 1)
		return 0;
	barrier();
	state = t ? t->state : STATE_FRESH;
	ts = t ? t->ts : 0;
	debt = t ? t->debt_ns : 0;
	mode = t ? t->mode : 0;
	barrier();
	if (t && *(volatile __u32 *)&t->seq != seq)
		return 0;
	if (state == STATE_FRESH) {
		/* On CPU since before we saw it: the kernel's figure, counted as
		 * its first event will count it (count_fresh_stretch). */
		rec.mode = (task->flags & PF_IO_WORKER) ? IOTAX_MODE_IO_WORKER : IOTAX_MODE_USER;
		rec.ns = fresh_stretch_ns(task, task->se.sum_exec_runtime, bpf_ktime_get_ns());
	} else if (state == STATE_ON_CPU) {
		__u64 now = bpf_ktime_get_ns();

		raw = now > ts ? now - ts : 0;
		if (raw <= debt)
			return 0;
		rec.mode = mode;
		rec.ns = raw - debt;
	} else {
		return 0; /* between its switch-out and the end of the switch */
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
