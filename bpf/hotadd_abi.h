/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI of the memory hot-add probe family (bpf/hotadd.bpf.c), shared with
 * userspace/sources/hotadd/hotadd_probes.cpp. Low rate (a few records per hot-add),
 * so one fixed-size record type carries every probe; fields a probe cannot
 * fill stay zero (or -1 where noted).
 */
#ifndef KST_HOTADD_ABI_H
#define KST_HOTADD_ABI_H

#include "abi_types.h"

#define KST_HA_NAME_LEN 16

enum kst_ha_kind {
	KST_HA_ADD_MEMORY = 1,     /* add_memory_resource(nid, res, ...) entry */
	KST_HA_ONLINE_PAGES = 2,   /* online_pages(pfn, nr_pages, zone, ...) entry */
	KST_HA_SETUP_WMARKS = 3,   /* setup_per_zone_wmarks() returned */
	KST_HA_ZONE_WMARKS = 4,    /* kmem:mm_setup_per_zone_wmarks (values changed) */
	KST_HA_LOWMEM_RESERVE = 5, /* kmem:mm_setup_per_zone_lowmem_reserve (value changed) */
};

enum kst_ha_via {
	KST_HA_VIA_FENTRY = 1,
	KST_HA_VIA_FEXIT = 2,
	KST_HA_VIA_KPROBE = 3,
	KST_HA_VIA_KRETPROBE = 4,
	KST_HA_VIA_TP_BTF = 5,
	KST_HA_VIA_TRACEPOINT = 6,
};

struct kst_ha_rec {
	__u16 kind; /* enum kst_ha_kind */
	__u16 size; /* sizeof(struct kst_ha_rec) */
	__u8 via;   /* enum kst_ha_via */
	__u8 pad[3];
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__s32 nid;   /* -1: unknown */
	__s32 zid;   /* zone index in its node; -1: unknown */
	__u64 start_pfn;
	__u64 nr_pages;
	__u64 wmark_min;
	__u64 wmark_low;
	__u64 wmark_high;
	__s64 managed; /* zone counters read by the probe; -1: not read */
	__s64 present;
	__s64 lowmem_reserve;
	char zone[KST_HA_NAME_LEN];
	char upper_zone[KST_HA_NAME_LEN];
};

KST_STATIC_ASSERT(sizeof(struct kst_ha_rec) == 120, "kst_ha_rec size");

#endif /* KST_HOTADD_ABI_H */
