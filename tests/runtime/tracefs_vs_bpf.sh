#!/bin/sh
# The tracefs backend (no BPF) and the BPF backend trace the same workload at
# the same time, each from its ready line until SIGINT after the workload: page allocations (a 300 MiB write to /dev/shm) and memcg
# limit reclaim (a 256 MiB write in a 64 MiB v1/v2 memory cgroup). Both
# windows contain the whole workload, so:
#  - page-allocation counts agree within 1% with the pgalloc_* delta of
#    /proc/vmstat sampled at their own instants, and so with each other;
#  - memcg reclaim episodes agree exactly, and so do the pages they reclaimed;
#  - lru_shrink_inactive (non-kswapd) reclaimed pages and kswapd wakes agree
#    within 1% (kswapd never wakes on this host: both must say 0 then).
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
[ -d /sys/kernel/tracing/instances ] || skip "tracefs has no instances directory"
memcg_create kst-rt-$$ 64M || skip "no memory cgroup controller, or cannot create a 64 MiB group"
cleanup() { kill $tpid $bpid 2>/dev/null; wait 2>/dev/null; memcg_remove; rm -rf "$TMP"; }
trap cleanup EXIT

"$KST" -d 300 --json --backend tracefs > "$TMP/tracefs.json" 2> "$TMP/tracefs.err" &
tpid=$!
"$KST" -d 300 --json --backend bpf > "$TMP/bpf.json" 2> "$TMP/bpf.err" &
bpid=$!
wait_tracing "$TMP/tracefs.err" $tpid || { cat "$TMP/tracefs.err"; die "tracefs backend did not start"; }
wait_tracing "$TMP/bpf.err" $bpid || { cat "$TMP/bpf.err"; die "bpf backend did not start"; }
ls /sys/kernel/tracing/instances | grep -q "^kswaptrace-$tpid\$" || die "no instance kswaptrace-$tpid while tracing"
dd if=/dev/zero of=/dev/shm/kst-rt-$$ bs=1M count=300 status=none; rm -f /dev/shm/kst-rt-$$
sh -c "echo \$\$ > $grp/cgroup.procs; exec dd if=/dev/zero of=$TMP/big bs=1M count=256 conv=fsync status=none"
rm -f "$TMP/big"
# both windows end after the workload, however slow either start was (ASan)
kill -INT $tpid $bpid
wait $tpid || { cat "$TMP/tracefs.err"; die "tracefs backend exited non-zero"; }
wait $bpid || { cat "$TMP/bpf.err"; die "bpf backend exited non-zero"; }
[ ! -e /sys/kernel/tracing/instances/kswaptrace-$tpid ] || die "instance kswaptrace-$tpid left behind"
python3 - "$TMP/tracefs.json" "$TMP/bpf.json" <<'PY' || exit 1
import json, sys
t, b = (json.load(open(p)) for p in sys.argv[1:3])
if t["backend"] != "tracefs" or b["backend"] != "bpf":
    sys.exit(f"FAIL: backends are {t['backend']} and {b['backend']}")
for name, j in (("tracefs", t), ("bpf", b)):
    if j["lost_events"]: sys.exit(f"FAIL: {name} lost {j['lost_events']} events")
def close(what, x, y, floor):
    dev = abs(x - y) / max(y, 1)
    print(f"{what}: tracefs {x}  bpf/reference {y}  deviation {dev:.4%}")
    if y < floor: sys.exit(f"FAIL: {what}: only {y} (workload should give >= {floor})")
    if dev > 0.01: sys.exit(f"FAIL: {what} differ by more than 1%")
tp, bp = t["page_alloc"]["total_pages"], b["page_alloc"]["total_pages"]
tv, bv = t["vmstat_delta"]["pgalloc_total"], b["vmstat_delta"]["pgalloc_total"]
close("tracefs pages vs its pgalloc", tp, tv, 76800)
close("bpf pages vs its pgalloc", bp, bv, 76800)
# the two windows open and close a few hundred ms apart (background allocations
# fall in one and not the other): the backends are compared per pgalloc page
# of their own window
print(f"traced/pgalloc: tracefs {tp / tv:.4f}  bpf {bp / bv:.4f}")
if abs(tp / tv - bp / bv) > 0.01: sys.exit("FAIL: the backends' traced/pgalloc ratios differ by more than 1%")
tm, bm = t["memcg_reclaim"], b["memcg_reclaim"]
print(f"memcg reclaim episodes: tracefs {tm['count']} bpf {bm['count']}; pages {tm['reclaimed']} / {bm['reclaimed']}")
if bm["count"] == 0: sys.exit("FAIL: no memcg reclaim episodes")
if tm["count"] != bm["count"] or tm["reclaimed"] != bm["reclaimed"]:
    sys.exit("FAIL: memcg reclaim episodes differ")
close("non-kswapd shrink_inactive reclaimed", t["nodes"][0]["other_reclaim"]["reclaimed"],
      b["nodes"][0]["other_reclaim"]["reclaimed"], 1000)
tw = sum(n["kswapd"]["wakes"] for n in t["nodes"]); bw = sum(n["kswapd"]["wakes"] for n in b["nodes"])
print(f"kswapd wakes: tracefs {tw} bpf {bw}")
if abs(tw - bw) > 0.01 * max(bw, 1): sys.exit("FAIL: kswapd wakes differ")
if t["direct_reclaim"]["count"] != b["direct_reclaim"]["count"]:
    sys.exit(f"FAIL: direct reclaims: tracefs {t['direct_reclaim']['count']} bpf {b['direct_reclaim']['count']}")
print("top reclaiming commands (tracefs):", [c["comm"] for c in t["direct_reclaim"]["top_commands"]][:3])
PY
echo PASS
