/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Fixed-width types for the ABI headers shared by bpf/ and userspace/.
 * Under clang -target bpf they come from vmlinux.h; in user space from
 * <linux/types.h>. Nothing in a shared record may be word-size dependent.
 */
#ifndef KST_ABI_TYPES_H
#define KST_ABI_TYPES_H

#if defined(__bpf__) || defined(__BPF__)
/* vmlinux.h is included by the .bpf.c before this header */
#else
#include <linux/types.h>
#endif

#ifdef __cplusplus
#define KST_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define KST_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#endif /* KST_ABI_TYPES_H */
