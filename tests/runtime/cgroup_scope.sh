#!/bin/sh
# Cgroup attribution and the in-kernel filters (issue 18 item 3).
# A writer in a 64 MiB memory cgroup A forces memcg limit reclaim. Over the
# same window three tracers run: unfiltered, -c A, -c B (A's idle sibling).
#  - unfiltered attributes the reclaim to A's path;
#  - -c A counts the same episodes for A, and nothing outside A;
#  - -c B counts nothing at all (no reclaim, no page allocation);
#  - -c A's page allocations cover what the writer wrote.
# watch, record and agent take -c too, over the same window:
#  - `record -c A` then `report`: the same memcg episodes as the one-shot -c A,
#    and the run's scope in the recording;
#  - `agent -c A`: memcg stall histogram count equal, build_info labelled;
#  - `watch --json -c B` sees no memcg reclaim, `-c A` some.
# Then `-- CMD` (exit status, window), -p ending watch/record, bad input.
. "$(dirname "$0")/lib.subr"
need_root
ensure_tracefs
if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
	cg=/sys/fs/cgroup/memory limit=memory.limit_in_bytes v=1
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	cg=/sys/fs/cgroup limit=memory.max v=2
	grep -qw memory $cg/cgroup.subtree_control || echo "+memory" > $cg/cgroup.subtree_control || true
else
	skip "no memory cgroup controller"
fi
rel=/kst-cg-$$
top=$cg$rel
mkdir "$top" || skip "cannot create a cgroup under $cg"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rmdir "$top/a" "$top/b" "$top" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ $v = 2 ] && echo "+memory" > "$top/cgroup.subtree_control"
mkdir "$top/a" "$top/b" || die "cannot create the test cgroups"
echo 64M > "$top/a/$limit" || die "cannot set $limit"

"$KST" --json > "$TMP/all.json" 2> "$TMP/all.err" & pids="$pids $!"; p_all=$!
"$KST" --json -c "$top/a" > "$TMP/a.json" 2> "$TMP/a.err" & pids="$pids $!"; p_a=$!
"$KST" --json -c "$rel/b" > "$TMP/b.json" 2> "$TMP/b.err" & pids="$pids $!"; p_b=$!
"$KST" record -o "$TMP/rec" -c "$rel/a" > /dev/null 2> "$TMP/rec.err" & pids="$pids $!"; p_rec=$!
"$KST" watch --json -i 1 -c "$rel/a" > "$TMP/wa.json" 2> "$TMP/wa.err" & pids="$pids $!"; p_wa=$!
"$KST" watch --json -i 1 -c "$top/b" > "$TMP/wb.json" 2> "$TMP/wb.err" & pids="$pids $!"; p_wb=$!
agent=no
if "$KST" agent --help | grep -q -- "--textfile"; then
	agent=yes
	"$KST" agent -c "$rel/a" --listen off --textfile "$TMP/a.prom" --state-dir "$TMP/state" \
		> /dev/null 2> "$TMP/ag.err" & pids="$pids $!"; p_ag=$!
fi
all="all a b rec wa wb"; [ $agent = yes ] && all="$all ag"
for p in $all; do
	eval "pid=\$p_$p"
	wait_tracing "$TMP/$p.err" "$pid" || { cat "$TMP/$p.err"; die "kswaptrace ($p) did not start tracing"; }
done
sh -c "echo \$\$ > $top/a/cgroup.procs; exec dd if=/dev/zero of=$TMP/big bs=1M count=256 conv=fsync status=none"
rm -f "$TMP/big"
sleep 1
sleep 1  # a watch status line after the reclaim
for p in $all; do eval "kill -INT \$p_$p"; done
for p in $all; do
	eval "pid=\$p_$p"
	wait "$pid" || { cat "$TMP/$p.err"; die "kswaptrace ($p) failed"; }
done
pids=""
attach=$(json "$TMP/all.json" "j['attach'].get('mm_vmscan_memcg_reclaim_begin','missing')")
[ "$attach" != missing ] || skip "kernel lacks vmscan:mm_vmscan_memcg_reclaim_begin"

