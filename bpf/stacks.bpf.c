// SPDX-License-Identifier: GPL-2.0
/*
 * iotax stacks: where traced threads block and where they run.
 *
 * Off-CPU: at each *voluntary* switch-out of a traced thread (it blocked,
 * not preempted) the user stack (and, when asked, the kernel stack) is taken
 * into a stack-trace map, with the syscall the thread is in and what kind of
 * descriptor that call's first argument is; at its next switch-in the time
 * in between is added to that key. Everything is aggregated here; user
 * space reads the maps once at the end. Only blocked switch-outs pay for a
 * stack, not every syscall.
 *
 * On-CPU: a perf_event program on a software CPU clock at a fixed frequency
 * on every CPU counts a traced thread's stacks.
 *
 * OVERHEAD: one bpf_get_stackid per blocked switch-out and per sample (the
 * user stack walk: frame pointers only); docs/overhead.md has the measured
 * figure. Loaded only when asked for (iotax report --stacks).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "stacks.h"

char LICENSE[] SEC("license") = "GPL";

const volatile bool kernel_stacks = false;
/* Processes a traced process forks join stack_targets here, at the fork. */
const volatile bool follow_children = false;

/* tgid -> IOTAX_STACK_TARGET_*: the processes whose stacks are taken. User
 * space keeps its own entries; followed children are added at their fork and
 * removed when their last thread exits (so a reused PID is never traced). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOTAX_STACK_TARGETS);
	__type(key, __u32);
	__type(value, __u8);
} stack_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, IOTAX_STACK_TRACES);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, IOTAX_STACK_DEPTH * sizeof(__u64));
} stack_traces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOTAX_STACK_KEYS);
	__type(key, struct iotax_offcpu_key);
	__type(value, struct iotax_offcpu_value);
} offcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IOTAX_STACK_KEYS);
	__type(key, struct iotax_oncpu_key);
	__type(value, __u64);
} oncpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STACK_DROP_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stack_drops SEC(".maps");

/* A blocked thread: when it switched out and under which key. */
struct blocked_at {
	__u64 ts;
	struct iotax_offcpu_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct blocked_at);
} blocked SEC(".maps");

static __always_inline void drop(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&stack_drops, &what);

	if (n)
		*n += 1;
}

static __always_inline bool traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&stack_targets, &tgid) != NULL;
}

/* The syscalls whose first argument is the descriptor they wait on. */
static __always_inline bool fd_first_arg(long nr)
{
#if defined(__TARGET_ARCH_x86)
	switch (nr) {
	case 0: case 1: case 17: case 18: case 19: case 20:   /* read write pread64 pwrite64 readv writev */
	case 42: case 43: case 44: case 45: case 46: case 47: /* connect accept sendto recvfrom sendmsg recvmsg */
	case 74: case 75: case 277: case 288: case 295: case 296: /* fsync fdatasync sync_file_range accept4 preadv pwritev */
	case 232: case 281: case 426: case 441:               /* epoll_wait epoll_pwait io_uring_enter epoll_pwait2 */
	case 299: case 307: case 327: case 328:               /* recvmmsg sendmmsg preadv2 pwritev2 */
		return true;
	}
#endif
	return false;
}

static __always_inline __u32 fd_kind(struct task_struct *task, long fd)
{
	struct files_struct *files = BPF_CORE_READ(task, files);
	struct fdtable *fdt;
	struct file **fds, *file;
	unsigned int max;
	umode_t mode;

	if (!files || fd < 0)
		return FD_KIND_NONE;
	fdt = BPF_CORE_READ(files, fdt);
	max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max)
		return FD_KIND_NONE;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_core_read(&file, sizeof(file), &fds[fd]) || !file)
		return FD_KIND_NONE;
	/* eventfd, timerfd, signalfd, epoll and io_uring files live on the
	 * anonymous-inode filesystem, whatever mode its inodes carry. */
	if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) == 0x09041934 /* ANON_INODE_FS_MAGIC */)
		return FD_KIND_ANON;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	switch (mode & 00170000) {
	case 0140000: return FD_KIND_SOCKET;
	case 0100000: return FD_KIND_FILE;
	case 0010000: return FD_KIND_PIPE;
	case 0020000: return FD_KIND_CHAR;
	case 0: return FD_KIND_ANON;
	}
	return FD_KIND_OTHER;
}

/*
 * The first word of the top of the user stack that is a return address:
 * the instruction before it is a call (e8 rel32, or ff 15 rel32 through the
 * GOT). A syscall wrapper keeps at most a few words on the stack above its
 * return address.
 */
