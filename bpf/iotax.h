/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one header shared by iotax.bpf.c and user space (probes/): plain C,
 * fixed-width types only. Every layout change here is a change on both sides.
 */
#ifndef IOTAX_BPF_IOTAX_H
#define IOTAX_BPF_IOTAX_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* __u64 and friends; BPF code gets them from vmlinux.h */
#endif

#define IOTAX_MAX_TARGETS 64      /* slots: separate targets traced at once (a service is one slot) */
#define IOTAX_MAX_PROCESSES 8192  /* processes counting into all slots at once (`targets` map; loader may change it) */
#define IOTAX_HIST_BUCKETS 40     /* log2 ns buckets, see below */
#define IOTAX_MAX_SYSCALL_NR 512  /* syscall numbers counted individually */
/*
 * traced_tgid_bits (iotax.bpf.c): one bit per tgid below 2^22 (the kernel's
 * PID_MAX_LIMIT), set for every process that is or was in `targets`.
 */
#define IOTAX_TGID_BITMAP_WORDS (1 << 16)

/*
 * Log2 histograms of nanoseconds. Bucket i counts values v with
 * 2^(i-1) < v <= 2^i (bucket 0: v <= 1), so 2^i ns is the Prometheus `le`
 * bound of bucket i: index = ceil(log2(v)), rounded up, never down. The last
 * bucket also takes everything larger (user space exports it as +Inf).
 *
 * Loop-free so the verifier sees straight-line code (after bcc's bits.bpf.h):
 * for v >= 2, ceil(log2(v)) = floor(log2(v - 1)) + 1.
 */
static inline __u32 iotax_log2_bucket(__u64 v)
{
	__u32 r, shift;

	if (v <= 1)
		return 0;
	v -= 1;
	r = (v > 0xFFFFFFFFULL) << 5;
	v >>= r;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (__u32)(v >> 1);
	r += 1;
	return r < IOTAX_HIST_BUCKETS ? r : IOTAX_HIST_BUCKETS - 1;
}

/* Syscall classes. Order and names are part of the metrics (see probes/). */
enum iotax_class {
	IOTAX_CLASS_NET_READ = 0,
	IOTAX_CLASS_NET_WRITE,
	IOTAX_CLASS_FILE_READ,  /* regular files and block devices; openat, io_submit/io_getevents */
	IOTAX_CLASS_FILE_WRITE, /* ... and fsync, fdatasync, sync_file_range */
	IOTAX_CLASS_ACCEPT_CONNECT,
	IOTAX_CLASS_POLL,       /* poll, select, epoll_wait and friends */
	IOTAX_CLASS_IO_URING,   /* io_uring_enter */
	IOTAX_CLASS_FUTEX,
	IOTAX_CLASS_SLEEP,      /* nanosleep, clock_nanosleep, pause */
	IOTAX_CLASS_OTHER,      /* also reads/writes on character devices (ttys, /dev/null) */
	IOTAX_CLASS_SYNC,       /* reads/writes on pipes, FIFOs, eventfd, timerfd, signalfd: synchronisation */
	IOTAX_CLASS_POLL_CTL,   /* epoll_ctl by a thread that waits in poll/epoll/select itself (an event loop's own) */
	IOTAX_CLASS_POLL_REARM, /* epoll_ctl by a thread that never waited there: it hands a descriptor to another
				 * thread's wait (a worker pool re-arms a one-shot connection per request) */
	IOTAX_NCLASS,
};

/*
 * Values of the syscall_class map that are resolved in the kernel by the
 * kind of the fd in the first argument: socket -> NET_*, regular file or
 * block device -> FILE_*, pipe or anonymous inode -> SYNC, else OTHER.
 */
#define IOTAX_CLASS_FD_READ 0x40
#define IOTAX_CLASS_FD_WRITE 0x41
/*
 * IOTAX_CLASS_POLL whose second argument is the number of descriptors
 * watched (poll, ppoll). select's nfds is the highest descriptor + 1, not a
 * count, and epoll_wait's maxevents is a buffer size: for those the watched
 * count stays unknown.
 */
#define IOTAX_CLASS_POLL_NFDS 0x42

/* Why a thread was off CPU. */
enum iotax_offcpu_reason {
	IOTAX_OFF_IO = 0,          /* blocked in a read/write/accept/connect-class call */
	IOTAX_OFF_EVENT_WAIT,      /* blocked in poll/epoll/select/io_uring_enter */
	IOTAX_OFF_FUTEX,
	IOTAX_OFF_SLEEP,
	IOTAX_OFF_OTHER,           /* other syscalls, or blocked outside a syscall (page fault) */
	IOTAX_OFF_RUNQ_PREEMPTED,  /* runnable after preemption, waiting for a CPU */
	IOTAX_OFF_RUNQ_WAKEUP,     /* woken (or new), waiting for a CPU */
	IOTAX_OFF_SYNC,            /* blocked reading or writing a pipe, eventfd, timerfd or signalfd */
	IOTAX_NOFF,
};

