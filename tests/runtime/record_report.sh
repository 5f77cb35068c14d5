#!/bin/bash
# Live: record a few seconds under an allocating workload while the one-shot
# traces the same seconds, report, and check the recording counts page
# allocations as the one-shot does: in both, BPF-counted pages agree with the
# /proc/vmstat pgalloc delta of their own window, and the two agreement ratios
# agree with each other. (Never a rate of one run against another run: on a
# busy machine the workload's rate differs between runs.)
# Also: files are 0600, export gives a valid trace.
set -u
KST=${1:?usage: $0 path/to/kswaptrace}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to load BPF programs"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq (apt-get install jq)"; exit 77; }

T=$(mktemp -d /tmp/kst-rt-record.XXXXXX)
WL=""
stop_workload() {  # the loop and its dd: the whole process group, then wait for it
  [ -n "$WL" ] || return 0
  kill -- -"$WL" 2>/dev/null
  wait "$WL" 2>/dev/null
  for _ in $(seq 50); do pgrep -g "$WL" >/dev/null || break; sleep 0.1; done
  WL=""
}
cleanup() {
  stop_workload
  mountpoint -q "$T/shm" && umount "$T/shm"
  if mountpoint -q "$T/shm"; then echo "FAIL: $T/shm still mounted"; exit 1; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# workload: write and delete 128 MiB on a private tmpfs, again and again
mkdir "$T/shm" && mount -t tmpfs -o size=200m kst-rt "$T/shm" || fail "cannot mount tmpfs"
setsid bash -c 'while :; do dd if=/dev/zero of="$1/f" bs=1M count=128 status=none; rm -f "$1/f"; done' _ "$T/shm" &
WL=$!
sleep 1

# both over the same seconds: the one-shot starts as the recorder does
"$KST" -d 5 --json >"$T/oneshot.json" 2>"$T/oneshot.err" &
OS=$!
"$KST" record -o "$T/rec" -d 4 2>"$T/record.err" || { cat "$T/record.err"; fail "record exited $?"; }
cat "$T/record.err"
wait $OS || { cat "$T/oneshot.err"; fail "one-shot failed"; }
stop_workload

"$KST" report "$T/rec" --json >"$T/report.json" 2>"$T/report.err" || { cat "$T/report.err"; fail "report failed"; }
cat "$T/report.err"
grep -q "ended: duration elapsed" "$T/report.err" || fail "recording has no clean end record"
grep -qi "warning" "$T/report.err" && fail "report warned on a clean recording"
"$KST" report "$T/rec" >"$T/report.txt" 2>/dev/null || fail "text report failed"
grep -q "^page allocations:" "$T/report.txt" || fail "text report has no page allocation section"

for f in "$T"/rec/*; do
  [ "$(stat -c %a "$f")" = 600 ] || fail "$f is mode $(stat -c %a "$f"), want 600"
done
[ "$(stat -c %a "$T/rec")" = 700 ] || fail "recording directory is not 0700"

check() {  # name file: bpf pages vs vmstat pgalloc within 10%
  local pages pgalloc rate
  pages=$(jq '.page_alloc.total_pages' "$2")
  pgalloc=$(jq '.vmstat_delta.pgalloc_total' "$2")
  rate=$(jq '.page_alloc.pages_per_s' "$2")
  echo "$1: page_alloc.total_pages=$pages vmstat pgalloc delta=$pgalloc pages/s=$rate"
  [ "$pages" -gt 100000 ] || fail "$1: too few pages allocated ($pages) - workload not seen"
  awk -v a="$pages" -v b="$pgalloc" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.10 * b) }' ||
    fail "$1: BPF pages $pages and vmstat $pgalloc differ by more than 10%"
}
check record "$T/report.json"
check one-shot "$T/oneshot.json"

[ "$(jq '.lost_events' "$T/report.json")" = 0 ] || echo "note: ring-buffer records lost: $(jq '.lost_events' "$T/report.json")"

"$KST" export "$T/rec" --format chrome-trace -o "$T/trace.json" || fail "export failed"
jq -e '.traceEvents | map(select(.ph == "C" and (.name | startswith("free pages")))) | length > 0' "$T/trace.json" >/dev/null ||
  fail "trace has no free-pages counters"
jq -e '.traceEvents | map(select(.name == "page allocations (pages/s)")) | length >= 2' "$T/trace.json" >/dev/null ||
  fail "trace has no allocation-rate counter"
echo "PASS"
