/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI of the vmscan probe family: ring-buffer records for the low-rate
 * reclaim events and the per-CPU lru_shrink_inactive aggregates.
 * Shared by bpf/kswaptrace.bpf.c and userspace/sources/bpf/bpf_records.cpp.
 * Every record starts with struct kst_rec_hdr; the decoder checks
 * hdr.size against the size it expects before it copies anything.
 */
#ifndef KST_VMSCAN_ABI_H
#define KST_VMSCAN_ABI_H

#include "abi_types.h"

#define KST_COMM_LEN 16
#define KST_MAX_NODES 64

enum kst_rec_type {
	KST_REC_KSWAPD_WAKE = 1,
	KST_REC_KSWAPD_SLEEP = 2,
	KST_REC_WAKEUP_KSWAPD = 3,
	KST_REC_DIRECT_RECLAIM = 4,
};

struct kst_rec_hdr {
	__u16 type;  /* enum kst_rec_type */
	__u16 size;  /* sizeof the whole record */
	__u32 pid;   /* thread id of current */
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

/* vmscan:mm_vmscan_kswapd_wake: kswapd starts a balance_pgdat() pass */
struct kst_rec_kswapd_wake {
	struct kst_rec_hdr hdr;
	__s32 nid;
	__s32 zid; /* highest zone index requested */
	__s32 order;
	__u32 pad;
};

/* vmscan:mm_vmscan_kswapd_sleep: kswapd really goes to sleep */
struct kst_rec_kswapd_sleep {
	struct kst_rec_hdr hdr;
	__s32 nid;
	__u32 pad;
};

/* vmscan:mm_vmscan_wakeup_kswapd: an allocation asks kswapd to run */
struct kst_rec_wakeup_kswapd {
	struct kst_rec_hdr hdr;
	__s32 nid;
	__s32 zid; /* the allocation's highest allowed zone, not the low one */
	__s32 order;
	__u32 pad;
	__u64 gfp;
	char comm[KST_COMM_LEN];
};

#define KST_DR_MEMCG 0x1 /* mm_vmscan_memcg_reclaim_begin/end pair */

/* one direct (or memcg) reclaim episode, emitted at its end */
struct kst_rec_direct_reclaim {
	struct kst_rec_hdr hdr; /* ts_ns = end of the episode */
	__u64 begin_ns;
	__u64 nr_reclaimed;
	__u64 gfp;
	__s32 order;
	__u32 flags; /* KST_DR_* */
	char comm[KST_COMM_LEN];
	/*
	 * kernfs id of current's memory cgroup at the begin event (v1: the
	 * memory hierarchy's cgroup, v2: the nearest cgroup with the memory
	 * controller); 0 when unknown. User space maps it to a path: it is the
	 * inode number of the cgroup's directory.
	 */
	__u64 cgroup_id;
};

KST_STATIC_ASSERT(sizeof(struct kst_rec_hdr) == 16, "kst_rec_hdr size");
KST_STATIC_ASSERT(sizeof(struct kst_rec_kswapd_wake) == 32, "kswapd_wake size");
KST_STATIC_ASSERT(sizeof(struct kst_rec_kswapd_sleep) == 24, "kswapd_sleep size");
KST_STATIC_ASSERT(sizeof(struct kst_rec_wakeup_kswapd) == 56, "wakeup_kswapd size");
KST_STATIC_ASSERT(sizeof(struct kst_rec_direct_reclaim) == 72, "direct_reclaim size");

/*
 * lru_shrink_inactive aggregates: BPF_MAP_TYPE_PERCPU_ARRAY "shrink_stats"
 * indexed by nid * KST_SHRINK_KINDS + kind. Cumulative since load.
 */
enum kst_shrink_kind {
	KST_SHRINK_KSWAPD = 0, /* current has PF_KSWAPD */
	KST_SHRINK_OTHER = 1,  /* direct, memcg or proactive reclaim */
	KST_SHRINK_KINDS = 2,
};

struct kst_shrink_stat {
	__u64 calls;
	__u64 scanned;
	__u64 reclaimed;
};
KST_STATIC_ASSERT(sizeof(struct kst_shrink_stat) == 24, "shrink_stat size");

/* BPF_MAP_TYPE_PERCPU_ARRAY "counters": probe health counters */
enum kst_counter {
	KST_CNT_RINGBUF_DROPS = 0, /* bpf_ringbuf_reserve() failed */
	KST_CNT_DR_UNPAIRED = 1,   /* reclaim end without a recorded begin */
	KST_CNT_NODE_RANGE = 2,    /* nid >= KST_MAX_NODES, not aggregated */
	KST_CNT_MAX = 8,
};

/*
 * What is traced (-p, -c): .rodata "filter", set before load. With both
 * off the verifier removes the checks; with -p the tgids are in the
 * BPF_MAP_TYPE_HASH "filter_tgids" (key __u32 tgid, value __u8 1), which the
 * sched_process_fork program extends by the children of traced processes.
 * With -c a task is traced when its memory cgroup is the cgroup with kernfs
 * id cgroup_id, at depth cgroup_level, or one of its descendants.
 */
struct kst_filter {
	__u8 by_tgid;
	__u8 by_cgroup;
	__u16 pad;
	__s32 cgroup_level; /* 0: the root */
	__u64 cgroup_id;
};
KST_STATIC_ASSERT(sizeof(struct kst_filter) == 16, "kst_filter size");
#define KST_FILTER_MAX_TGIDS 16384

#endif /* KST_VMSCAN_ABI_H */
