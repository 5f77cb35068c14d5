#!/bin/sh
# `export` streams (issue 19): a synthetic recording whose decoded events
# (~6M, ~70 MB on disk, ~1 GB of trace JSON) are far larger than the
# memory bound must export completely inside a cgroup v1 memory cgroup
# limited to 64 MiB (without a memory+swap limit the kernel would swap; the
# test sets both). Before streaming, export held ~1.2 KB per event (3.5 GB
# for 3M events).
. "$(dirname "$0")/lib.subr"
need_root
gen=$(dirname "$KST")/bench_record
[ -x "$gen" ] || skip "no $gen (the bench targets are built with kswaptrace)"
cg=/sys/fs/cgroup/memory
[ -f $cg/memory.limit_in_bytes ] || skip "no cgroup v1 memory hierarchy"
grp=$cg/kst-rt-export-$$
mkdir "$grp" || skip "cannot create a cgroup under $cg"
cleanup() {
	for p in $(cat "$grp/tasks" 2>/dev/null); do kill "$p" 2>/dev/null; done
	sleep 0.2
	rmdir "$grp" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
echo 64M > "$grp/memory.limit_in_bytes" || die "cannot set the limit"
[ -f "$grp/memory.memsw.limit_in_bytes" ] && echo 64M > "$grp/memory.memsw.limit_in_bytes"
# bench_record writes as fast as it can (a few M events/s) for the given seconds
nice -n 10 "$gen" 3 "$TMP/rec" 1 keep > "$TMP/gen.out" || die "bench_record failed"
size=$(du -sm "$TMP/rec" | cut -f1)
events=$(sed -n 's/.* \([0-9][0-9]*\) events in .*/\1/p' "$TMP/gen.out" | head -1)
echo "synthetic recording: ${size} MiB on disk, ${events:-?} events"
[ "$size" -ge 40 ] || skip "the generator made only ${size} MiB here (too slow a machine)"
# output to a pipe outside the cgroup: its page cache is not the export's memory
sh -c "echo \$\$ > $grp/tasks; exec nice -n 10 '$KST' export '$TMP/rec' -o -" 2> "$TMP/err" | wc -c > "$TMP/bytes"
rc=$?
peak=$(($(cat "$grp/memory.max_usage_in_bytes") / 1048576))
oom=$(awk '$1 == "oom_kill" { print $2 }' "$grp/memory.oom_control" 2>/dev/null)
echo "export: $(cat "$TMP/bytes") bytes of trace, cgroup peak ${peak} MiB (limit 64), oom kills ${oom:-0}"
[ "${oom:-0}" = 0 ] || die "export was OOM-killed under the 64 MiB limit"
[ -s "$TMP/err" ] && { cat "$TMP/err"; die "export complained"; }
[ "$(cat "$TMP/bytes")" -gt $((size * 1048576)) ] || die "the trace is smaller than the recording: export stopped early?"
# the streamed trace is complete JSON ending in otherData, for the last run
"$KST" export "$TMP/rec" -o - 2>/dev/null | tail -c 300 | grep -q '"otherData":{' || die "the trace lacks its tail"
echo PASS