static __always_inline __u64 leaf_caller(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	__u64 sp = BPF_CORE_READ(regs, sp);

	for (int i = 0; i < 8; i++) {
		unsigned char code[6];
		__u64 w;

		if (bpf_probe_read_user(&w, sizeof(w), (void *)(sp + i * 8)))
			return 0;
		if (w < 0x10000 || w >= 0x800000000000ULL)
			continue;
		if (bpf_probe_read_user(code, sizeof(code), (void *)(w - 6)))
			continue;
		if (code[1] == 0xe8 || (code[0] == 0xff && code[1] == 0x15))
			return w;
	}
#endif
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(stacks_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct blocked_at *b;

	/* prev blocked: take its stacks now (prev is the current task). */
	if (!preempt && BPF_CORE_READ(prev, __state) != 0 && traced(prev->tgid)) {
		b = bpf_task_storage_get(&blocked, prev, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (b) {
			struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);
			long nr = -1;

			__builtin_memset(&b->key, 0, sizeof(b->key));
			b->key.tgid = prev->tgid;
			b->key.user_stack = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
			if (b->key.user_stack < 0)
				drop(STACK_DROP_USER_STACK);
			b->key.kernel_stack = -1;
			if (kernel_stacks) {
				b->key.kernel_stack = bpf_get_stackid(ctx, &stack_traces, 0);
				if (b->key.kernel_stack < 0)
					drop(STACK_DROP_KERNEL_STACK);
			}
#if defined(__TARGET_ARCH_x86)
			if (regs)
				nr = BPF_CORE_READ(regs, orig_ax);
#endif
			b->key.nr = (__s32)nr;
			b->key.fd_kind = FD_KIND_NONE;
#if defined(__TARGET_ARCH_x86)
			/* io_uring_enter with IORING_ENTER_REGISTERED_RING (flags,
			 * the 4th argument, in r10) takes a ring index, not an fd. */
			if (nr == 426 && regs && (BPF_CORE_READ(regs, r10) & (1U << 4)))
				b->key.fd_kind = FD_KIND_ANON;
			else if (regs && fd_first_arg(nr))
				b->key.fd_kind = fd_kind(prev, (long)(int)BPF_CORE_READ(regs, di));
			if (regs && b->key.user_stack >= 0)
				b->key.leaf_caller = leaf_caller(regs);
#endif
			bpf_probe_read_kernel_str(b->key.comm, sizeof(b->key.comm), prev->comm);
			b->ts = bpf_ktime_get_ns();
		}
	}

	/* next resumes: its time off CPU since it blocked goes to that key. */
	b = bpf_task_storage_get(&blocked, next, NULL, 0);
	if (b && b->ts) {
		__u64 delta = bpf_ktime_get_ns() - b->ts;
		struct iotax_offcpu_value *v = bpf_map_lookup_elem(&offcpu, &b->key);

		b->ts = 0;
		if (!v) {
			struct iotax_offcpu_value zero = {};

			bpf_map_update_elem(&offcpu, &b->key, &zero, BPF_NOEXIST);
			v = bpf_map_lookup_elem(&offcpu, &b->key);
			if (!v) {
				drop(STACK_DROP_OFFCPU_KEYS);
				return 0;
			}
		}
		__sync_fetch_and_add(&v->blocks, 1);
		__sync_fetch_and_add(&v->offcpu_ns, delta);
	}
	return 0;
}

/* Loaded only with follow_children. A new thread of a traced process is
 * traced already (same tgid); a new process joins. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(stacks_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ctgid = child->tgid;
	__u8 followed = IOTAX_STACK_TARGET_CHILD;

	if (ctgid == parent->tgid || !traced(parent->tgid))
		return 0;
	if (bpf_map_update_elem(&stack_targets, &ctgid, &followed, BPF_NOEXIST) &&
	    !traced(ctgid))
		drop(STACK_DROP_CHILDREN);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(stacks_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid;
	__u8 *who = bpf_map_lookup_elem(&stack_targets, &tgid);

	/* The last thread of a followed child: forget it. */
	if (who && *who == IOTAX_STACK_TARGET_CHILD && BPF_CORE_READ(p, signal, live.counter) == 0)
		bpf_map_delete_elem(&stack_targets, &tgid);
	return 0;
}

SEC("perf_event")
int stacks_sample(struct bpf_perf_event_data *ctx)
{
	struct iotax_oncpu_key key = {};
	__u64 *n, one = 1;

	key.tgid = bpf_get_current_pid_tgid() >> 32;
	if (!key.tgid || !traced(key.tgid))
		return 0;
	key.user_stack = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
	if (key.user_stack < 0)
		drop(STACK_DROP_USER_STACK);
	key.kernel_stack = -1;
	if (kernel_stacks) {
		key.kernel_stack = bpf_get_stackid(ctx, &stack_traces, 0);
		if (key.kernel_stack < 0)
			drop(STACK_DROP_KERNEL_STACK);
	}
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	n = bpf_map_lookup_elem(&oncpu, &key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return 0;
	}
	/* New key; another CPU may have added it in between. */
	if (!bpf_map_update_elem(&oncpu, &key, &one, BPF_NOEXIST))
		return 0;
	n = bpf_map_lookup_elem(&oncpu, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		drop(STACK_DROP_ONCPU_KEYS);
	return 0;
}
