/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI of the page-allocation probe family (kmem:mm_page_alloc).
 * The event is far too hot for one ring-buffer record per page, so the
 * kernel side counts allocation calls in a per-CPU array indexed by
 * (zone slot, order, migratetype, gfp class); user space sums the CPUs.
 */
#ifndef KST_ALLOC_ABI_H
#define KST_ALLOC_ABI_H

#include "abi_types.h"

#define KST_ALLOC_ORDERS 11      /* orders >= 10 are counted in the last row */
#define KST_ALLOC_MIGRATETYPES 8 /* values >= 7 land in the last column */
#define KST_ALLOC_ZONE_RANGES 16 /* pfn ranges user space can describe */
#define KST_ALLOC_ZONE_SLOTS (KST_ALLOC_ZONE_RANGES + 1)
#define KST_ALLOC_ZONE_UNKNOWN KST_ALLOC_ZONE_RANGES /* no pfn, or not in a range */

/* gfp class: two bits, (may enter direct reclaim) | (movable) << 1 */
#define KST_GFP_CLASS_RECLAIM 0x1
#define KST_GFP_CLASS_MOVABLE 0x2
#define KST_ALLOC_GFP_CLASSES 4

#define KST_ALLOC_KEYS                                                     \
	(KST_ALLOC_ZONE_SLOTS * KST_ALLOC_ORDERS * KST_ALLOC_MIGRATETYPES * \
	 KST_ALLOC_GFP_CLASSES)

static inline __u32 kst_alloc_index(__u32 slot, __u32 order, __u32 mt, __u32 cls)
{
	return ((slot * KST_ALLOC_ORDERS + order) * KST_ALLOC_MIGRATETYPES + mt) *
		       KST_ALLOC_GFP_CLASSES +
	       cls;
}

/* BPF_MAP_TYPE_ARRAY "zone_ranges": slot i covers [start_pfn, end_pfn) */
struct kst_zone_range {
	__u64 start_pfn;
	__u64 end_pfn;
};
KST_STATIC_ASSERT(sizeof(struct kst_zone_range) == 16, "zone_range size");

#endif /* KST_ALLOC_ABI_H */