row() { json "$1" "sum(r['count'] for r in j['memcg_reclaim']['by_cgroup'] if r['cgroup'] == '$2')"; }
all_a=$(row "$TMP/all.json" "$rel/a")
a_a=$(row "$TMP/a.json" "$rel/a")
a_total=$(json "$TMP/a.json" "j['memcg_reclaim']['count']")
a_other=$(json "$TMP/a.json" "[r['cgroup'] for r in j['memcg_reclaim']['by_cgroup'] + j['direct_reclaim']['by_cgroup'] if r['cgroup'] != '$rel/a']")
a_pages=$(json "$TMP/a.json" "j['page_alloc']['total_pages']")
b_sum=$(json "$TMP/b.json" "j['memcg_reclaim']['count'] + j['direct_reclaim']['count'] + j['page_alloc']['total_calls'] + j['nodes'][0].get('other_reclaim',{}).get('calls',0)")
echo "cgroup v$v: memcg reclaim in $rel/a: unfiltered $all_a, -c a $a_a (of $a_total; elsewhere: $a_other);"
echo "  -c a page allocations $a_pages pages (dd wrote 65536 pages of page cache); -c b counted $b_sum"
[ "$all_a" -gt 0 ] || die "unfiltered trace attributes no memcg reclaim to $rel/a"
[ "$a_a" -eq "$all_a" ] || die "-c $top/a counted $a_a episodes in $rel/a, the unfiltered trace $all_a"
[ "$a_total" -eq "$a_a" ] && [ "$a_other" = "[]" ] || die "-c $top/a counted reclaim outside $rel/a: $a_other"
[ "$b_sum" -eq 0 ] || die "-c $rel/b (idle) counted $b_sum reclaim episodes/page allocations"
# dd in A allocated the 256 MiB of page cache it wrote (65536 pages); v1's
# memory.stat has no cumulative charge counter to compare with (pgpgin counts
# charge batches), so the workload's own size is the reference
[ "$a_pages" -ge 58982 ] || die "-c a traced $a_pages allocated pages, dd in $rel/a wrote 65536"
[ "$a_pages" -le 400000 ] || die "-c a traced $a_pages allocated pages, far more than dd's 65536"

# record -c A: the report counts what the one-shot -c A counted, and says what was traced
"$KST" report --json "$TMP/rec" > "$TMP/rep.json" 2> "$TMP/rep.err" || { cat "$TMP/rep.err"; die "report of the -c recording"; }
rep=$(json "$TMP/rep.json" "(j['memcg_reclaim']['count'], j['scope']['cgroup'], j['runs'][0]['scope']['cgroup'])")
echo "  record -c a, report: (memcg episodes, scope, run 1's scope) = $rep"
[ "$rep" = "($a_a, '$rel/a', '$rel/a')" ] || die "record -c a: report says $rep; the one-shot -c a counted $a_a in $rel/a"
"$KST" report "$TMP/rec" 2> /dev/null | grep -q "traced: memory cgroup $rel/a" || die "report text does not say what was traced"
grep -q "traced only: memory cgroup $rel/a" "$TMP/rec.err" || die "record -c: no scope note: $(cat "$TMP/rec.err")"
# watch -c: B never sees memcg reclaim, A does
wa=$(python3 -c 'import json,sys; print(max(json.loads(l).get("memcg_per_s", 0) for l in open(sys.argv[1])))' "$TMP/wa.json")
wb=$(python3 -c 'import json,sys; print(max(json.loads(l).get("memcg_per_s", 0) for l in open(sys.argv[1])))' "$TMP/wb.json")
echo "  watch: highest memcg reclaim rate -c a $wa/s, -c b $wb/s"
python3 -c "import sys; sys.exit(not ($wa > 0 and $wb == 0))" || die "watch -c: a $wa/s (want > 0), b $wb/s (want 0)"
if [ $agent = yes ]; then
	ag=$(awk '/^kswaptrace_memcg_reclaim_stall_seconds_count/ { print $2 }' "$TMP/a.prom")
	echo "  agent -c a: memcg stall count $ag (one-shot -c a: $a_a)"
	[ "$ag" = "$a_a" ] || die "agent -c a counted $ag memcg reclaim stalls, the one-shot -c a $a_a"
	grep -q "^kswaptrace_build_info{.*cgroup=\"$rel/a\"" "$TMP/a.prom" || die "agent build_info has no cgroup label"
