// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Baselines for scripts/bench-page-alloc: programs that do nothing, on the
 * same kmem:mm_page_alloc attach points as kswaptrace's handler, so the
 * benchmark can report the handler's cost as a ratio to the attach cost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/*
 * Attached before every other program on the tracepoint. The programs on a
 * classic tracepoint run in attach order, and the first one pays for cache
 * lines that those after it find warm (a few ns on the build host): without
 * a leader, whichever measured program is attached first looks that much
 * slower. Reported separately as the position cost.
 */
SEC("tracepoint/kmem/mm_page_alloc")
int leader_tp_page_alloc(void *ctx)
{
	return 0;
}

SEC("tracepoint/kmem/mm_page_alloc")
int empty_tp_page_alloc(void *ctx)
{
	return 0;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(empty_btf_page_alloc)
{
	return 0;
}

/* the floor for any aggregating handler: one per-CPU counter increment */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} one_counter SEC(".maps");

SEC("tracepoint/kmem/mm_page_alloc")
int counter_tp_page_alloc(void *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&one_counter, &key);

	if (v)
		(*v)++;
	return 0;
}
