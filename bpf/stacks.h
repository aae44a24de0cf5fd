/* Shared between bpf/stacks.bpf.c and user space (probes/stack_tracer.cc):
 * where traced threads block (off-CPU stacks at each voluntary switch-out)
 * and where they run (stacks sampled by a CPU clock). */
#ifndef IOTAX_STACKS_H
#define IOTAX_STACKS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define IOTAX_STACK_DEPTH 127        /* frames per stack (the kernel's limit) */
#define IOTAX_STACK_TRACES 16384     /* distinct stacks kept */
#define IOTAX_STACK_KEYS 16384       /* distinct (thread, stacks, call) keys kept */
#define IOTAX_STACK_TARGETS 4096     /* processes whose stacks are taken */

/* Values in stack_targets: who put the process there. */
#define IOTAX_STACK_TARGET_USER 1    /* user space (a target, a service member) */
#define IOTAX_STACK_TARGET_CHILD 2   /* the kernel, at its fork (follow_children) */

/* What the descriptor a blocked call waits on is (from its inode's type). */
enum iotax_fd_kind {
	FD_KIND_NONE = 0,   /* the call has no descriptor argument */
	FD_KIND_SOCKET,
	FD_KIND_FILE,       /* regular file */
	FD_KIND_PIPE,       /* pipe or FIFO */
	FD_KIND_ANON,       /* anonymous inode: eventfd, timerfd, signalfd, epoll, io_uring */
	FD_KIND_CHAR,       /* character device (tty, ...) */
	FD_KIND_OTHER,
	FD_KIND_COUNT,
};

/* One off-CPU stack: a thread (by name) of a process blocked here. */
struct iotax_offcpu_key {
	/* The return address into whoever called the leaf function, found on
	 * the user stack: a leaf without a frame of its own (glibc's syscall
	 * wrappers) makes the frame-pointer walk skip its caller. 0: none. */
	__u64 leaf_caller;
	__u32 tgid;
	__s32 user_stack;    /* id in stack_traces, or < 0: none */
	__s32 kernel_stack;  /* id in stack_traces, or < 0: none (or not asked) */
	__s32 nr;            /* the syscall the thread was in, or -1 */
	__u32 fd_kind;       /* enum iotax_fd_kind */
	char comm[16];       /* the thread's name */
};

struct iotax_offcpu_value {
	__u64 blocks;        /* voluntary switch-outs with this key */
	__u64 offcpu_ns;     /* from switch-out to switch-in */
};

/* One on-CPU sample. */
struct iotax_oncpu_key {
	__u32 tgid;
	__s32 user_stack;
	__s32 kernel_stack;
	char comm[16];
};

/* Counters of what could not be kept, indexed by enum iotax_stack_drop. */
enum iotax_stack_drop {
	STACK_DROP_OFFCPU_KEYS = 0,  /* off-CPU key map full */
	STACK_DROP_ONCPU_KEYS,       /* on-CPU key map full */
	STACK_DROP_USER_STACK,       /* user stack not taken (map full, or no user context) */
	STACK_DROP_KERNEL_STACK,
	STACK_DROP_CHILDREN,         /* a forked child not followed (stack_targets full) */
	STACK_DROP_COUNT,
};

#endif
