// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kswaptrace kernel side: vmscan and kmem tracepoints.
 *
 * Each event has exactly one handler body (on_*); the attach-type twins
 * below only unpack their arguments and call it. User space picks one twin
 * per event at run time (bpf_program__set_autoload) after probing:
 *   - tp_btf: typed arguments, no tracefs needed (5.5+ with BTF);
 *   - tracepoint: the classic perf-style record, CO-RE relocated.
 * kmem:mm_page_alloc prefers the classic record because it carries the pfn
 * (tp_btf passes a struct page * whose pfn needs the vmemmap base), and the
 * pfn is what attributes an allocation to a zone.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "alloc_abi.h"
#include "vmscan_abi.h"

char LICENSE[] SEC("license") = "GPL";

/* include/linux/sched.h; unchanged since 2.6 */
#define PF_KSWAPD 0x00020000

/* the kernel's gfp bit numbers, set before load (alloc_abi.h) */
const volatile struct kst_alloc_gfp alloc_gfp = {
	.usual_layout = 1,
	.direct_reclaim_bit = KST_GFP_USUAL_DIRECT_RECLAIM_BIT,
	.movable_bit = KST_GFP_USUAL_MOVABLE_BIT,
};

/*
 * Wake-up batching (issue 19): while fewer than this many bytes are waiting
 * in the ring buffer, records are submitted without waking the reader, which
 * polls on a short timer instead; at or above it every record wakes it. One
 * wake-up per record cost the reader ~20 us of CPU per event in a reclaim
 * storm. 0 (set before load) wakes the reader on every record, the kernel's
 * default behaviour.
 */
const volatile __u64 wakeup_bytes = 0;
/* what is traced (-p, -c; vmscan_abi.h), set before load */
const volatile struct kst_filter filter = {};

/* the zones' pfn ranges, rewritten by user space as zones change */
struct kst_alloc_cfg alloc_cfg __attribute__((aligned(64)));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by user space before load */
} events SEC(".maps");

/* page-allocation counters, slots 0-7 and 8-15 (alloc_abi.h) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kst_alloc_row);
} alloc_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kst_alloc_row);
} alloc_counts_hi SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KST_MAX_NODES * KST_SHRINK_KINDS);
	__type(key, __u32);
	__type(value, struct kst_shrink_stat);
} shrink_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KST_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KST_FILTER_MAX_TGIDS);
	__type(key, __u32);  /* tgid */
	__type(value, __u8); /* 1 */
} filter_tgids SEC(".maps");

struct reclaim_start {
	__u64 ts_ns;
	__u64 gfp;
	__u64 cgroup_id;
	__s32 order;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct reclaim_start);
} reclaim_starts SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

/*
 * BPF_RB_AVAIL_DATA is producer minus consumer position (kernel/bpf/ringbuf.c,
 * ringbuf_avail_data), so it includes this record, reserved but not yet
 * committed. Forcing the wake-up above the threshold (rather than flags 0,
 * which wakes only when the reader has caught up with this record) makes sure
 * a reader sleeping on its timer is woken before the buffer can fill.
 */
