#!/bin/sh
# A writer in a 64 MiB memory cgroup streaming a 256 MiB file forces memcg
# limit reclaim on any machine, however much memory it has: kswaptrace must
# report the reclaim episodes and the pages lru_shrink_inactive reclaimed.
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
memcg_create kst-rt-$$ 64M ||
	skip "no memory cgroup controller (neither cgroup v2 with memory nor the v1 memory hierarchy)"
cleanup() { memcg_remove; rm -rf "$TMP"; }
trap cleanup EXIT
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
