#!/usr/bin/env python3
"""Synthetic memcg-limit reclaim at a chosen rate (scripts/bench-wakeup).

Run inside a cgroup v1 memory cgroup with a small limit: reads an uncached
file in 64 KiB chunks, so page-cache charges hit the limit and the kernel
reclaims in the cgroup (try_charge_memcg -> try_to_free_mem_cgroup_pages, one
vmscan:mm_vmscan_memcg_reclaim_begin/end pair each). The cgroup's
memory.failcnt counts those limit hits; the reader paces itself on it, so the
reclaim rate follows RATE (per second) whatever the disk speed, as long as
the reader can go that fast.
READERS processes read at once (one Python reader tops out well below a
storm); they pace on the shared counter together. memory.failcnt counts
failed charges, several per reclaim episode: the bench reports the event
rate it measured, not this target.
usage: reclaim_load.py CGROUP_DIR FILE RATE SECONDS [READERS]
"""
import os
import sys
import time

cg, path, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
readers = int(sys.argv[5]) if len(sys.argv) > 5 else 1
for k in range(1, readers):
    if os.fork() == 0:
        break
else:
    k = 0


def failcnt():
    with open(os.path.join(cg, "memory.failcnt")) as f:
        return int(f.read())


fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
# each reader starts at its own place in the file
t0, f0, off = time.monotonic(), failcnt(), (size // readers * k) & ~65535
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
if k == 0:
    for _ in range(1, readers):
        os.wait()