static __always_inline void submit(void *rec)
{
	__u64 flags = 0;

	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes ?
				BPF_RB_NO_WAKEUP : BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

/* kernels before 6.0 (commit 7f203bc89eb6) kept ancestor ids, not pointers */
struct cgroup___ids {
	int level;
	u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/*
 * The cgroup that holds current's memory controller state: on v1 the memory
 * hierarchy's cgroup, on v2 the nearest ancestor-or-self with the memory
 * controller enabled (css_set.subsys[] points at that css). NULL without
 * CONFIG_MEMCG. memory_cgrp_id depends on the kernel's config: relocated.
 */
static __always_inline struct cgroup *current_memcg_cgroup(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct cgroup_subsys_state *css;
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return NULL;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	css = BPF_CORE_READ(task, cgroups, subsys[id]);
	if (!css)
		return NULL;
	return BPF_CORE_READ(css, cgroup);
}

/* kernfs id == inode number of the cgroup directory (64-bit kernfs ids, 5.5+) */
static __always_inline __u64 current_memcg_id(void)
{
	struct cgroup *cg = current_memcg_cgroup();

	return cg ? BPF_CORE_READ(cg, kn, id) : 0;
}

/* -c: is current's memory cgroup the filter's cgroup or below it? */
static __always_inline bool in_filter_cgroup(void)
{
	struct cgroup *cg = current_memcg_cgroup(), *anc = NULL;
	int lvl = filter.cgroup_level & 255;

	if (!cg || BPF_CORE_READ(cg, level) < lvl)
		return false;
	if (!bpf_core_field_exists(cg->ancestors)) {
		struct cgroup___ids *old = (void *)cg;
		__u64 id = 0;

		bpf_core_read(&id, sizeof(id), &old->ancestor_ids[lvl]);
		return id == filter.cgroup_id;
	}
	bpf_core_read(&anc, sizeof(anc), &cg->ancestors[lvl]);
	return anc && BPF_CORE_READ(anc, kn, id) == filter.cgroup_id;
}

/*
 * The filter (-p, -c), the first thing a task-context handler does, before
 * any map update or ring-buffer reservation. filter is frozen .rodata:
 * without -p and -c the verifier drops both checks, so tracing everything
 * costs nothing here.
 */
static __always_inline bool filtered_out(void)
{
	if (filter.by_tgid) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (!bpf_map_lookup_elem(&filter_tgids, &tgid))
			return true;
	}
	if (filter.by_cgroup && !in_filter_cgroup())
		return true;
	return false;
}

static __always_inline void *reserve(__u16 type, __u16 size)
{
	struct kst_rec_hdr *hdr = bpf_ringbuf_reserve(&events, size, 0);

	if (!hdr) {
		count(KST_CNT_RINGBUF_DROPS);
		return NULL;
	}
	hdr->type = type;
	hdr->size = size;
	hdr->pid = (__u32)bpf_get_current_pid_tgid();
	hdr->ts_ns = bpf_ktime_get_ns();
	return hdr;
}

static __always_inline int on_kswapd_wake(int nid, int zid, int order)
{
	struct kst_rec_kswapd_wake *r;

	r = reserve(KST_REC_KSWAPD_WAKE, sizeof(*r));
	if (!r)
		return 0;
	r->nid = nid;
	r->zid = zid;
	r->order = order;
	r->pad = 0;
	submit(r);
	return 0;
}

static __always_inline int on_kswapd_sleep(int nid)
{
	struct kst_rec_kswapd_sleep *r;

	r = reserve(KST_REC_KSWAPD_SLEEP, sizeof(*r));
	if (!r)
		return 0;
	r->nid = nid;
	r->pad = 0;
	submit(r);
	return 0;
}

static __always_inline int on_wakeup_kswapd(int nid, int zid, int order, __u64 gfp)
{
	struct kst_rec_wakeup_kswapd *r;

	if (filtered_out())
		return 0;
	r = reserve(KST_REC_WAKEUP_KSWAPD, sizeof(*r));
	if (!r)
		return 0;
	r->nid = nid;
	r->zid = zid;
	r->order = order;
	r->pad = 0;
	r->gfp = gfp;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	submit(r);
	return 0;
}

static __always_inline int on_reclaim_begin(int order, __u64 gfp, __u32 flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct reclaim_start s = {};

	if (filtered_out())
		return 0;
	s.ts_ns = bpf_ktime_get_ns();
	s.gfp = gfp;
	s.cgroup_id = current_memcg_id();
	s.order = order;
	s.flags = flags;
	bpf_map_update_elem(&reclaim_starts, &tid, &s, BPF_ANY);
	return 0;
}

static __always_inline int on_reclaim_end(__u64 nr_reclaimed)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kst_rec_direct_reclaim *r;
	struct reclaim_start *s;

	s = bpf_map_lookup_elem(&reclaim_starts, &tid);
	if (!s && (filter.by_tgid || filter.by_cgroup))
		return 0; /* most likely a begin the filter dropped */
	if (!s) {
		/* began before we attached, or the start map was full */
		count(KST_CNT_DR_UNPAIRED);
		return 0;
	}
	r = reserve(KST_REC_DIRECT_RECLAIM, sizeof(*r));
	if (r) {
		r->begin_ns = s->ts_ns;
		r->nr_reclaimed = nr_reclaimed;
		r->gfp = s->gfp;
		r->order = s->order;
		r->flags = s->flags;
		r->cgroup_id = s->cgroup_id;
		bpf_get_current_comm(r->comm, sizeof(r->comm));
		submit(r);
	}
	bpf_map_delete_elem(&reclaim_starts, &tid);
	return 0;
}