fi
"$KST" -d 0.5 -c "$rel/a" > "$TMP/text" 2>/dev/null || die "text mode with -c failed"
grep -q "traced: memory cgroup $rel/a" "$TMP/text" || { cat "$TMP/text"; die "text output does not say what was traced"; }

# -- CMD: ends with CMD, reports and returns its status
start=$(date +%s)
"$KST" --json -- sh -c 'sleep 1; exit 7' > "$TMP/cmd.json" 2> "$TMP/cmd.err"
rc=$?
[ $rc -eq 7 ] || { cat "$TMP/cmd.err"; die "-- CMD exiting 7: kswaptrace exited $rc"; }
[ $(($(date +%s) - start)) -lt 60 ] || die "-- CMD did not end with the command"
grep -q "command exited with status 7" "$TMP/cmd.err" || die "no exit status line: $(cat "$TMP/cmd.err")"
st=$(json "$TMP/cmd.json" "(j['scope']['command']['exit_status'], j['scope']['command']['argv'][0], j['duration_s'] >= 0.9)")
[ "$st" = "(7, 'sh', True)" ] || die "JSON scope.command: $st"
"$KST" -d 0.2 -- true > /dev/null 2>&1; [ $? -eq 2 ] || die "-d with -- CMD is not a usage error"

# bad input: one line on stderr (besides the banner of a trace that started), non-zero exit
bad() { # EXPECTED_RC DESCRIPTION ARGS...
	want=$1 what=$2; shift 2
	"$KST" "$@" > "$TMP/bad.out" 2> "$TMP/bad.err"
	rc=$?
	[ $rc -ne 0 ] || die "$what: exit 0"
	[ "$want" = any ] || [ $rc -eq "$want" ] || die "$what: exit $rc, expected $want ($(cat "$TMP/bad.err"))"
	# banners of a trace that started (one-shot, watch, record and its closing tally) are not errors
	banner='^Tracing|^kswaptrace watch: Linux|^Recording to|^kswaptrace: traced only:|^kswaptrace: recorded [0-9]+ events'
	[ "$(grep -Ecv "$banner" "$TMP/bad.err")" -eq 1 ] || die "$what: stderr is not one line: $(cat "$TMP/bad.err")"
	echo "  $what: exit $rc: $(grep -Ev "$banner" "$TMP/bad.err")"
}
bad 1 "-c on a non-cgroup directory" -d 1 -c /tmp
bad 1 "-c on a missing cgroup" -d 1 -c /no-such-cgroup-$$
bad 1 "-p of no process" -d 1 -p 1073741000
bad 127 "-- a command that does not exist" -- /nonexistent/kst-cmd-$$
bad 126 "-- a command that is not executable" -- /tmp
sleep 2 & sp=$!
bad 1 "-p of a process that exits mid-trace" -d 60 --json -p $sp
json "$TMP/bad.out" "j['scope']['pids']" | grep -q "$sp" || die "-p exiting: no summary with its scope"
sleep 2 & sp=$!
bad 1 "watch -p of a process that exits" watch -p $sp
sleep 2 & sp=$!
bad 1 "record -p of a process that exits" record -o "$TMP/prec" -p $sp
grep -q "exited after .* s: recording ended (kept)" "$TMP/bad.err" || die "record -p: $(cat "$TMP/bad.err")"
end=$("$KST" report --json "$TMP/prec" 2> /dev/null | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["runs"][-1]["ended_by"], j["scope"]["pids"])')
[ "$end" = "pids_exited [$sp]" ] || die "record -p: report says the run ended by/scope: $end"
bad 1 "watch -c on a missing cgroup" watch -c /no-such-cgroup-$$
bad 1 "agent -c on a missing cgroup" agent -c /no-such-cgroup-$$ --listen off --state-dir "$TMP/st2"
"$KST" agent -p 1 --listen off > /dev/null 2>&1; [ $? -eq 2 ] || die "agent -p is not a usage error"
echo PASS
