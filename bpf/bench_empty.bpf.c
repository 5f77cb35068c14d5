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
