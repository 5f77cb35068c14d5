/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI of the page-allocation probe family (kmem:mm_page_alloc).
 * The event is far too hot for one ring-buffer record per page, so the
 * kernel side counts allocation calls in per-CPU counters indexed by
 * (zone slot, order, migratetype, gfp class); user space sums the CPUs.
 */
#ifndef KST_ALLOC_ABI_H
#define KST_ALLOC_ABI_H

#include "abi_types.h"

/*
 * Every field of the index is a power of two wide, so the handler builds the
 * index with shifts and masks instead of clamps and multiplications. The
 * masks lose nothing real: orders stop at MAX_PAGE_ORDER (10 on x86, at most
 * 15 on any architecture) and migratetypes below MIGRATE_TYPES (at most 7).
 */
#define KST_ALLOC_ORDER_BITS 4
#define KST_ALLOC_MT_BITS 3
#define KST_ALLOC_CLASS_BITS 2
#define KST_ALLOC_ORDERS (1 << KST_ALLOC_ORDER_BITS)
#define KST_ALLOC_MIGRATETYPES (1 << KST_ALLOC_MT_BITS)

/* gfp class: two bits, (may enter direct reclaim) | (movable) << 1 */
#define KST_GFP_CLASS_RECLAIM 0x1
#define KST_GFP_CLASS_MOVABLE 0x2
#define KST_ALLOC_GFP_CLASSES (1 << KST_ALLOC_CLASS_BITS)

/*
 * Zone slots. A zone's slot is the position of its pfn range in the range
 * table below; the handler takes the slot from the loop position, not from
 * memory, so with the search's branches predicted the counter's address
 * does not wait for the table. Slot 7 is not a range: it counts pages with
 * no pfn (tp_btf) or outside every range, and sits in the first row with
 * the busiest zones. That leaves 15 ranges: slots 0-6 and 8-15.
 */
#define KST_ALLOC_ZONE_SLOTS 16
#define KST_ALLOC_ZONE_RANGES (KST_ALLOC_ZONE_SLOTS - 1) /* pfn ranges user space can describe */
#define KST_ALLOC_ZONE_UNKNOWN 7 /* no pfn, or not in a range; its table entry stays empty */

#define KST_ALLOC_SLOT_SHIFT (KST_ALLOC_ORDER_BITS + KST_ALLOC_MT_BITS + KST_ALLOC_CLASS_BITS)
#define KST_ALLOC_KEYS (KST_ALLOC_ZONE_SLOTS << KST_ALLOC_SLOT_SHIFT)

/* index of (zone slot, order, migratetype, gfp class), each already in range */
static inline __u32 kst_alloc_index(__u32 slot, __u32 order, __u32 mt, __u32 cls)
{
	return (slot << KST_ALLOC_SLOT_SHIFT) |
	       (order << (KST_ALLOC_MT_BITS + KST_ALLOC_CLASS_BITS)) |
	       (mt << KST_ALLOC_CLASS_BITS) | cls;
}

/*
 * The counters: two per-CPU array maps of one element each, the element
 * being a row of counters for 8 zone slots. alloc_counts holds slots 0-7
 * (the busiest zones and the unknown slot), alloc_counts_hi slots 8-15, at
 * row index kst_alloc_index(slot % 8, ...). A per-CPU element is at most
 * 32 KiB (PCPU_MIN_UNIT_SIZE), hence two rows. The lookup of a per-CPU
 * element inlines to a load of the element's per-CPU pointer plus the CPU's
 * offset, both independent of the event, so the counter's address is ready
 * as soon as the index is; programs on a tracepoint run with migration
 * disabled, so a CPU's row is only written by that CPU. User space sums the
 * CPUs' rows.
 */
#define KST_ALLOC_ROW_SLOTS 8
#define KST_ALLOC_ROW_KEYS (KST_ALLOC_ROW_SLOTS << KST_ALLOC_SLOT_SHIFT)

struct kst_alloc_row {
	__u64 count[KST_ALLOC_ROW_KEYS];
};

/*
 * The kernel's gfp bit numbers (from its BTF), in .rodata: set before the
 * object loads and frozen, so the verifier knows them and drops the branch
 * of gfp_class() a kernel does not take.
 */
#define KST_GFP_USUAL_DIRECT_RECLAIM_BIT 10 /* 0x400 since 4.20 */
#define KST_GFP_USUAL_MOVABLE_BIT 3         /* 0x08 since 2.6 */

struct kst_alloc_gfp {
	__u8 usual_layout;       /* 1: the two bits below are the usual ones */
	__u8 direct_reclaim_bit; /* bit number of __GFP_DIRECT_RECLAIM */
	__u8 movable_bit;        /* bit number of __GFP_MOVABLE */
	__u8 pad[5];
};

/*
 * The zones' pfn ranges, in .bss, written by user space from
 * /proc/zoneinfo and rewritten when a zone grows or appears. The header and
 * the first three ranges share one cache line. Positions are assigned once,
 * in zonelist order (highest zone first, where most allocations land), new
 * zones after them.
 */
struct kst_zone_range {
	__u64 start_pfn;
	__u32 nr_pages; /* spanned pages: pfn - start_pfn < nr_pages; 0 = slot unused */
	__u32 pad;
};

struct kst_alloc_cfg {
	__u32 nr_ranges; /* ranges[0 .. nr_ranges) are searched; 0 while being rewritten */
	__u32 pad[3];
	struct kst_zone_range ranges[KST_ALLOC_ZONE_SLOTS]; /* entry KST_ALLOC_ZONE_UNKNOWN stays empty */
};
KST_STATIC_ASSERT(KST_ALLOC_KEYS == 16 * 512, "alloc index space");
KST_STATIC_ASSERT(KST_ALLOC_ZONE_UNKNOWN < KST_ALLOC_ROW_SLOTS, "unknown slot is in the first row");
KST_STATIC_ASSERT(2 * KST_ALLOC_ROW_SLOTS == KST_ALLOC_ZONE_SLOTS, "two rows hold every slot");
KST_STATIC_ASSERT(sizeof(struct kst_alloc_row) == 32768, "alloc row fits one per-CPU element (32 KiB)");
KST_STATIC_ASSERT(sizeof(struct kst_alloc_gfp) == 8, "alloc_gfp size");
KST_STATIC_ASSERT(sizeof(struct kst_zone_range) == 16, "zone_range size");
KST_STATIC_ASSERT(sizeof(struct kst_alloc_cfg) == 16 + 16 * KST_ALLOC_ZONE_SLOTS, "alloc_cfg size");

#endif /* KST_ALLOC_ABI_H */
