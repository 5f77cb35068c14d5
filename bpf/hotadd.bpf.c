// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kswaptrace kernel side, memory hot-add family (issue 6).
 *
 * Every probe here is optional. User space opens one instance of this
 * object per probe it plans (bpf_program__set_autoload), so a function that
 * is inlined, a missing tracepoint or a CO-RE mismatch costs only that probe,
 * never the core vmscan tracing of bpf/kswaptrace.bpf.c.
 *
 * One handler body per event; the attach-type twins below only unpack
 * their arguments:
 *   add_memory_resource, online_pages:  fentry, else kprobe
 *   setup_per_zone_wmarks:              fexit, else kretprobe (after the recompute)
 *   kmem:mm_setup_per_zone_wmarks,
 *   kmem:mm_setup_per_zone_lowmem_reserve: tp_btf, else classic tracepoint
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "hotadd_abi.h"

char LICENSE[] SEC("license") = "GPL";

/* set by user space before load */
const volatile __u32 page_shift = 12;
/* online_pages()'s third argument is a struct zone * (5.12+); before that an int */
const volatile bool online_pages_has_zone = true;

#define KST_MAX_ZONES 8

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* Last values emitted per (node, zone, upper zone): on some kernels the
 * watermark tracepoints fire for every page a balloon releases. */
struct wm_key {
	__s32 nid;
	__u32 kind;
	char zone[KST_HA_NAME_LEN];
	char upper_zone[KST_HA_NAME_LEN];
};

struct wm_val {
	__u64 a, b, c;
	__s64 managed;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, struct wm_key);
	__type(value, struct wm_val);
} last_wm SEC(".maps");

static __always_inline struct kst_ha_rec *reserve(__u16 kind, __u8 via)
{
	struct kst_ha_rec *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (!r)
		return NULL;
	__builtin_memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->size = sizeof(*r);
	r->via = via;
	r->ts_ns = bpf_ktime_get_ns();
	r->nid = -1;
	r->zid = -1;
	r->managed = -1;
	r->present = -1;
	return r;
}

/* node, zone index, name and counters of a struct zone */
static __always_inline void read_zone(struct kst_ha_rec *r, struct zone *zone)
{
	struct pglist_data *pgdat;
	__u64 base, zsz, addr = 0;
	const char *name;

	if (!zone)
		return;
	/* the verifier forbids arithmetic on a BTF pointer: take its value as a number */
	bpf_probe_read_kernel(&addr, sizeof(addr), &zone);
	pgdat = BPF_CORE_READ(zone, zone_pgdat);
	if (pgdat) {
		r->nid = BPF_CORE_READ(pgdat, node_id);
		base = (__u64)pgdat + bpf_core_field_offset(struct pglist_data, node_zones);
		zsz = bpf_core_type_size(struct zone);
		if (zsz && addr >= base && (addr - base) / zsz < KST_MAX_ZONES)
			r->zid = (addr - base) / zsz;
	}
	name = BPF_CORE_READ(zone, name);
	if (name)
		bpf_probe_read_kernel_str(r->zone, sizeof(r->zone), name);
	r->managed = BPF_CORE_READ(zone, managed_pages.counter);
	r->present = BPF_CORE_READ(zone, present_pages);
}

/* true when (key, values) differ from what was last emitted */
static __always_inline bool changed(struct kst_ha_rec *r, __u64 a, __u64 b, __u64 c)
{
	struct wm_key k = {};
	struct wm_val v = { .a = a, .b = b, .c = c, .managed = r->managed };
	struct wm_val *old;

	k.nid = r->nid;
	k.kind = r->kind;
	__builtin_memcpy(k.zone, r->zone, sizeof(k.zone));
	__builtin_memcpy(k.upper_zone, r->upper_zone, sizeof(k.upper_zone));
	old = bpf_map_lookup_elem(&last_wm, &k);
	if (old && old->a == a && old->b == b && old->c == c && old->managed == v.managed)
		return false;
	bpf_map_update_elem(&last_wm, &k, &v, BPF_ANY);
	return true;
}

static __always_inline int on_add_memory(__u8 via, int nid, struct resource *res)
{
	struct kst_ha_rec *r = reserve(KST_HA_ADD_MEMORY, via);
	__u64 start, end;

	if (!r)
		return 0;
	r->nid = nid;
	if (res) {
		start = BPF_CORE_READ(res, start);
		end = BPF_CORE_READ(res, end); /* inclusive */
		r->start_pfn = start >> page_shift;
		if (end >= start)
			r->nr_pages = (end - start + 1) >> page_shift;
	}
	bpf_ringbuf_submit(r, 0);
	return 0;
}

static __always_inline int on_online_pages(__u8 via, __u64 pfn, __u64 nr_pages, struct zone *zone)
{
	struct kst_ha_rec *r = reserve(KST_HA_ONLINE_PAGES, via);

	if (!r)
		return 0;
	r->start_pfn = pfn;
	r->nr_pages = nr_pages;
	if (online_pages_has_zone)
		read_zone(r, zone); /* counters as they were before the pages join */
	bpf_ringbuf_submit(r, 0);
	return 0;
}

static __always_inline int on_setup_wmarks(__u8 via)
{
	struct kst_ha_rec *r = reserve(KST_HA_SETUP_WMARKS, via);

	if (r)
		bpf_ringbuf_submit(r, 0);
	return 0;
}

