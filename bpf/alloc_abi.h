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

/*
 * What the handler needs besides the record, packed so the common case
 * (up to three populated zones) reads a single cache line: under an
 * allocation-heavy load every extra line is a likely L1 miss. gfp bits are
 * given as bit numbers so the class is computed with shifts, no branches. Lives in .bss; user space fills it
 * from BTF (gfp bits) and /proc/zoneinfo (ranges), largest zone first.
 */
struct kst_zone_range {
	__u64 start_pfn;
	__u32 nr_pages; /* spanned pages: pfn - start_pfn < nr_pages */
	__u32 slot;     /* zone slot in the counter index, stable across updates */
};

struct kst_alloc_cfg {
	__u32 gfp_direct_reclaim_bit; /* bit number of __GFP_DIRECT_RECLAIM */
	__u32 gfp_movable_bit;        /* bit number of __GFP_MOVABLE */
	__u32 nr_ranges;
	__u32 pad;
	struct kst_zone_range ranges[KST_ALLOC_ZONE_RANGES];
};
KST_STATIC_ASSERT(sizeof(struct kst_zone_range) == 16, "zone_range size");
KST_STATIC_ASSERT(sizeof(struct kst_alloc_cfg) == 16 + 16 * KST_ALLOC_ZONE_RANGES, "alloc_cfg size");

#endif /* KST_ALLOC_ABI_H */
