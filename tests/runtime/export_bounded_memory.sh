#!/bin/sh
# `export` streams (issue 19): a synthetic recording of 3-7M events (36-74 MB
# on disk, 170-350 MB of decoded records, 0.4-0.8 GB of trace JSON) must export
# completely inside a cgroup v1 memory cgroup limited to 128 MiB (memory and
# memory+swap). Before streaming, export held ~1.2 KB per event: 4-8 GB here.
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
echo 128M > "$grp/memory.limit_in_bytes" || die "cannot set the limit"
[ -f "$grp/memory.memsw.limit_in_bytes" ] && echo 128M > "$grp/memory.memsw.limit_in_bytes"
# bench_record writes as fast as it can (a few M events/s) for the given seconds
nice -n 10 "$gen" 2 "$TMP/rec" 1 keep > "$TMP/gen.out" || die "bench_record failed"
size=$(du -sm "$TMP/rec" | cut -f1)
events=$(sed -n 's/.* \([0-9][0-9]*\) events in .*/\1/p' "$TMP/gen.out" | head -1)
echo "synthetic recording: ${size} MiB on disk, ${events:-?} events"
[ "$size" -ge 25 ] || skip "the generator made only ${size} MiB here (too slow a machine)"
# output to a pipe outside the cgroup: its page cache is not the export's
# memory; the reader keeps the byte count and the trace's tail
sh -c "echo \$\$ > $grp/tasks; exec nice -n 10 '$KST' export '$TMP/rec' -o -" 2> "$TMP/err" |
	python3 -c '
import sys
n, tail = 0, b""
while True:
    b = sys.stdin.buffer.read(1 << 20)
    if not b:
        break
    n += len(b)
    tail = (tail + b)[-8192:]
open(sys.argv[1], "wb").write(tail)
print(n)' "$TMP/tail" > "$TMP/bytes"
peak=$(($(cat "$grp/memory.max_usage_in_bytes") / 1048576))
oom=$(awk '$1 == "oom_kill" { print $2 }' "$grp/memory.oom_control" 2>/dev/null)
echo "export: $(cat "$TMP/bytes") bytes of trace, cgroup peak ${peak} MiB (limit 128), oom kills ${oom:-0}"
[ "${oom:-0}" = 0 ] || die "export was OOM-killed under the 128 MiB limit"
[ -s "$TMP/err" ] && { cat "$TMP/err"; die "export complained"; }
[ "$(cat "$TMP/bytes")" -gt $((size * 1048576)) ] || die "the trace is smaller than the recording: export stopped early?"
# the streamed trace is complete: it ends with otherData, after the last event
grep -q '^\],"otherData":{.*}}$' "$TMP/tail" || { tail -c 400 "$TMP/tail"; die "the trace lacks its tail"; }
echo PASS
