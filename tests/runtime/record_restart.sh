#!/bin/bash
# Issue 16: the recorder killed with SIGKILL and started again on the same
# directory three times, then stopped with SIGHUP. The store holds four runs;
# `report --json` lists each run's start and how the one before it ended
# (killed), nothing before each run's last flush is lost, and the counters
# stitched across the restarts agree with /proc/vmstat over the same windows.
set -u
KST=${1:?usage: $0 path/to/kswaptrace}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to load BPF programs"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq (apt-get install jq)"; exit 77; }

T=$(mktemp -d /tmp/kst-rt-restart.XXXXXX)
REC="" WL=""
cleanup() {
  local rc=$? left=""
  [ -n "$REC" ] && kill -9 "$REC" 2>/dev/null && wait "$REC" 2>/dev/null
  # the workload loop first (stopped, so it starts no new dd), then the dd it runs: a dd
  # left writing keeps the tmpfs busy
  if [ -n "$WL" ]; then
    kill -STOP "$WL" 2>/dev/null; pkill -9 -P "$WL" 2>/dev/null; kill -9 "$WL" 2>/dev/null
    kill -CONT "$WL" 2>/dev/null; wait "$WL" 2>/dev/null
  fi
  mountpoint -q "$T/shm" && umount "$T/shm"
  # the test must leave nothing behind: check it
  mountpoint -q "$T/shm" 2>/dev/null && left="$left mount $T/shm"
  [ -n "$REC" ] && kill -0 "$REC" 2>/dev/null && left="$left recorder $REC"
  [ -n "$WL" ] && kill -0 "$WL" 2>/dev/null && left="$left workload $WL"
  rm -rf "$T"
  if [ -n "$left" ]; then echo "FAIL: left behind:$left"; exit 1; fi
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
started() {
  for _ in $(seq 200); do
    grep -q "^Recording to" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# workload: page allocations on a private tmpfs, all through the test
mkdir "$T/shm" && mount -t tmpfs -o size=96m kst-rt-restart "$T/shm" || fail "cannot mount tmpfs"
( while :; do dd if=/dev/zero of="$T/shm/f" bs=1M count=64 status=none; rm -f "$T/shm/f"; done ) &
WL=$!

kills=()
for i in 1 2 3 4; do
  "$KST" record -o "$T/rec" --flush-interval 0.25 --sample-interval 0.1 2>"$T/run$i.err" &
  REC=$!
  started "$T/run$i.err" || fail "run $i did not start: $(cat "$T/run$i.err")"
  head -1 "$T/run$i.err"
  if [ $i -gt 1 ]; then
    grep -q "continuing recording .* as run $i" "$T/run$i.err" || fail "run $i did not continue the store"
  fi
  sleep 2
  if [ $i -lt 4 ]; then
    kills+=("$(now)")
    kill -9 $REC
    wait $REC 2>/dev/null
  else
    kill -HUP $REC
    wait $REC || fail "record exited $? after SIGHUP"
  fi
  REC=""
done
tail -1 "$T/run4.err"

"$KST" report "$T/rec" --json >"$T/r.json" 2>"$T/r.err" || { cat "$T/r.err"; fail "report failed"; }
cat "$T/r.err"
if grep -i warning "$T/r.err" | grep -qv torn; then fail "unexpected warning (only torn last blocks may be skipped)"; fi
grep -q "ended: stopped by signal" "$T/r.err" || fail "the last run has no end record after SIGHUP"
jq -e '.runs | length == 4' "$T/r.json" >/dev/null || fail "report does not list 4 runs"
jq -e '[.runs[0:3][] | .ended_by == "killed"] | all' "$T/r.json" >/dev/null || fail "runs 1-3 not reported as killed"
jq -e '.runs[3].ended_by == "stopped"' "$T/r.json" >/dev/null || fail "run 4 not reported as stopped"
jq -e '[.runs[1:][] | .previous_ended_by == "killed"] | all' "$T/r.json" >/dev/null ||
  fail "runs 2-4 do not say the previous run was killed"
jq -e '[.runs[] | .start_evicted == false and .events > 0] | all' "$T/r.json" >/dev/null || fail "a run lost its start or has no events"
jq -e '[.runs | range(1; length) as $i | .[$i].start_realtime_ns > .[$i-1].end_realtime_ns] | all' "$T/r.json" >/dev/null ||
  fail "run starts are not after the previous run's end"

# nothing before the last flush is lost: each killed run's data reaches the
# kill time minus one flush interval (0.25 s, + 0.35 s slack for scheduling)
for i in 0 1 2; do
  end=$(jq ".runs[$i].end_realtime_ns" "$T/r.json")
  awk -v e="$end" -v k="${kills[$i]}" -v r=$((i + 1)) 'BEGIN {
    lost = k - e / 1e9; printf "run %d: last record %.3f s before the SIGKILL\n", r, lost
    exit !(lost <= 0.25 + 0.35) }' || fail "run $((i + 1)) lost more than its last flush interval"
done

# the counters restart with each run (new BPF maps); stitched, the BPF page
# count and /proc/vmstat's pgalloc agree over the same (observed) windows
pages=$(jq '.page_alloc.total_pages' "$T/r.json")
pgalloc=$(jq '.vmstat_delta.pgalloc_total' "$T/r.json")
echo "4 runs: page_alloc.total_pages=$pages vmstat pgalloc delta=$pgalloc"
[ "$pages" -gt 100000 ] || fail "too few pages allocated ($pages) - workload not seen"
awk -v a="$pages" -v b="$pgalloc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.10 * b) }' ||
  fail "BPF pages $pages and vmstat $pgalloc differ by more than 10% across the restarts"

"$KST" export "$T/rec" -o "$T/trace.json" 2>/dev/null || fail "export failed"
n=$(jq '[.traceEvents[] | select(.cat == "recording")] | length' "$T/trace.json")
[ "$n" = 6 ] || fail "export marks $n run boundaries, want 6 (3 ends, 3 starts)"
echo "PASS"