/* Things that happened but could not be fully accounted. */
enum iotax_drop_reason {
	IOTAX_DROP_THREAD_STATE = 0, /* per-thread storage could not be allocated */
	IOTAX_DROP_TARGETS_FULL,     /* a followed child could not be added to `targets` */
	IOTAX_DROP_UNPAIRED_EXIT,    /* sys_exit without its sys_enter (call began before attach) */
	IOTAX_DROP_MISSED_WAKEUP,    /* switched in from a block without a wakeup seen */
	IOTAX_DROP_MISSED_SWITCH,    /* a context switch never reached BPF; repaired from se.sum_exec_runtime */
	IOTAX_NDROP,
};

/* The programs (probes), in the order of the `events` counters. */
enum iotax_probe {
	IOTAX_PROBE_SYS_ENTER = 0,
	IOTAX_PROBE_SYS_EXIT,
	IOTAX_PROBE_SCHED_SWITCH,
	IOTAX_PROBE_SCHED_WAKEUP,
	IOTAX_PROBE_SCHED_WAKEUP_NEW,
	IOTAX_PROBE_PROCESS_FORK,
	IOTAX_PROBE_PROCESS_EXIT,
	IOTAX_PROBE_TASK_ITER,    /* iter/task, run by user space at each read */
	IOTAX_NPROBES,
};

/* Where on-CPU time is counted (the `mode` of the CPU metrics). */
enum iotax_cpu_mode {
	IOTAX_MODE_USER = 0,
	IOTAX_MODE_SYSCALL,
	IOTAX_MODE_IO_WORKER,
	IOTAX_MODE_SCHED,   /* charged by the scheduler around a switch, outside any traced call */
	IOTAX_NMODES,
};

/*
 * What the task iterator reports for each running thread of a target: the
 * on-CPU time of its current segment so far, which no counter holds yet.
 */
struct iotax_open_cpu {
	__u32 slot;
	__u32 mode; /* enum iotax_cpu_mode */
	__u64 ns;
};

struct iotax_class_stats {
	__u64 calls;             /* completed calls (enter and exit seen) */
	__u64 blocked_calls;     /* calls in which the thread switched out voluntarily */
	__u64 wall_ns;           /* sum of exit - enter */
	__u64 oncpu_ns;          /* on-CPU time inside completed calls */
	__u64 blocked_oncpu_ns;  /* the part of oncpu_ns spent in calls that blocked */
	/*
	 * The switch paths of blocked calls (the price of a block, tier 2):
	 * on-CPU from sys_enter to the first voluntary switch-out, and from the
	 * last switch-in (plus what the scheduler charged around the wakeup) back
	 * to sys_exit. One sched_switch timestamp ends prev's sleep path and
	 * begins next's resume path, so the whole switch is in one or the other.
	 */
	__u64 sleep_path_ns;
	__u64 resume_path_ns;
	/* Bytes moved (return value > 0) by read/write-class calls that blocked or not. */
	__u64 blocked_bytes;
	__u64 nonblocked_bytes;
	/*
	 * Times a blocked call was switched back in (once per block, more when
	 * it slept again or was preempted): each switch-in runs the tracer's
	 * sched_switch program on the call's CPU time, so the model can take the
	 * tracer's own time off the price of a block (bpf_stats ns per run x this).
	 */
	__u64 blocked_switch_ins;
	__u64 wall_hist[IOTAX_HIST_BUCKETS];
};

/*
 * What blocked waits (IOTAX_CLASS_POLL calls that switched out and returned
 * >= 0) waited for, counted at their exit: a wait that watches one socket and
 * wakes for one ready descriptor is a blocking design; an event loop gets
 * many per wake or watches many.
 */
struct iotax_wait_stats {
	__u64 blocked_waits;
	__u64 ready;          /* sum of their return values: descriptors ready */
	__u64 watched_waits;  /* of them, waits whose watched count is known (poll, ppoll) */
	__u64 watched;        /* descriptors those watched */
};

/*
 * The indirect part without a PMU: user segments (sys_exit to the next
 * sys_enter of the thread, not switched out in between) on one code path,
 * keyed by the class of the call before and the class of the call after,
 * and by whether the call before blocked. A segment after a blocked return
 * that runs longer than one after a non-blocked return on the same path
 * paid for refilling caches and TLB. Only these classes are paths; others
 * are not counted.
 */
#define IOTAX_PATH_CLASSES (IOTAX_CLASS_POLL + 1) /* net/file read/write, accept/connect, poll */