/* r is filled by the twin (node, zone name, counters where it can) */
static __always_inline int on_zone_wmarks(struct kst_ha_rec *r, __u64 min, __u64 low, __u64 high)
{
	r->wmark_min = min;
	r->wmark_low = low;
	r->wmark_high = high;
	if (!changed(r, min, low, high)) {
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	bpf_ringbuf_submit(r, 0);
	return 0;
}

static __always_inline int on_lowmem_reserve(struct kst_ha_rec *r, long reserve_pages)
{
	r->lowmem_reserve = reserve_pages;
	if (!changed(r, (__u64)reserve_pages, 0, 0)) {
		bpf_ringbuf_discard(r, 0);
		return 0;
	}
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* ---- add_memory_resource(int nid, struct resource *res, ...) ---- */

SEC("fentry/add_memory_resource")
int BPF_PROG(fentry_add_memory_resource, int nid, struct resource *res)
{
	return on_add_memory(KST_HA_VIA_FENTRY, nid, res);
}

SEC("kprobe/add_memory_resource")
int BPF_KPROBE(kprobe_add_memory_resource, int nid, struct resource *res)
{
	return on_add_memory(KST_HA_VIA_KPROBE, nid, res);
}

/* ---- online_pages(unsigned long pfn, unsigned long nr_pages, struct zone *zone, ...) ---- */

SEC("fentry/online_pages")
int BPF_PROG(fentry_online_pages, unsigned long pfn, unsigned long nr_pages, struct zone *zone)
{
	return on_online_pages(KST_HA_VIA_FENTRY, pfn, nr_pages, zone);
}

SEC("kprobe/online_pages")
int BPF_KPROBE(kprobe_online_pages, unsigned long pfn, unsigned long nr_pages, struct zone *zone)
{
	return on_online_pages(KST_HA_VIA_KPROBE, pfn, nr_pages, zone);
}

/* ---- setup_per_zone_wmarks(void): after it ran ---- */

SEC("fexit/setup_per_zone_wmarks")
int BPF_PROG(fexit_setup_per_zone_wmarks)
{
	return on_setup_wmarks(KST_HA_VIA_FEXIT);
}

SEC("kretprobe/setup_per_zone_wmarks")
int BPF_KRETPROBE(kretprobe_setup_per_zone_wmarks)
{
	return on_setup_wmarks(KST_HA_VIA_KRETPROBE);
}

/* ---- kmem:mm_setup_per_zone_wmarks ---- */

SEC("tp_btf/mm_setup_per_zone_wmarks")
int BPF_PROG(btf_zone_wmarks, struct zone *zone)
{
	struct kst_ha_rec *r = reserve(KST_HA_ZONE_WMARKS, KST_HA_VIA_TP_BTF);
	unsigned long wm[3] = {};

	if (!r)
		return 0;
	read_zone(r, zone);
	bpf_core_read(wm, sizeof(wm), &zone->_watermark);
	return on_zone_wmarks(r, wm[0], wm[1], wm[2]);
}

SEC("tracepoint/kmem/mm_setup_per_zone_wmarks")
int tp_zone_wmarks(struct trace_event_raw_mm_setup_per_zone_wmarks *ctx)
{
	struct kst_ha_rec *r = reserve(KST_HA_ZONE_WMARKS, KST_HA_VIA_TRACEPOINT);
	__u32 loc;

	if (!r)
		return 0;
	r->nid = BPF_CORE_READ(ctx, node_id);
	loc = BPF_CORE_READ(ctx, __data_loc_name);
	bpf_probe_read_kernel_str(r->zone, sizeof(r->zone), (void *)ctx + (loc & 0xffff));
	return on_zone_wmarks(r, BPF_CORE_READ(ctx, watermark_min), BPF_CORE_READ(ctx, watermark_low),
			      BPF_CORE_READ(ctx, watermark_high));
}

/* ---- kmem:mm_setup_per_zone_lowmem_reserve ---- */

SEC("tp_btf/mm_setup_per_zone_lowmem_reserve")
int BPF_PROG(btf_lowmem_reserve, struct zone *zone, struct zone *upper_zone, long lowmem_reserve)
{
	struct kst_ha_rec *r = reserve(KST_HA_LOWMEM_RESERVE, KST_HA_VIA_TP_BTF);
	const char *upper;

	if (!r)
		return 0;
	read_zone(r, zone);
	upper = BPF_CORE_READ(upper_zone, name);
	if (upper)
		bpf_probe_read_kernel_str(r->upper_zone, sizeof(r->upper_zone), upper);
	return on_lowmem_reserve(r, lowmem_reserve);
}

SEC("tracepoint/kmem/mm_setup_per_zone_lowmem_reserve")
int tp_lowmem_reserve(struct trace_event_raw_mm_setup_per_zone_lowmem_reserve *ctx)
{
	struct kst_ha_rec *r = reserve(KST_HA_LOWMEM_RESERVE, KST_HA_VIA_TRACEPOINT);
	__u32 loc;

	if (!r)
		return 0;
	r->nid = BPF_CORE_READ(ctx, node_id);
	loc = BPF_CORE_READ(ctx, __data_loc_name);
	bpf_probe_read_kernel_str(r->zone, sizeof(r->zone), (void *)ctx + (loc & 0xffff));
	loc = BPF_CORE_READ(ctx, __data_loc_upper_name);
	bpf_probe_read_kernel_str(r->upper_zone, sizeof(r->upper_zone), (void *)ctx + (loc & 0xffff));
	return on_lowmem_reserve(r, BPF_CORE_READ(ctx, lowmem_reserve));
}