static __always_inline int on_shrink_inactive(int nid, __u64 scanned, __u64 reclaimed)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 kind, idx;
	struct kst_shrink_stat *st;

	if (nid < 0 || nid >= KST_MAX_NODES) {
		count(KST_CNT_NODE_RANGE);
		return 0;
	}
	kind = (BPF_CORE_READ(task, flags) & PF_KSWAPD) ? KST_SHRINK_KSWAPD : KST_SHRINK_OTHER;
	/* kswapd works for every cgroup and process: its share stays global */
	if (kind == KST_SHRINK_OTHER && filtered_out())
		return 0;
	idx = (__u32)nid * KST_SHRINK_KINDS + kind;
	st = bpf_map_lookup_elem(&shrink_stats, &idx);
	if (!st)
		return 0;
	st->calls++;
	st->scanned += scanned;
	st->reclaimed += reclaimed;
	return 0;
}

static __always_inline __u32 gfp_class(__u64 gfp)
{
	/*
	 * alloc_gfp is frozen .rodata: the verifier knows which branch this
	 * kernel takes and removes the other. The usual layout (4.20+, still
	 * current) is two constant shifts.
	 */
	if (alloc_gfp.usual_layout)
		return ((gfp >> 10) & 1) | (((gfp >> 3) & 1) << 1);
	return ((gfp >> (alloc_gfp.direct_reclaim_bit & 63)) & 1) |
	       (((gfp >> (alloc_gfp.movable_bit & 63)) & 1) << 1);
}

/*
 * Slots 8-15: a separate function, so that its lookup stays a call site of
 * its own. Were both rows looked up from one function, clang may merge the
 * two calls into one whose map is a select, and the verifier inlines a
 * lookup only where the map is known.
 */
static __noinline int count_in_hi_row(__u32 idx)
{
	__u32 zero = 0;
	struct kst_alloc_row *row = bpf_map_lookup_elem(&alloc_counts_hi, &zero);

	/*
	 * idx is in range by construction; the mask says so to the verifier
	 * (a compare can land on a copy of the register, which 6.1 does not
	 * connect to the one used for the access)
	 */
	if (row)
		row->count[idx & (KST_ALLOC_ROW_KEYS - 1)]++;
	return 0;
}

/*
 * has_pfn is a constant per twin: the classic record carries the pfn, the
 * tp_btf arguments do not (those allocations count in the unknown-zone slot).
 */
static __always_inline int on_page_alloc(__u64 pfn, bool has_pfn, __u32 order, __u64 gfp, __s32 mt)
{
	__u32 slot = KST_ALLOC_ZONE_UNKNOWN, n, i, idx, zero = 0;
	struct kst_alloc_row *row;

	/* (unsigned long)-1 means the allocation failed: not a page handed out */
	if (has_pfn && pfn == (__u64)-1)
		return 0;
	if (filtered_out())
		return 0;
	/*
	 * barrier_var() keeps the index in one register from here on, rather
	 * than its parts spilled to the stack and combined at the end.
	 */
	idx = kst_alloc_index(0, order & (KST_ALLOC_ORDERS - 1), (__u32)mt & (KST_ALLOC_MIGRATETYPES - 1),
			      gfp_class(gfp));
	barrier_var(idx);
	/*
	 * The slot is the loop position, not a value loaded from the table:
	 * once the branches are predicted, the counter's address does not wait
	 * for the range table's loads. Slot 0, the busiest zone, is tried first
	 * outside the loop; the unknown slot's entry is empty and never matches.
	 */
	n = has_pfn ? alloc_cfg.nr_ranges : 0;
	if (!(n && pfn - alloc_cfg.ranges[0].start_pfn < alloc_cfg.ranges[0].nr_pages)) {
		/* not slot 0 (which adds nothing to the index) */
		for (i = 1; i < KST_ALLOC_ZONE_SLOTS && i < n; i++) {
			if (pfn - alloc_cfg.ranges[i].start_pfn < alloc_cfg.ranges[i].nr_pages) {
				slot = i;
				break;
			}
		}
		if (slot >= KST_ALLOC_ROW_SLOTS)
			return count_in_hi_row(idx | kst_alloc_index(slot - KST_ALLOC_ROW_SLOTS, 0, 0, 0));
		idx |= kst_alloc_index(slot, 0, 0, 0);
		barrier_var(idx);
	}
	row = bpf_map_lookup_elem(&alloc_counts, &zero);
	if (row)
		row->count[idx & (KST_ALLOC_ROW_KEYS - 1)]++;
	return 0;
}

/*
 * -p follows the traced processes' children: sched_process_fork runs in the
 * parent (kernel_clone() -> trace_sched_process_fork(current, p)). Loaded
 * only with -p. A new thread adds its tid, which is no process's tgid.
 */
static __always_inline int on_fork(__u32 child)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&filter_tgids, &tgid))
		bpf_map_update_elem(&filter_tgids, &child, &one, BPF_NOEXIST);
	return 0;
}