struct iotax_path_seg {
	__u64 segments;
	__u64 ns;       /* sum of segment durations */
	__u64 sq_16ns;  /* sum of squares of (ns / 16), capped: the spread of the mean */
	/*
	 * The kernel half: the call that ended the segment, when it never left
	 * the CPU (enter to exit on CPU). After a block it too runs on caches
	 * the other threads filled; a design with a thousand threads pays most
	 * of its refill here, not in user code.
	 */
	__u64 calls;
	__u64 call_ns;
	__u64 call_sq_16ns;
};

/*
 * Futex waits by what they wait for. glibc's mutexes wait with FUTEX_WAIT
 * (a contended lock); its condition variables and semaphores with
 * FUTEX_WAIT_BITSET: a thread waiting for work another thread hands it.
 */
struct iotax_futex_stats {
	__u64 queue_blocked;          /* FUTEX_WAIT_BITSET / WAIT_REQUEUE_PI calls that blocked */
	__u64 queue_blocked_oncpu_ns; /* their on-CPU time (entry, sleep path, resume path) */
	__u64 woken;                  /* waiters woken by the target's own FUTEX_WAKE* / *REQUEUE calls */
	__u64 wake_calls;             /* those wake calls (that woke someone) */
	__u64 wake_oncpu_ns;          /* their on-CPU time */
};

/* Per target process (slot), one copy per CPU (PERCPU_ARRAY); user space sums. */
struct iotax_target_stats {
	__u64 user_ns;        /* on CPU outside syscalls */
	__u64 syscall_ns;     /* on CPU inside syscalls (also calls still running) */
	__u64 io_worker_ns;   /* on CPU in io_uring worker threads (all kernel) */
	__u64 sched_ns;       /* charged by the scheduler around switches after preemption (see iotax.bpf.c) */
	__u64 resumed_extra_ns; /* the part of syscall_ns the scheduler charged when a blocked call resumed */
	__u64 overcount_ns;   /* measured at tracepoints but charged by the kernel to another thread */
	__u64 offcpu_ns[IOTAX_NOFF];
	__u64 runq_hist[2][IOTAX_HIST_BUCKETS]; /* [0] after preemption, [1] after wakeup */
	__u64 voluntary_switches;
	__u64 involuntary_switches;
	__u64 wakeups;
	__u64 threads_created;
	__u64 threads_exited;
	__u64 children_followed;
	__u64 processes_exited; /* processes of the slot whose last thread exited */
	struct iotax_class_stats cls[IOTAX_NCLASS];
	struct iotax_futex_stats futex;
	struct iotax_wait_stats waits;
	/* [class before][class after][0 not blocked, 1 blocked] */
	struct iotax_path_seg path_seg[IOTAX_PATH_CLASSES][IOTAX_PATH_CLASSES][2];
	__u64 syscalls[IOTAX_MAX_SYSCALL_NR]; /* entries per syscall number */
};

/* Agent-wide self-observation, one copy per CPU. */
struct iotax_self_stats {
	__u64 events[IOTAX_NPROBES];  /* program runs that concerned a target */
	__u64 dropped[IOTAX_NDROP];
};

/*
 * Tier 3 (PMU). A user segment runs from a return to user mode (sys_exit, or
 * being switched in) to the next kernel entry seen (sys_enter, or being
 * switched out); its user-mode instructions and cycles come from per-CPU
 * counters read at those points. Segments are labelled by what preceded them.
 */
#define IOTAX_SEG_BUCKETS 32 /* log2 buckets of instructions per segment, same rounding as above */

enum iotax_seg_label {
	IOTAX_SEG_AFTER_BLOCKED_SYSCALL = 0, /* the syscall switched out voluntarily */
	IOTAX_SEG_AFTER_SYSCALL,             /* the syscall returned without switching out */
	IOTAX_SEG_AFTER_PREEMPTION,          /* switched in after an involuntary switch */
	IOTAX_SEG_THREAD_START,              /* a new thread's first return from clone */
	IOTAX_SEG_AFTER_OTHER_SWITCH,        /* blocked outside a syscall (page fault), or unknown */
	IOTAX_NSEG_LABELS,
};

struct iotax_seg_bucket {
	__u64 segments;
	__u64 instructions;
	__u64 cycles;
};

/* Per target (slot), one copy per CPU (PERCPU_ARRAY `pmu_stats`). */
struct iotax_pmu_stats {
	__u64 user_instructions;    /* sums over completed segments */
	__u64 user_cycles;
	__u64 segments_multiplexed; /* left out: a counter was not running for all of it */
	__u64 segments_lost;        /* left out: it ended on another CPU, or a switch was missed */
	__u64 read_errors;          /* bpf_perf_event_read_value failed */
	struct iotax_seg_bucket seg[IOTAX_NSEG_LABELS][IOTAX_SEG_BUCKETS];
};

#endif /* IOTAX_BPF_IOTAX_H */
