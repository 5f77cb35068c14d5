#!/bin/sh
# A writer in a 64 MiB memory cgroup streaming a 256 MiB file forces memcg
# limit reclaim on any machine, however much memory it has: kswaptrace must
# report the reclaim episodes and the pages lru_shrink_inactive reclaimed.
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
# cgroup v2 (memory.max) or the v1 memory hierarchy (memory.limit_in_bytes)
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	cg=/sys/fs/cgroup limit=memory.max
	grep -qw memory $cg/cgroup.subtree_control || echo "+memory" > $cg/cgroup.subtree_control || true
elif [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	cg=/sys/fs/cgroup/memory limit=memory.limit_in_bytes
else
	skip "no memory cgroup controller (neither cgroup v2 with memory nor the v1 memory hierarchy)"
fi
grp=$cg/kst-rt-$$
mkdir "$grp" || skip "cannot create a cgroup under $cg"
cleanup() { rmdir "$grp" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
echo 64M > "$grp/$limit" || die "cannot set $limit"
file=$TMP/big
"$KST" -d 6 --json > "$TMP/out.json" 2> "$TMP/err" &
pid=$!
wait_tracing "$TMP/err" $pid || { wait $pid; cat "$TMP/err"; die "kswaptrace did not start tracing"; }
# only this child shell (and the dd it becomes) joins the cgroup
sh -c "echo \$\$ > $grp/cgroup.procs; exec dd if=/dev/zero of=$file bs=1M count=256 conv=fsync status=none"
rm -f "$file"
wait $pid || { cat "$TMP/err"; die "kswaptrace failed"; }
memcg=$(json "$TMP/out.json" "j['memcg_reclaim']['count']")
attach=$(json "$TMP/out.json" "j['attach'].get('mm_vmscan_memcg_reclaim_begin','missing')")
other=$(json "$TMP/out.json" "j['nodes'][0].get('other_reclaim',{}).get('reclaimed',0)")
echo "memcg reclaim episodes=$memcg (attach $attach), pages reclaimed by non-kswapd shrink_inactive=$other"
[ "$attach" != missing ] || skip "kernel lacks vmscan:mm_vmscan_memcg_reclaim_begin"
[ "$memcg" -gt 0 ] || die "no memcg reclaim reported for a 256 MiB write into a 64 MiB cgroup"
[ "$other" -gt 0 ] || die "lru_shrink_inactive reported no reclaimed pages"
"$KST" -d 1 > "$TMP/text" 2>/dev/null || die "text mode failed"
echo PASS