/* ---- tp_btf twins: typed TP_PROTO arguments ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_process_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(BPF_CORE_READ(child, tgid));
}


SEC("tp_btf/mm_vmscan_kswapd_wake")
int BPF_PROG(btf_kswapd_wake, int nid, int zid, int order)
{
	return on_kswapd_wake(nid, zid, order);
}

SEC("tp_btf/mm_vmscan_kswapd_sleep")
int BPF_PROG(btf_kswapd_sleep, int nid)
{
	return on_kswapd_sleep(nid);
}

SEC("tp_btf/mm_vmscan_wakeup_kswapd")
int BPF_PROG(btf_wakeup_kswapd, int nid, int zid, int order, gfp_t gfp)
{
	return on_wakeup_kswapd(nid, zid, order, gfp);
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(btf_direct_reclaim_begin, int order, gfp_t gfp)
{
	return on_reclaim_begin(order, gfp, 0);
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(btf_direct_reclaim_end, unsigned long nr_reclaimed)
{
	return on_reclaim_end(nr_reclaimed);
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(btf_memcg_reclaim_begin, int order, gfp_t gfp)
{
	return on_reclaim_begin(order, gfp, KST_DR_MEMCG);
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(btf_memcg_reclaim_end, unsigned long nr_reclaimed)
{
	return on_reclaim_end(nr_reclaimed);
}

SEC("tp_btf/mm_vmscan_lru_shrink_inactive")
int BPF_PROG(btf_lru_shrink_inactive, int nid, unsigned long nr_scanned,
	     unsigned long nr_reclaimed)
{
	return on_shrink_inactive(nid, nr_scanned, nr_reclaimed);
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(btf_page_alloc, struct page *page, unsigned int order, gfp_t gfp, int mt)
{
	if (!page)
		return 0;
	return on_page_alloc(0, false, order, gfp, mt);
}

/* ---- classic tracepoint twins: the trace record, CO-RE relocated ---- */

SEC("tracepoint/sched/sched_process_fork")
int tp_process_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	return on_fork(ctx->child_pid);
}

SEC("tracepoint/vmscan/mm_vmscan_kswapd_wake")
int tp_kswapd_wake(struct trace_event_raw_mm_vmscan_kswapd_wake *ctx)
{
	return on_kswapd_wake(ctx->nid, bpf_core_field_exists(ctx->zid) ? ctx->zid : -1,
			      ctx->order);
}

SEC("tracepoint/vmscan/mm_vmscan_kswapd_sleep")
int tp_kswapd_sleep(struct trace_event_raw_mm_vmscan_kswapd_sleep *ctx)
{
	return on_kswapd_sleep(ctx->nid);
}

SEC("tracepoint/vmscan/mm_vmscan_wakeup_kswapd")
int tp_wakeup_kswapd(struct trace_event_raw_mm_vmscan_wakeup_kswapd *ctx)
{
	/* gfp_flags: absent before 4.19, gfp_t then unsigned long (libbpf adjusts the load size) */
	__u64 gfp = bpf_core_field_exists(ctx->gfp_flags) ? ctx->gfp_flags : 0;

	return on_wakeup_kswapd(ctx->nid, ctx->zid, ctx->order, gfp);
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_begin")
int tp_direct_reclaim_begin(struct trace_event_raw_mm_vmscan_direct_reclaim_begin_template *ctx)
{
	return on_reclaim_begin(ctx->order, ctx->gfp_flags, 0);
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_end")
int tp_direct_reclaim_end(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{
	return on_reclaim_end(ctx->nr_reclaimed);
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_begin")
int tp_memcg_reclaim_begin(struct trace_event_raw_mm_vmscan_direct_reclaim_begin_template *ctx)
{
	return on_reclaim_begin(ctx->order, ctx->gfp_flags, KST_DR_MEMCG);
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_end")
int tp_memcg_reclaim_end(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{
	return on_reclaim_end(ctx->nr_reclaimed);
}

SEC("tracepoint/vmscan/mm_vmscan_lru_shrink_inactive")
int tp_lru_shrink_inactive(struct trace_event_raw_mm_vmscan_lru_shrink_inactive *ctx)
{
	return on_shrink_inactive(ctx->nid, ctx->nr_scanned, ctx->nr_reclaimed);
}

SEC("tracepoint/kmem/mm_page_alloc")
int tp_page_alloc(struct trace_event_raw_mm_page_alloc *ctx)
{
	return on_page_alloc(ctx->pfn, true, ctx->order, ctx->gfp_flags, ctx->migratetype);
}
