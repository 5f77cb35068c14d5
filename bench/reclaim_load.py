#!/usr/bin/env python3
"""Synthetic memcg-limit reclaim at a chosen rate (scripts/bench-wakeup).

Run inside a cgroup v1 memory cgroup with a small limit: reads an uncached
file in 64 KiB chunks, so page-cache charges hit the limit and the kernel
reclaims in the cgroup (try_charge_memcg -> try_to_free_mem_cgroup_pages, one
vmscan:mm_vmscan_memcg_reclaim_begin/end pair each). The cgroup's
memory.failcnt counts those limit hits; the reader paces itself on it, so the
reclaim rate follows RATE (per second) whatever the disk speed, as long as
the reader can go that fast.
usage: reclaim_load.py CGROUP_DIR FILE RATE SECONDS
"""
import os
import sys
import time

cg, path, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])


def failcnt():
    with open(os.path.join(cg, "memory.failcnt")) as f:
        return int(f.read())


fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
t0, f0, off = time.monotonic(), failcnt(), 0
while True:
    now = time.monotonic()
    if now - t0 >= seconds:
        break
    ahead = (failcnt() - f0) - rate * (now - t0)
    if ahead > 0:
        time.sleep(min(ahead / rate, 0.01))
        continue
    for _ in range(4):
        if not os.pread(fd, 65536, off):
            off = 0
        else:
            off = (off + 65536) % size
        # keep the file out of the global page cache: only the cgroup's
        # limit decides what stays
        if off % (16 << 20) == 0:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
