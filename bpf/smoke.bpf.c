// SPDX-License-Identifier: GPL-2.0
/* Toolchain smoke test: counts syscalls entered by one process. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "smoke.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader between open and load. */
const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct smoke_counts);
} counts SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(smoke_sys_enter, struct pt_regs *regs, long id)
{
	__u32 key = 0;
	struct smoke_counts *c;

	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	c = bpf_map_lookup_elem(&counts, &key);
	if (c)
		__sync_fetch_and_add(&c->sys_enter, 1);
	return 0;
}
