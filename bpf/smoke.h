/* Shared between smoke.bpf.c and its test: plain C, fixed-width types only. */
#ifndef IOTAX_BPF_SMOKE_H
#define IOTAX_BPF_SMOKE_H

struct smoke_counts {
	__u64 sys_enter; /* syscalls entered by the target tgid */
};

#endif
